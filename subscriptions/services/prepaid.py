"""The prepaid life cycle (R2.7 to R2.9, R17.3): validity, then grace, then preservation, then the
number is lost and goes to quarantine.

`prepaid_steps_run` moves every line that is due and not yet moved, in batches of SWEEP_BATCH_SIZE
rows locked with SKIP LOCKED: two sweeps running at once take different lines, a repeated run
finds nothing left, and a run that missed days walks a line through every period it is late for.
A batch runs a fixed number of statements whatever its size (the grid read once per day), except
for the contracts that end with their last line (`terminations.ending.lines_end`). The sweep
itself, with its last step that ends lines, is `terminations.sweeps.prepaid_sweep`.

Top-ups (R2.3): recharge codes, Banka and Light, and what a top-up does to the line's periods
(R2.7 to R2.9).

A recharge code is kept as an HMAC keyed by SECRET_KEY: the database alone gives no code back,
and changing SECRET_KEY makes the codes not yet used unusable (generate new batches then).

Import of the Banka and Light payments reported by the payment providers (R2.3), a CSV
documented in docs/top-up-csv.md.

Each row is recorded through `top_ups.top_up_record`: a reference already recorded for its
channel adds nothing, so a file imported twice, or two files that overlap, credit each payment
once. A bad row is reported with its line number and the good rows still go in.
"""

import csv
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from catalogue.models import GridParameters, Offer
from catalogue.selectors import grid_parameters, prepaid_validity_days
from lib.identifiers import normalize_msisdn
from lib.money import tnd
from subscriptions.lifecycle.records import line_transition, lines_transition
from subscriptions.models import (
    Line,
    PrepaidAccount,
    PrepaidMovement,
    ProvisioningOrder,
    RechargeCode,
    RechargeCodeBatch,
    RechargeCodeFailure,
    TopUp,
)
from subscriptions.services.suspensions import provisioning_orders_request, provisioning_request

S = Line.Status

JOB = "prepaid_sweep"


class CreditTooLow(Exception):
    """A prepaid line's credit does not cover a fee."""


def prepaid_debit(
    *, line: Line, amount: Decimal, label: str, actor: User | None
) -> PrepaidMovement:
    """R10.6: a prepaid line pays its fees (an option, a SIM replacement) from its credit at
    once, with the movement recorded; refused when the credit is short. In the caller's
    transaction."""
    account, _created = PrepaidAccount.objects.select_for_update().get_or_create(line=line)
    if account.credit < amount:
        raise CreditTooLow(amount)
    account.credit -= amount
    account.save(update_fields=["credit"])
    return PrepaidMovement.objects.create(
        account=account,
        kind=PrepaidMovement.Kind.FEE,
        credit_change=-amount,
        valid_until=account.valid_until,
        actor=actor,
        reason=label,
    )


@dataclass
class SweepResult:
    restored: int = 0
    grace: int = 0
    preservation: int = 0
    terminated: int = 0


def _due(status: str, period_end: str, ended: bool, today: date) -> QuerySet[Line]:
    lookup = "lt" if ended else "gte"
    return Line.objects.filter(
        status=status,
        offer__kind=Offer.Kind.PREPAID,
        **{f"prepaid_account__{period_end}__{lookup}": today},
    )


def _claim(
    status: str, period_end: str, ended: bool, today: date, *, skip_locked: bool
) -> list[Line]:
    """A batch of due lines, locked. The accounts are read after the locks are held: a top-up
    holds the line's lock while it extends the validity, so what is read then is current."""
    lines = list(
        _due(status, period_end, ended, today)
        .select_related("number")
        .select_for_update(skip_locked=skip_locked, of=("self",))
        .order_by("pk")[: settings.SWEEP_BATCH_SIZE]
    )
    accounts = PrepaidAccount.objects.in_bulk([line.pk for line in lines], field_name="line_id")
    for line in lines:
        line.prepaid_account = accounts[line.pk]
    return [
        line
        for line in lines
        if (end := getattr(line.prepaid_account, period_end)) is not None and (end < today) == ended
    ]


def _period_end(account: PrepaidAccount, field: str) -> date:
    """The end of the period a claimed line is leaving (`_claim` keeps only those where it is
    set)."""
    return getattr(account, field)


class GridDays:
    """Grid parameters read once per day within a batch (R2.8, R2.9 durations)."""

    def __init__(self) -> None:
        self._cache: dict[date, GridParameters] = {}

    def __call__(self, day: date) -> GridParameters:
        if day not in self._cache:
            self._cache[day] = grid_parameters(on=day)
        return self._cache[day]


def _restore(lines: list[Line], grid: GridDays, today: date) -> None:
    """R2.8: a line in grace whose validity runs again (topped up while it was suspended) is
    active. A line in preservation is shown active only when the network confirms that it may
    call again (suspensions.line_restore_after_unblock), so no step restores it here."""
    for line in lines:
        line.prepaid_account.grace_until = line.prepaid_account.preservation_until = None
    PrepaidAccount.objects.bulk_update(
        [line.prepaid_account for line in lines], ["grace_until", "preservation_until"]
    )
    lines_transition(
        lines=lines,
        to=S.ACTIVE,
        job=JOB,
        reason=gettext_noop("Validity restored by a top-up made while suspended (R2.8, R2.9)"),
    )


def _enter_grace(lines: list[Line], grid: GridDays, today: date) -> None:
    """R2.8: the day after its validity the line enters 90 days of grace (grid)."""
    for line in lines:
        valid_until = _period_end(line.prepaid_account, "valid_until")
        grace_days = grid(valid_until + timedelta(days=1)).prepaid_grace_days
        line.prepaid_account.grace_until = valid_until + timedelta(days=grace_days)
    PrepaidAccount.objects.bulk_update([line.prepaid_account for line in lines], ["grace_until"])
    lines_transition(
        lines=lines,
        to=S.GRACE,
        job=JOB,
        reason=gettext_noop("Validity ended: grace period (R2.8)"),
    )


def _enter_preservation(lines: list[Line], grid: GridDays, today: date) -> None:
    """R2.9: after grace, 90 days (grid) of receiving only; the balances are forfeited."""
    forfeits = []
    for line in lines:
        account = line.prepaid_account
        grace_until = _period_end(account, "grace_until")
        preservation_days = grid(grace_until + timedelta(days=1)).prepaid_preservation_days
        account.preservation_until = grace_until + timedelta(days=preservation_days)
        if account.credit or account.bonus:
            forfeits.append(
                PrepaidMovement(
                    account=account,
                    kind=PrepaidMovement.Kind.FORFEIT,
                    credit_change=-account.credit,
                    bonus_change=-account.bonus,
                    valid_until=account.valid_until,
                    job=JOB,
                    reason=gettext_noop("Preservation period: balances forfeited (R2.9)"),
                )
            )
        account.credit = account.bonus = 0
    PrepaidAccount.objects.bulk_update(
        [line.prepaid_account for line in lines], ["preservation_until", "credit", "bonus"]
    )
    PrepaidMovement.objects.bulk_create(forfeits)
    lines_transition(
        lines=lines,
        to=S.PRESERVATION,
        job=JOB,
        reason=gettext_noop("Grace ended: preservation period, receiving only (R2.9)"),
    )
    provisioning_orders_request(
        (
            line,
            ProvisioningOrder.Action.RECEIVE_ONLY,
            f"prepaid-preservation-{line.pk}-{line.prepaid_account.grace_until}",
            "R2.9: preservation period, receiving only",
            {},
        )
        for line in lines
    )


# (result, status left, period end read, whether that period has ended, what is done)
Step = tuple[str, str, str, bool, Callable[[list[Line], GridDays, date], None]]

STEPS: list[Step] = [
    ("restored", S.GRACE, "valid_until", False, _restore),
    ("grace", S.ACTIVE, "valid_until", True, _enter_grace),
    ("preservation", S.GRACE, "grace_until", True, _enter_preservation),
]
# The last step, preservation over without a top-up (R2.9), ends lines: `terminations.sweeps`
# adds it (`PREPAID_STEPS`), since ending a line lives above this app.


def prepaid_steps_run(steps: list[Step], *, today: date) -> SweepResult:
    """Move every prepaid line whose period ended before `today` into the next one, step by step
    in the order given; returns how many lines entered each period."""
    result = SweepResult()
    grid = GridDays()
    for name, status, period_end, ended, step in steps:
        # First the lines nobody holds, so that sweeps running at once share the work; then,
        # waiting for the locks, the lines a top-up or another job held meanwhile.
        for skip_locked in (True, False):
            while True:
                with transaction.atomic():
                    lines = _claim(status, period_end, ended, today, skip_locked=skip_locked)
                    if lines:
                        step(lines, grid, today)
                if not lines:
                    break
                setattr(result, name, getattr(result, name) + len(lines))
    return result


CODE_DIGITS = 14

# R2.3: a code of 14 digits cannot be found by trying; counting a customer's wrong codes stops a
# script from trying anyway. After FAILURE_LIMIT wrong codes within FAILURE_WINDOW, wait.
FAILURE_LIMIT = 5

FAILURE_WINDOW = timedelta(minutes=30)

# A batch is generated in one transaction: a few seconds for the largest one printed at once.
MAX_BATCH = 10_000


class TopUpRefused(Exception):
    """The top-up cannot be made; the message is for the person who tried."""


@dataclass(frozen=True)
class PrintedCode:
    serial: str
    code: str


def code_normalise(raw: str) -> str:
    """The digits of a code as typed (spaces and dashes of the printed card left out)."""
    return "".join(c for c in raw if c.isdigit())


def code_digest(code: str) -> str:
    return salted_hmac(
        "subscriptions.recharge_code", code_normalise(code), algorithm="sha256"
    ).hexdigest()


def recharge_batch_generate(
    *, amount: Decimal, quantity: int, actor: User, label: str = ""
) -> tuple[RechargeCodeBatch, list[PrintedCode]]:
    """R2.3: a batch of single-use codes. The codes in clear are returned here, once, for the
    printer; the database keeps their digests only."""
    if not 1 <= quantity <= MAX_BATCH:
        raise TopUpRefused(_("A batch holds from 1 to %(max)d codes.") % {"max": MAX_BATCH})
    codes: set[str] = set()
    while len(codes) < quantity:
        codes.add(f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}")
    with transaction.atomic():
        batch = RechargeCodeBatch.objects.create(
            amount=tnd(amount), quantity=quantity, label=label, created_by=actor
        )
        printed = [
            PrintedCode(serial=f"{batch.pk:06d}{n:06d}", code=code)
            for n, code in enumerate(codes, 1)
        ]
        RechargeCode.objects.bulk_create(
            RechargeCode(
                batch=batch, serial=p.serial, digest=code_digest(p.code), amount=batch.amount
            )
            for p in printed
        )
    return batch, printed


def _failures_recently(user: User) -> int:
    since = timezone.now() - FAILURE_WINDOW
    return RechargeCodeFailure.objects.filter(user=user, at__gte=since).count()


def scratch_card_check(line: Line) -> None:
    """R10.6, R10.7: recharge cards credit a prepaid line, or a capped postpaid line whose fees
    may be paid from that credit; an ordinary postpaid line pays its usage by invoice."""
    if line.offer.kind == Offer.Kind.POSTPAID:
        raise TopUpRefused(
            _(
                "This line is postpaid: its usage is billed on its monthly invoice, so it "
                "cannot be topped up with a recharge card. Only prepaid lines and capped "
                "postpaid offers take recharge cards."
            )
        )


def top_up_with_code(*, line: Line, code: str, user: User) -> TopUp:
    """R2.3: a recharge card or ticket, used once. A used code fails with the day it was used;
    wrong codes are counted and, past the limit, refused for a while without being checked."""
    scratch_card_check(line)  # before the code is claimed: a refused line keeps the code good
    if _failures_recently(user) >= FAILURE_LIMIT:
        raise TopUpRefused(
            _("Too many wrong codes. Try again in %(minutes)d minutes.")
            % {"minutes": FAILURE_WINDOW.seconds // 60}
        )
    digest = code_digest(code)
    with transaction.atomic():
        # The conditional update claims the code: of two people typing it at once, one wins.
        claimed = RechargeCode.objects.filter(digest=digest, used_at__isnull=True).update(
            used_at=timezone.now()
        )
        recharge_code = RechargeCode.objects.filter(digest=digest).first() if claimed else None
        if recharge_code is not None:
            return _top_up_apply(
                line=line,
                channel=TopUp.Channel.CODE,
                amount=recharge_code.amount,
                reference=recharge_code.serial,
                recharge_code=recharge_code,
                actor=user,
            )
    used = RechargeCode.objects.filter(digest=digest).first()
    RechargeCodeFailure.objects.create(user=user, reason="used" if used else "unknown")
    if used:
        raise TopUpRefused(
            _("This code was already used on %(date)s. A code can be used once only.")
            % {"date": date_format(timezone.localtime(used.used_at), "SHORT_DATETIME_FORMAT")}
        )
    raise TopUpRefused(_("This code is not valid. Check the digits on the card."))


def top_up_record(
    *,
    line: Line,
    channel: str,
    amount: Decimal,
    reference: str,
    actor: User | None = None,
    job: str = "",
) -> TopUp | None:
    """R2.3: a Banka (bank card) or Light (USSD) payment credited to the line. None when that
    channel's reference was already recorded: a payment imported twice adds nothing."""
    if channel not in (TopUp.Channel.BANKA, TopUp.Channel.LIGHT):
        raise TopUpRefused(_("Recharge codes are used by the customer, not recorded."))
    reference = reference.strip()
    if not reference:
        raise TopUpRefused(_("The payment's reference is required."))
    if TopUp.objects.filter(channel=channel, reference=reference).exists():
        return None
    try:
        with transaction.atomic():
            return _top_up_apply(
                line=line,
                channel=channel,
                amount=tnd(amount),
                reference=reference,
                actor=actor,
                job=job,
            )
    except IntegrityError:
        # The same payment recorded at the same moment by another import: it counts once.
        if TopUp.objects.filter(channel=channel, reference=reference).exists():
            return None
        raise


def _new_validity(account: PrepaidAccount, *, amount: Decimal, today: date) -> date:
    """R2.7: the validity opened by a top-up starts today and lasts per the grid; a top-up
    never shortens a validity already running."""
    days = prepaid_validity_days(amount, on=today)
    opened = today + timedelta(days=days - 1)
    running = account.valid_until if account.valid_until and account.valid_until >= today else None
    return max(opened, running) if running else opened


def _top_up_apply(
    *,
    line: Line,
    channel: str,
    amount: Decimal,
    reference: str,
    recharge_code: RechargeCode | None = None,
    actor: User | None = None,
    job: str = "",
) -> TopUp:
    """Credit the line and apply R2.7 to R2.9. The caller holds a transaction."""
    if amount <= 0:
        raise TopUpRefused(_("The amount must be positive."))
    # The line's row lock orders top-ups and the prepaid sweep on one line: the period the
    # top-up falls in is the one the line is in when it is credited.
    line = Line.objects.select_for_update().select_related("offer").get(pk=line.pk)
    if line.status in (S.PENDING, S.TERMINATED):
        raise TopUpRefused(_("This line cannot be topped up: it is not in service."))
    account, _created = PrepaidAccount.objects.select_for_update().get_or_create(line=line)
    today = timezone.localdate()
    status = line.status
    prepaid = line.offer.kind == Offer.Kind.PREPAID
    valid_until = _new_validity(account, amount=amount, today=today) if prepaid else None
    # R2.8: in grace the balances are kept; R2.9: they were forfeited when preservation began.
    balances_kept = status != S.PRESERVATION
    top_up = TopUp.objects.create(
        line=line,
        channel=channel,
        amount=amount,
        reference=reference,
        recharge_code=recharge_code,
        line_status=status,
        balances_kept=balances_kept,
        valid_until=valid_until,
        actor=actor,
        job=job,
    )
    account.credit += amount
    if prepaid:
        account.valid_until = valid_until
        if status in (S.ACTIVE, S.GRACE, S.PRESERVATION):
            account.grace_until = account.preservation_until = None
    account.save()
    PrepaidMovement.objects.create(
        account=account,
        kind=PrepaidMovement.Kind.TOP_UP,
        credit_change=amount,
        valid_until=valid_until,
        top_up=top_up,
        actor=actor,
        job=job,
        reason=f"{top_up.get_channel_display()} {reference}",
    )
    if prepaid and status == S.GRACE:
        line_transition(
            line=line,
            to=S.ACTIVE,
            actor=actor,
            job=job,
            reason=gettext_noop("Top-up in grace: validity restored, balances kept (R2.8)"),
        )
    elif prepaid and status == S.PRESERVATION:
        # R2.9: the line stays receive-only until the network confirms that it may call again;
        # the confirmation shows it active (suspensions.line_restore_after_unblock).
        provisioning_request(
            line=line,
            action=ProvisioningOrder.Action.UNBLOCK,
            key=f"top-up-{top_up.pk}-unblock",
            reason="R2.9: top-up in preservation, calls out allowed again",
        )
    return top_up


COLUMNS = ["channel", "msisdn", "amount", "reference"]

CHANNELS = {TopUp.Channel.BANKA.value, TopUp.Channel.LIGHT.value}


@dataclass
class TopUpImportReport:
    recorded: int = 0
    already_recorded: int = 0
    errors: list[dict] = field(default_factory=list)


class RowRefused(ValueError):
    pass


def _row_values(row: dict) -> tuple[str, Line, Decimal, str]:
    channel = (row.get("channel") or "").strip().lower()
    if channel not in CHANNELS:
        raise RowRefused(f"channel must be one of {sorted(CHANNELS)}")
    try:
        msisdn = normalize_msisdn(row.get("msisdn") or "")
        amount = tnd(row.get("amount") or "")
    except (ValidationError, ValueError, InvalidOperation) as error:
        raise RowRefused(f"bad number or amount: {error}") from error
    reference = (row.get("reference") or "").strip()
    if not reference:
        raise RowRefused("the reference is missing")
    line = (
        Line.objects.filter(number__msisdn=msisdn)
        .exclude(status=Line.Status.TERMINATED)
        .select_related("offer")
        .first()
    )
    if line is None:
        raise RowRefused(f"no line in service with the number {msisdn}")
    return channel, line, amount, reference


def top_ups_import(*, name: str, content: bytes) -> TopUpImportReport:
    """R2.3: record every payment of the file once; the job named in each top-up is the file."""
    report = TopUpImportReport()
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    if reader.fieldnames is None or set(COLUMNS) - set(reader.fieldnames):
        report.errors.append({"row": 1, "error": f"the columns must be {', '.join(COLUMNS)}"})
        return report
    for number, row in enumerate(reader, start=2):
        try:
            channel, line, amount, reference = _row_values(row)
            recorded = top_up_record(
                line=line,
                channel=channel,
                amount=amount,
                reference=reference,
                job=f"top-up import {name}"[:80],
            )
        except (RowRefused, TopUpRefused) as error:
            report.errors.append({"row": number, "error": str(error)})
            continue
        if recorded is None:
            report.already_recorded += 1
        else:
            report.recorded += 1
    return report
