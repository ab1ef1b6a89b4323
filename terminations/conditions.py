"""Changes of conditions and prices (R5.1, R5.2): a supervisor publishes a change, a Celery job
tells every customer concerned once and keeps the date per customer; that date opens the
just-motive windows of R16.7 and R16.9 on their termination letters.

The job is safe to run twice, at once or after a crash: the notices are rows unique per change
and customer (created with ON CONFLICT DO NOTHING), and each is claimed by a conditional update
before its e-mail goes out (terminations.notices.conditions_notice_send).
"""

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from catalogue.selectors import grid_parameters
from lib.tasks import enqueue
from subscriptions.models import Customer, Line
from terminations.models import ConditionsChange, ConditionsNotice
from terminations.notices import conditions_notice_send

# Notices sent per batch: one batch is one task run, so that progress is saved and shown as it
# goes and a restarted job resumes after the last batch; 500 e-mails take a few seconds.
NOTICE_BATCH = 500
# Notices created per INSERT: ids only, a few kB per thousand rows.
CREATE_CHUNK = 2000


class ChangeRefused(Exception):
    pass


def customers_concerned(change: ConditionsChange) -> QuerySet[Customer]:
    """Customers holding a live line of an offer the change concerns."""
    lines = Line.objects.filter(offer__in=change.offers.all(), activated_at__isnull=False).exclude(
        status=Line.Status.TERMINATED
    )
    return Customer.objects.filter(pk__in=lines.values("contract__customer_id"))


def conditions_change_publish(*, change: ConditionsChange, actor: User) -> ConditionsChange:
    """R5.2: the change is published; the notification job starts after commit."""
    if not change.offers.exists():
        raise ChangeRefused(_("A change concerns at least one offer."))
    with transaction.atomic():
        if not ConditionsChange.objects.filter(pk=change.pk, published_at__isnull=True).update(
            published_at=timezone.now(), published_by=actor
        ):
            raise ChangeRefused(_("This change is published already."))
        enqueue("terminations.tasks.notify_conditions_change", change.pk)
    change.refresh_from_db()
    return change


def conditions_notices_create(*, change: ConditionsChange, job: str) -> int:
    """One notice row per customer concerned, once; returns how many customers are concerned."""
    ids = list(customers_concerned(change).values_list("pk", flat=True).order_by("pk"))
    for start in range(0, len(ids), CREATE_CHUNK):
        ConditionsNotice.objects.bulk_create(
            [
                ConditionsNotice(change=change, customer_id=pk, job=job)
                for pk in ids[start : start + CREATE_CHUNK]
            ],
            ignore_conflicts=True,
        )
    ConditionsChange.objects.filter(pk=change.pk).update(customers_total=len(ids))
    return len(ids)


def conditions_notices_send_batch(*, change: ConditionsChange) -> int:
    """Send the next batch of notices not sent yet; returns how many this call sent (0: done).

    Two runs at once may read the same batch: each notice is claimed on its own by a
    conditional update before its e-mail goes out, so one of them sends it and the other skips.
    """
    batch = list(
        ConditionsNotice.objects.filter(change=change, notified_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)[:NOTICE_BATCH]
    )
    notices = ConditionsNotice.objects.filter(pk__in=batch).select_related(
        "change", "customer__user"
    )
    days = grid_parameters(on=timezone.localdate()).just_motive_notification_days
    sent = sum(1 for notice in notices if conditions_notice_send(notice, window_days=days))
    conditions_change_progress(change=change)
    return sent


def conditions_change_progress(*, change: ConditionsChange) -> ConditionsChange:
    """Save how many customers were notified; the change is done when none is left."""
    notified = ConditionsNotice.objects.filter(change=change, notified_at__isnull=False).count()
    left = ConditionsNotice.objects.filter(change=change, notified_at__isnull=True).exists()
    ConditionsChange.objects.filter(pk=change.pk).update(customers_notified=notified)
    if not left:
        ConditionsChange.objects.filter(pk=change.pk, notified_at__isnull=True).update(
            notified_at=timezone.now()
        )
    change.refresh_from_db()
    return change


def changes_to_notify() -> list[int]:
    """Published changes whose notification is not finished (a job lost or interrupted)."""
    return list(
        ConditionsChange.objects.filter(published_at__isnull=False, notified_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
