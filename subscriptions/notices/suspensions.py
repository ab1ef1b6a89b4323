"""Telling the customer that a line is suspended or restored, by e-mail and SMS, once only, in
their language. Rows are recorded in the transaction that suspends or restores (their unique key
makes each exist once); they are sent after commit.

Issue 16: each goes out at least once, and once in the normal path: the worker claims it
(`claimed_at`), sends it, then records `sent_at`. A worker killed between the send and the record
leaves a claim that a beat job (`subscriptions.tasks.redeliver_outbox`) takes up once older than
OUTBOX_STALE_SECONDS, so the notice may then go out twice but is never lost; a fresh claim is
left to its worker, and a notice sent is never sent again.
"""

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from lib.bulk import bulk_insert
from lib.emails import send_templated
from lib.sms import send_sms
from lib.tasks import enqueue, outbox_stale
from subscriptions.models import (
    CustomerNotification,
    Line,
    SuspensionCause,
)

Kind = CustomerNotification.Kind

Channel = CustomerNotification.Channel


def _address(line: Line) -> str:
    customer = line.contract.customer
    return customer.email or (customer.user.email if customer.user else "")


def _language(line: Line) -> str:
    return line.contract.customer.language


def notifications_record(events: Iterable[tuple[Line, str, str, str]]) -> list[int]:
    """For each (line, kind, cause, event key), an SMS to the line and an e-mail to the customer;
    an event already recorded is not recorded again. Sending is queued after commit."""
    now = timezone.now()
    rows = [
        CustomerNotification(
            line_id=line.pk,
            kind=kind,
            cause=cause,
            channel=channel,
            key=f"{event}:{channel}",
            created_at=now,
        )
        for line, kind, cause, event in events
        for channel in (Channel.EMAIL, Channel.SMS)
    ]
    if not rows:
        return []
    recorded = dict(
        CustomerNotification.objects.filter(key__in=[row.key for row in rows]).values_list(
            "key", "sent_at"
        )
    )
    # The callers hold the lines' locks: no other transaction records these keys meanwhile.
    created = bulk_insert([row for row in rows if row.key not in recorded])
    ids = [row.pk for row in created] + list(
        CustomerNotification.objects.filter(
            key__in=[key for key, sent_at in recorded.items() if sent_at is None]
        ).values_list("pk", flat=True)
    )
    if ids:
        enqueue("subscriptions.tasks.send_customer_notifications", ids)
    return ids


def _claim(notification_id: int) -> datetime | None:
    """Claim the notification for this worker: the time of the claim, or None when it is sent
    or another worker claimed it less than OUTBOX_STALE_SECONDS ago."""
    now = timezone.now()
    claimed = (
        CustomerNotification.objects.filter(pk=notification_id, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - outbox_stale()))
        .update(claimed_at=now)
    )
    return now if claimed else None


def notification_send(notification_id: int) -> bool:
    """Send one notification unless it went out already or another worker is sending it; False
    when there was nothing to send."""
    claim = _claim(notification_id)
    if claim is None:
        return False
    notification = CustomerNotification.objects.select_related(
        "line__number", "line__contract__customer__user"
    ).get(pk=notification_id)
    line = notification.line
    language = _language(line)
    template = f"line-{notification.kind}"
    with translation.override(language):
        cause = str(SuspensionCause.Cause(notification.cause).label) if notification.cause else ""
    context = {"number": line.number.msisdn, "cause": cause, "operator": settings.OPERATOR}
    try:
        if notification.channel == Channel.SMS:
            with translation.override(language):
                text = render_to_string(f"emails/{template}-sms.txt", context)
            send_sms(to=line.number.msisdn, text=text)
        elif address := _address(line):
            send_templated(to=address, template=template, context=context, language=language)
    except Exception:
        # Nothing went out: give the claim back (unless another worker took it over meanwhile)
        # so that the retry sends it at once.
        CustomerNotification.objects.filter(pk=notification_id, claimed_at=claim).update(
            claimed_at=None
        )
        raise
    CustomerNotification.objects.filter(pk=notification_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    return True


def notifications_to_send(*, created_before) -> list[int]:
    """Notifications recorded before `created_before`, not sent and not claimed since: their
    queued send was lost or is still being retried, or the claim is a dead worker's."""
    return list(
        CustomerNotification.objects.filter(sent_at__isnull=True, created_at__lt=created_before)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=created_before))
        .values_list("pk", flat=True)
    )
