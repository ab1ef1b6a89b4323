"""E-mails and SMS about passes, in the customer's language, each once: a row per event and
channel (unique key) recorded in the transaction that makes the event, sent after commit, and
claimed by a conditional update on `sent_at` before it goes out (given back if nothing went out)."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from catalogue.models import Option
from lib.bulk import bulk_insert
from lib.sms import Sms
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


# Rendered once per message, then the number put in per line (a template per line cost more
# than the sending itself for the 50,000 lines of an interruption): no template prints it twice.
NUMBER = "@@NUMBER@@"
NOTICE_FIELDS = [
    "pk",
    "kind",
    "channel",
    "change_id",
    "holding__line_option__option_id",
    "holding__period_ends_at",
    "holding__ending",
    "line__number__msisdn",
    "line__contract__customer__user__language",
    "line__contract__customer__email",
    "line__contract__customer__user__email",
]


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


class _Renderer:
    """The messages of a batch, rendered once per kind, change, pass, language (and, for a
    renewal or an end, the period's end), the line's number left as a placeholder."""

    def __init__(self, rows: list[dict]) -> None:
        self.options = Option.objects.in_bulk(
            {row["holding__line_option__option_id"] for row in rows}
        )
        self.changes = InterruptionChange.objects.select_related("interruption").in_bulk(
            {row["change_id"] for row in rows if row["change_id"]}
        )
        self.cache: dict[tuple, Rendered] = {}

    def __call__(self, row: dict) -> Rendered:
        # Customer.language: their portal account's, else French.
        language = row["line__contract__customer__user__language"] or settings.LANGUAGE_CODE
        kind = row["kind"]
        if kind == PassNotice.Kind.INTERRUPTION:
            key: tuple = (kind, row["change_id"], row["holding__line_option__option_id"], language)
        else:
            key = (
                kind,
                row["holding__line_option__option_id"],
                language,
                row["holding__period_ends_at"],
                row["holding__ending"],
            )
        if key not in self.cache:
            self.cache[key] = self._render(row, kind, language)
        return self.cache[key]

    def _render(self, row: dict, kind: str, language: str) -> Rendered:
        template = f"emails/pass-{kind}"
        with translation.override(language):
            context = {
                "number": NUMBER,
                "pass": self.options[row["holding__line_option__option_id"]].label,
                "holding": {"ending": row["holding__ending"]},
                "ends_at": timezone.localtime(row["holding__period_ends_at"]),
                "operator": settings.OPERATOR,
                "LANGUAGE_CODE": language,
            }
            if row["change_id"]:
                change = self.changes[row["change_id"]]
                context |= {
                    "change": change,
                    "scope": change.get_scope_display(),
                    "partner": change.interruption.partner,
                    "since": timezone.localtime(change.effective_at),
                }
            return Rendered(
                subject=" ".join(render_to_string(f"{template}-subject.txt", context).split()),
                text=render_to_string(f"{template}-body.txt", context),
                html=render_to_string(f"{template}-body.html", context),
                sms=" ".join(render_to_string(f"{template}-sms.txt", context).split()),
            )


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


def _message(row: dict, rendered: Rendered) -> EmailMultiAlternatives | Sms | None:
    number = row["line__number__msisdn"]
    if row["channel"] == Channel.SMS:
        return Sms(to=number, text=rendered.sms.replace(NUMBER, number))
    address = row["line__contract__customer__email"] or row["line__contract__customer__user__email"]
    if not address:
        return None  # no address: the SMS tells the customer
    message = EmailMultiAlternatives(
        rendered.subject.replace(NUMBER, number),
        rendered.text.replace(NUMBER, number),
        to=[address],
    )
    message.attach_alternative(rendered.html.replace(NUMBER, number), "text/html")
    return message


def pass_notices_send(ids: list[int]) -> int:
    """Send the notices among `ids` not sent yet, each once; returns how many this call sent.
    The e-mails of a batch go over one connection, the SMS through one backend. A notice that
    fails is given back (its claim cleared) and the error raised after the others went out, so
    that the task's retry sends it."""
    claimed = _claim(list(ids)) if ids else []
    if not claimed:
        return 0
    rows = list(PassNotice.objects.filter(pk__in_ids=claimed).order_by("pk").values(*NOTICE_FIELDS))
    render = _Renderer(rows)
    sms_backend = import_string(settings.SMS_BACKEND)()
    mail = get_connection()
    sent, failed, given_back = 0, None, []
    mail.open()
    try:
        for row in rows:
            try:
                message = _message(row, render(row))
                if isinstance(message, Sms):
                    sms_backend.send(message)
                elif message is not None:
                    mail.send_messages([message])
                sent += 1
            except Exception as error:  # nothing went out for this one: give the claim back
                given_back.append(row["pk"])
                failed = error
    finally:
        mail.close()
        if given_back:
            PassNotice.objects.filter(pk__in=given_back).update(sent_at=None)
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
