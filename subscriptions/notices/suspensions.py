"""Telling the customer that a line is suspended or restored, by e-mail and SMS, once only, in
their language. Rows are recorded in the transaction that suspends or restores (their unique key
makes each exist once); they are sent after commit and `sent_at` makes each go out once.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from lib.bulk import bulk_insert
from lib.emails import send_templated
from lib.sms import send_sms
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
        from subscriptions.tasks import send_customer_notifications

        transaction.on_commit(lambda: send_customer_notifications.delay(ids))
    return ids


def notification_send(notification_id: int) -> bool:
    """Send one notification unless it went out already; False when there was nothing to send."""
    claimed = CustomerNotification.objects.filter(pk=notification_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
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
        # Nothing went out: give the claim back so that the retry sends it.
        CustomerNotification.objects.filter(pk=notification_id).update(sent_at=None)
        raise
    return True


def notifications_to_send(*, created_before) -> list[int]:
    """Notifications recorded before `created_before` and not sent: their queued send was lost
    or is still being retried."""
    return list(
        CustomerNotification.objects.filter(
            sent_at__isnull=True, created_at__lt=created_before
        ).values_list("pk", flat=True)
    )
