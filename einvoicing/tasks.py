from celery import shared_task
from django.utils import timezone

from einvoicing.backends import Unavailable
from einvoicing.batches import submissions_send
from einvoicing.models import Submission
from einvoicing.services import registered_copy_render, submission_send, submissions_due


@shared_task(
    autoretry_for=(Unavailable,),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=10,
    acks_late=True,
)
def send_einvoice(submission_id: int) -> str:
    """One invoice to TTN; a platform that cannot be reached is tried again later, with the
    same key (TTN registers it once)."""
    return submission_send(submission_id=submission_id, job="einvoice-send")


@shared_task(acks_late=True)
def send_einvoices(submission_ids: list[int]) -> int:
    """After issue: a batch of invoices (einvoicing/batches.py); those that TTN could not be
    reached for go to their own retried tasks."""
    sent = submissions_send(submission_ids=submission_ids, job="einvoice-send")
    for submission_id in sent.unavailable:
        send_einvoice.delay(submission_id)
    return len(sent.answered)


@shared_task
def resend_due_einvoices() -> int:
    """Beat: submissions whose task was lost or whose sender died, and answers still awaited."""
    ids = submissions_due(now=timezone.now())
    for submission_id in ids:
        send_einvoice.delay(submission_id)
    return len(ids)


@shared_task(autoretry_for=(Exception,), retry_backoff=True, max_retries=5, acks_late=True)
def render_registered_copy(submission_id: int) -> None:
    """Once TTN accepted an invoice: its PDF with the reference and QR code, made once."""
    registered_copy_render(Submission.objects.get(pk=submission_id))


@shared_task(acks_late=True)
def render_registered_copies(submission_ids: list[int]) -> None:
    """The registered copies of a batch accepted at once (einvoicing/batches.py); one that fails
    goes to its own retried task."""
    for submission_id in submission_ids:
        try:
            registered_copy_render(Submission.objects.get(pk=submission_id))
        except Exception:
            render_registered_copy.delay(submission_id)
