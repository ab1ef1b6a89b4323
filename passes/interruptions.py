"""Partner interruptions of passes (RK.1), the subscribers told (RK.2), the days credited (RK.3).

Staff record an interruption with its partner, cause, passes and first scope; each later change
of scope (partial restoration, degraded quality, restoration) is a new `InterruptionChange` row
with who and when. Each change queues a Celery job that creates one notice per line holding an
affected pass and channel (rows unique by key, inserted with ON CONFLICT DO NOTHING) and sends
them in batches, its progress saved on the change after each batch; a change closes the scope
before it, whose days are then credited once per period of pass (a unique row per change and
period, the charge or the balance movement written with it).
"""

from datetime import date, datetime

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from billing.models import Charge
from billing.rating import allowances_in_force
from catalogue.models import DestinationPrefix, Option, PassAllowance
from catalogue.selectors import grid_parameters
from lib.money import ZERO, tnd
from lib.tasks import enqueue
from passes.models import (
    Interruption,
    InterruptionChange,
    InterruptionCredit,
    PassHolding,
    PassNotice,
    PassPeriod,
)
from passes.notices import pass_notices_send
from subscriptions.models import Line, PrepaidAccount, PrepaidMovement

Scope = InterruptionChange.Scope
CREDIT_FEE = "pass_credit"  # Charge.fee_kind of a credit (billing/invoicing.py: a credit line)
# Notices per task: 2,000 messages rendered a few times and held in memory (a few MB), about
# 5 s of a worker's process; the progress is saved after each, a restarted job resumes after it.
NOTICE_BATCH = 2000


class InterruptionRefused(Exception):
    pass


def destinations_choices(*, on: date) -> list[tuple[str, str]]:
    """The countries and zones of the international prefix table in force on `on`, to name
    the calls a partner interrupts."""
    rows = _prefixes_in_force(on)
    countries = sorted({(row.country, f"{row.country} — {row.country_name}") for row in rows})
    zones = sorted({(row.zone, _("zone %(zone)s") % {"zone": row.zone}) for row in rows})
    return countries + zones


def _prefixes_in_force(on: date) -> list[DestinationPrefix]:
    latest = (
        DestinationPrefix.objects.filter(effective_from__lte=on)
        .order_by("-effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )
    return list(DestinationPrefix.objects.filter(effective_from=latest)) if latest else []


def passes_including_calls_to(calls_to: str, *, on: date) -> list[Option]:
    """RK.1: the passes whose allowances in force on `on` include international calls to the
    country (its ISO code) or the zone `calls_to` of the prefix table: a partner cutting the
    calls there interrupts each of them."""
    countries = {
        row.country for row in _prefixes_in_force(on) if calls_to in (row.country, row.zone)
    }
    if not countries:
        raise InterruptionRefused(_("No international prefix reaches this country or zone."))
    rows = PassAllowance.objects.filter(option__kind=Option.Kind.PASS)
    by_option: dict[int, list[PassAllowance]] = {}
    for row in rows:
        by_option.setdefault(row.option_id, []).append(row)
    reached = [
        option_id
        for option_id, allowances in by_option.items()
        if any(
            row.kind == PassAllowance.Kind.INTERNATIONAL and row.country in countries
            for row in allowances_in_force(allowances, on=on)
        )
    ]
    return list(Option.objects.filter(pk__in=reached))


def interruption_record(
    *,
    partner: str,
    cause: str,
    options: list[Option],
    started_at: datetime,
    scope: str,
    actor: User,
    ended_at: datetime | None = None,
    calls_to: str = "",
) -> Interruption:
    """RK.1: staff record an interruption of passes, or of the calls to a country or a zone
    (every pass including them is then affected, told and credited like a pass named), and its
    first scope; the subscribers are told (RK.2) after commit. An end already known is recorded
    as the restoration."""
    if scope == Scope.RESTORED:
        raise InterruptionRefused(_("An interruption starts with a cut or a degradation."))
    affected = {option.pk: option for option in options}
    if calls_to:
        for option in passes_including_calls_to(calls_to, on=timezone.localdate(started_at)):
            affected[option.pk] = option
    if not affected:
        if calls_to:
            raise InterruptionRefused(_("No pass includes calls to this country or zone."))
        raise InterruptionRefused(
            _("Choose the passes the partner interrupts, or the country or zone of the calls.")
        )
    with transaction.atomic():
        interruption = Interruption.objects.create(
            partner=partner,
            cause=cause,
            calls_to=calls_to,
            started_at=started_at,
            created_by=actor,
        )
        interruption.options.set(list(affected.values()))
        interruption_scope_change(
            interruption=interruption, scope=scope, effective_at=started_at, actor=actor
        )
        if ended_at:
            interruption_scope_change(
                interruption=interruption, scope=Scope.RESTORED, effective_at=ended_at, actor=actor
            )
    return interruption


def interruption_scope_change(
    *,
    interruption: Interruption,
    scope: str,
    effective_at: datetime,
    actor: User,
    note: str = "",
) -> InterruptionChange:
    """RK.1: the scope changes from `effective_at` (a later instant than the last change), kept
    with who and when; a restoration ends the interruption. The change's notices (RK.2) and the
    credit of the scope it closes (RK.3) are queued after commit."""
    with transaction.atomic():
        interruption = Interruption.objects.select_for_update().get(pk=interruption.pk)
        if interruption.ended_at:
            raise InterruptionRefused(_("This interruption has ended."))
        last = interruption.changes.order_by("-effective_at").first()
        if last and effective_at <= last.effective_at:
            raise InterruptionRefused(_("A change of scope follows the last one."))
        if last and last.scope == scope:
            raise InterruptionRefused(_("The scope is already this one."))
        change = InterruptionChange.objects.create(
            interruption=interruption,
            scope=scope,
            effective_at=effective_at,
            actor=actor,
            note=note,
        )
        if scope == Scope.RESTORED:
            interruption.ended_at = effective_at
            interruption.save(update_fields=["ended_at"])
        enqueue("passes.tasks.notify_interruption_change", change.pk)
        if last:
            enqueue("passes.tasks.credit_interruption_change", last.pk)
    return change


def holdings_affected(change: InterruptionChange) -> QuerySet[PassHolding]:
    """The passes of the interruption running at the change's instant, on lines in service."""
    running = PassPeriod.objects.filter(
        holding__line_option__option__in=change.interruption.options.all(),
        starts_at__lte=change.effective_at,
        ends_at__gt=change.effective_at,
    )
    return PassHolding.objects.filter(pk__in=running.values("holding_id")).exclude(
        line_option__line__status=Line.Status.TERMINATED
    )


def interruption_notices_create(change: InterruptionChange) -> int:
    """RK.2: an e-mail and an SMS per line holding an affected pass, once (safe to run again):
    one INSERT … SELECT in the database, a notice already there (its key) left as it is."""
    holdings = holdings_affected(change).values_list("pk", "line_option__line_id")
    select, params = holdings.query.sql_with_params()
    now = timezone.now()
    # `select` is the ORM's SQL, its values in `params`.
    sql = (
        "INSERT INTO passes_passnotice "  # noqa: S608
        "(line_id, holding_id, change_id, kind, channel, key, created_at) "
        "SELECT affected.line_id, affected.holding_id, %s, %s, channel, "
        "CONCAT('interruption:', %s::text, ':', affected.holding_id, ':', channel), %s "
        f"FROM ({select}) AS affected (holding_id, line_id) "
        "CROSS JOIN unnest(%s::text[]) AS channel "
        "ON CONFLICT (key) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                change.pk,
                PassNotice.Kind.INTERRUPTION,
                change.pk,
                now,
                *params,
                PassNotice.Channel.values,
            ],
        )
    lines = holdings.count()
    total = PassNotice.objects.filter(change=change).count()
    InterruptionChange.objects.filter(pk=change.pk).update(
        lines_total=lines, notices_total=total, notices_created_at=now
    )
    return total


def interruption_notice_batches(change: InterruptionChange) -> list[tuple[int, int]]:
    """The change's notices not sent yet, as ranges of ids [first, last] of NOTICE_BATCH
    notices: each a task, so that the worker's processes share them."""
    ids = list(
        PassNotice.objects.filter(change=change, sent_at__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return [
        (ids[first], ids[min(first + NOTICE_BATCH, len(ids)) - 1])
        for first in range(0, len(ids), NOTICE_BATCH)
    ]


def interruption_notices_send_batch(change: InterruptionChange, first: int, last: int) -> int:
    """Send the change's notices of ids [first, last] not sent yet; returns how many this call
    sent. Each notice is claimed before it goes out, so two runs at once never send one twice;
    the progress is saved after the batch."""
    batch = list(
        PassNotice.objects.filter(change=change, sent_at__isnull=True, pk__gte=first, pk__lte=last)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    try:
        sent = pass_notices_send(batch)
    finally:
        interruption_change_progress(change)
    return sent


def interruption_change_progress(change: InterruptionChange) -> InterruptionChange:
    """Save how many notices went out; the change is told when its notices exist and none is
    left to send."""
    left = PassNotice.objects.filter(change=change, sent_at__isnull=True).count()
    created = InterruptionChange.objects.filter(pk=change.pk, notices_created_at__isnull=False)
    created.update(notices_sent=F("notices_total") - left, notices_worked_at=timezone.now())
    if not left:
        created.filter(notified_at__isnull=True).update(notified_at=timezone.now())
    change.refresh_from_db()
    return change


def _idle(since: datetime) -> Q:
    """Its notices neither queued nor progressing since `since` (never queued counts as idle)."""
    return Q(notices_worked_at__isnull=True) | Q(notices_worked_at__lt=since)


def changes_to_notify(*, idle_since: datetime) -> list[int]:
    """Changes whose subscribers are not all told and whose batches are neither queued nor
    sending since `idle_since`: their job was lost. A change recorded after it still has its
    own task in the queue."""
    return list(
        InterruptionChange.objects.filter(
            _idle(idle_since), notified_at__isnull=True, at__lt=idle_since
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def interruption_notices_claim(change: InterruptionChange, *, idle_since: datetime) -> bool:
    """RK.2: the right to queue the change's batches, taken by a conditional update: False when
    they were queued, or a batch sent, since `idle_since` (a second delivery of the task, or the
    beat while they go out), so that a batch is not queued twice."""
    return bool(
        InterruptionChange.objects.filter(
            _idle(idle_since), pk=change.pk, notified_at__isnull=True
        ).update(notices_worked_at=timezone.now())
    )


# RK.3 -------------------------------------------------------------------------------------------


def _share(change: InterruptionChange):
    """The share of a day credited for a day of this scope: 1 for a full cut, the grid's
    parameter (0 by default) for a partial restoration or a degraded quality."""
    if change.scope == Scope.FULL:
        return 1
    parameters = grid_parameters(on=timezone.localdate(change.effective_at))
    if change.scope == Scope.PARTIAL:
        return parameters.interruption_partial_share
    if change.scope == Scope.DEGRADED:
        return parameters.interruption_degraded_share
    return 0


def credit_days(start: datetime, end: datetime, period: PassPeriod) -> tuple[int, int]:
    """Days of [start, end[ within the period, and the period's days, in local calendar days:
    the day a cut starts counts, the day it ends does not (cut on the 7th, restored on the
    25th: 18 days)."""
    first = timezone.localdate(max(start, period.starts_at))
    last = timezone.localdate(min(end, period.ends_at))
    period_days = (timezone.localdate(period.ends_at) - timezone.localdate(period.starts_at)).days
    return max(0, (last - first).days), max(1, period_days)


def _credit_one(
    change: InterruptionChange, period: PassPeriod, days: int, share, amount, job: str
) -> bool:
    holding = period.holding
    line = holding.line_option.line
    with translation.override(line.contract.customer.language):  # the invoice's language
        label = _("Credit: %(pass)s interrupted %(days)s day(s) — %(number)s") % {
            "pass": holding.line_option.option.label,
            "days": days,
            "number": line.number,
        }
    try:
        with transaction.atomic():
            credit = InterruptionCredit.objects.create(
                change=change, period=period, days=days, share=share, amount=amount, job=job
            )
            if period.movement_id:  # paid from the balance: credited to it (prepaid)
                account = PrepaidAccount.objects.select_for_update().get(line=line)
                account.credit += amount
                account.save(update_fields=["credit"])
                credit.movement = PrepaidMovement.objects.create(
                    account=account,
                    kind=PrepaidMovement.Kind.CREDIT,
                    credit_change=amount,
                    valid_until=account.valid_until,
                    job=job,
                    reason=label[:255],
                )
            else:  # billed: a credit line on the next invoice (postpaid)
                credit.charge = Charge.objects.create(
                    contract_id=line.contract_id,
                    line=line,
                    fee_kind=CREDIT_FEE,
                    label=label[:200],
                    amount=-amount,
                    charged_on=timezone.localdate(),
                )
            credit.save(update_fields=["movement", "charge"])
    except IntegrityError:  # credited already, by an earlier or a concurrent run
        return False
    return True


def interruption_change_credit(change: InterruptionChange, *, job: str) -> int:
    """RK.3: the days of the scope that `change` opened, closed by the next change, credited pro
    rata to each period of an affected pass they fall in (TND to the millime), once; returns
    the credits made by this call (0 when they were made already)."""
    following = (
        InterruptionChange.objects.filter(
            interruption=change.interruption_id, effective_at__gt=change.effective_at
        )
        .order_by("effective_at")
        .first()
    )
    if following is None:
        return 0  # still running: credited when it closes
    share = _share(change)
    made = 0
    if share:
        start, end = change.effective_at, following.effective_at
        periods = PassPeriod.objects.filter(
            holding__line_option__option__in=change.interruption.options.all(),
            starts_at__lt=end,
            ends_at__gt=start,
        ).select_related(
            "holding__line_option__line__number",
            "holding__line_option__line__contract__customer__user",
            "holding__line_option__option",
        )
        for period in periods.order_by("pk"):
            days, period_days = credit_days(start, end, period)
            amount = tnd(period.fee * days * share / period_days)
            if amount > ZERO:
                made += _credit_one(change, period, days, share, amount, job)
    InterruptionChange.objects.filter(pk=change.pk, credited_at__isnull=True).update(
        credited_at=timezone.now()
    )
    return made


def changes_to_credit() -> list[int]:
    """Closed scopes whose days are not credited yet (their job lost or not run)."""
    return [
        change.pk
        for change in InterruptionChange.objects.filter(credited_at__isnull=True)
        .exclude(scope=Scope.RESTORED)
        .order_by("pk")
        if InterruptionChange.objects.filter(
            interruption=change.interruption_id, effective_at__gt=change.effective_at
        ).exists()
    ]
