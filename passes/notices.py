"""E-mails and SMS about passes, in the customer's language, each once: a row per event and
channel (unique key) recorded in the transaction that makes the event, sent after commit, and
claimed by a conditional update on `sent_at` before it goes out (given back if nothing went out)."""

from collections.abc import Iterable

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

from lib.bulk import bulk_insert
from lib.emails import send_templated
from lib.sms import send_sms
from lib.tasks import enqueue
from passes.models import InterruptionChange, PassHolding, PassNotice
from subscriptions.models import Line

Channel = PassNotice.Channel


def pass_notices_record(events: Iterable[tuple[Line, PassHolding, str, str]]) -> list[int]:
    """For each (line, holding, kind, event key), an SMS and an e-mail, once per key; the
    sending is queued after commit."""
    now = timezone.now()
    rows = [
        PassNotice(
            line_id=line.pk,
            holding_id=holding.pk,
            kind=kind,
            channel=channel,
            key=f"{event}:{channel}",
            created_at=now,
        )
        for line, holding, kind, event in events
        for channel in (Channel.EMAIL, Channel.SMS)
    ]
    if not rows:
        return []
    known = set(PassNotice.objects.filter(key__in=[r.key for r in rows]).values_list("key"))
    created = bulk_insert([row for row in rows if (row.key,) not in known])
    ids = [row.pk for row in created]
    if ids:
        enqueue("passes.tasks.send_pass_notices", ids)
    return ids


def _context(notice: PassNotice) -> dict:
    line_option = notice.holding.line_option
    context = {
        "number": notice.line.number.msisdn,
        "pass": line_option.option.label,
        "holding": notice.holding,
        "ends_at": timezone.localtime(notice.holding.period_ends_at),
        "operator": settings.OPERATOR,
    }
    if notice.change_id:
        change: InterruptionChange = notice.change
        context |= {
            "change": change,
            "scope": change.get_scope_display(),
            "partner": change.interruption.partner,
            "since": timezone.localtime(change.effective_at),
        }
    return context


def _claim(ids: list[int]) -> list[int]:
    """Claim the notices not sent yet among `ids` in one statement: the ids this call claimed
    (two senders at once claim each notice once)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE passes_passnotice SET sent_at = %s "
            "WHERE id = ANY(%s) AND sent_at IS NULL RETURNING id",
            [timezone.now(), ids],
        )
        return [row[0] for row in cursor.fetchall()]


def _deliver(notice: PassNotice) -> None:
    customer = notice.line.contract.customer
    language = customer.language
    template = f"pass-{notice.kind}"
    with translation.override(language):
        context = _context(notice)
        if notice.channel == Channel.SMS:
            text = render_to_string(f"emails/{template}-sms.txt", context)
    if notice.channel == Channel.SMS:
        send_sms(to=notice.line.number.msisdn, text=text)
    elif address := customer.email or (customer.user.email if customer.user_id else ""):
        send_templated(to=address, template=template, context=context, language=language)


def pass_notices_send(ids: list[int]) -> int:
    """Send the notices among `ids` not sent yet, each once; returns how many this call sent.
    A notice that fails is given back (its claim cleared) and the error raised after the
    others went out, so that the task's retry sends it."""
    claimed = _claim(list(ids)) if ids else []
    notices = PassNotice.objects.filter(pk__in=claimed).select_related(
        "line__number",
        "line__contract__customer__user",
        "holding__line_option__option",
        "change__interruption",
    )
    sent, failed = 0, None
    for notice in notices:
        try:
            _deliver(notice)
            sent += 1
        except Exception as error:  # nothing went out for this one: give the claim back
            PassNotice.objects.filter(pk=notice.pk).update(sent_at=None)
            failed = error
    if failed:
        raise failed
    return sent


def pass_notices_to_send(*, created_before) -> list[int]:
    """Notices recorded before `created_before` and not sent: their queued send was lost."""
    return list(
        PassNotice.objects.filter(sent_at__isnull=True, created_at__lt=created_before)
        .order_by("pk")
        .values_list("pk", flat=True)[:5000]
    )
