"""Top-ups (R2.3): recharge codes, Banka and Light, and what a top-up does to the line's periods
(R2.7 to R2.9).

A recharge code is kept as an HMAC keyed by SECRET_KEY: the database alone gives no code back,
and changing SECRET_KEY makes the codes not yet used unusable (generate new batches then).
"""

import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from lib.money import tnd
from catalogue.models import Offer
from catalogue.selectors import prepaid_validity_days
from subscriptions.lifecycle.records import line_transition
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
from subscriptions.services.suspensions import provisioning_request

S = Line.Status
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


def top_up_with_code(*, line: Line, code: str, user: User) -> TopUp:
    """R2.3: a recharge card or ticket, used once. A used code fails with the day it was used;
    wrong codes are counted and, past the limit, refused for a while without being checked."""
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
