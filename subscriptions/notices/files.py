"""Letters and e-mails about a subscription file, each sent once even when a task is retried."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone

from lib.emails import send_templated
from lib.pdf import render_pdf
from subscriptions.models import (
    SubscriptionFile,
)


def _language(file: SubscriptionFile) -> str:
    return file.applicant.language or settings.LANGUAGE_CODE


def _address(file: SubscriptionFile) -> str:
    return (file.customer.email if file.customer else "") or file.applicant.email


def refusal_letter_pdf(file: SubscriptionFile) -> bytes:
    """R6.2: the written, motivated refusal."""
    return render_pdf(
        "pdf/refusal_letter.html",
        {"file": file, "customer": file.customer, "operator": settings.OPERATOR},
        language=_language(file),
    )


def refusal_letter_send(file_id: int) -> bool:
    """Store and e-mail the refusal letter once; False when it was already sent."""
    claimed = SubscriptionFile.objects.filter(
        pk=file_id, status=SubscriptionFile.Status.REFUSED, refusal_letter_sent_at__isnull=True
    ).update(refusal_letter_sent_at=timezone.now())
    if not claimed:
        return False
    file = SubscriptionFile.objects.select_related("customer", "applicant").get(pk=file_id)
    try:
        pdf = refusal_letter_pdf(file)
        if not file.refusal_letter:
            file.refusal_letter.save(f"letters/refusal-{file.reference}.pdf", ContentFile(pdf))
        send_templated(
            to=_address(file),
            template="file-refused",
            context={"file": file},
            language=_language(file),
            attachments=[(f"refus-{file.reference}.pdf", pdf, "application/pdf")],
        )
    except Exception:
        # Nothing went out: give the claim back so that the retry sends it.
        SubscriptionFile.objects.filter(pk=file_id).update(refusal_letter_sent_at=None)
        raise
    return True


def accepted_notice_send(file_id: int) -> bool:
    """Tell the customer their line is open, once."""
    claimed = SubscriptionFile.objects.filter(
        Q(pk=file_id, accepted_notice_sent_at__isnull=True, line__isnull=False)
    ).update(accepted_notice_sent_at=timezone.now())
    if not claimed:
        return False
    file = SubscriptionFile.objects.select_related("line__number", "applicant").get(pk=file_id)
    try:
        send_templated(
            to=_address(file),
            template="file-accepted",
            context={"file": file},
            language=_language(file),
        )
    except Exception:
        SubscriptionFile.objects.filter(pk=file_id).update(accepted_notice_sent_at=None)
        raise
    return True
