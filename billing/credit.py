"""Credit control (R11.1, R11.2): a credit limit per account, revisable with its history, and
advance payment requests when it is exceeded or when an invoice is paid late."""

from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from billing.invoicing import Period, contract_for_billing, draft_lines
from billing.models import AdvancePaymentRequest, Charge, CreditLimit, Invoice, Payment
from billing.payments import PaymentRefused, balance_of, invoices_with_balance, payment_record
from billing.signals import advance_paid
from catalogue.selectors import grid_parameters
from lib.money import ZERO, tnd
from subscriptions.models import Contract


def credit_limit_set(*, contract: Contract, amount, actor: User, reason: str) -> CreditLimit:
    """R11.1: a supervisor revises the limit; the change is recorded, never overwritten."""
    return CreditLimit.objects.create(
        contract=contract, amount=tnd(amount), set_by=actor, reason=reason
    )


def credit_limit_of(contract: Contract) -> Decimal | None:
    row = contract.credit_limits.order_by("-set_at", "-pk").first()
    return row.amount if row else None


def account_exposure(contract: Contract, *, on: date) -> Decimal:
    """R11.1: what the account owes (tax included): its unpaid invoices, plus what the month's
    invoice would hold so far (fees to date, usage beyond allowances, pending charges)."""
    unpaid = sum((max(balance_of(i), ZERO) for i in invoices_with_balance(contract)), ZERO)
    month = Period.month(on)
    charges = list(
        Charge.objects.filter(contract=contract, invoice__isnull=True, charged_on__lte=on)
    )
    billing_view = contract_for_billing(contract.pk, Period(month.start, on))  # usage to date
    drafts = draft_lines(billing_view, month, charges, until=on)
    excl = sum((d.amount for d in drafts), ZERO)
    return tnd(unpaid + excl * (1 + grid_parameters(on=on).vat_rate))


def _ask(
    contract: Contract, reason: str, amount: Decimal, on: date
) -> AdvancePaymentRequest | None:
    try:
        with transaction.atomic():
            return AdvancePaymentRequest.objects.create(
                contract=contract, reason=reason, amount=tnd(amount), requested_on=on
            )
    except IntegrityError:  # one open request per account and reason: it is already asked
        return None


def credit_control_sweep(*, today: date) -> list[AdvancePaymentRequest]:
    """Daily: ask an advance of every account over its limit or late with an invoice (R11.2);
    an account already asked for the same reason is not asked twice."""
    asked = []
    limited = Contract.objects.filter(Exists(CreditLimit.objects.filter(contract=OuterRef("pk"))))
    for contract in limited:
        exposure, limit = account_exposure(contract, on=today), credit_limit_of(contract)
        if limit is not None and exposure > limit:
            asked.append(
                _ask(contract, AdvancePaymentRequest.Reason.CREDIT_LIMIT, exposure - limit, today)
            )
    late = Contract.objects.filter(
        Exists(Invoice.objects.filter(contract=OuterRef("pk"), due_on__lt=today))
    )
    for contract in late:
        overdue = sum(
            (
                balance_of(i)
                for i in invoices_with_balance(contract)
                if i.due_on < today and balance_of(i) > 0
            ),
            ZERO,
        )
        if overdue > 0:
            asked.append(_ask(contract, AdvancePaymentRequest.Reason.LATE_PAYMENT, overdue, today))
    return [request for request in asked if request is not None]


def advance_payment_record(
    *,
    request: AdvancePaymentRequest,
    amount: Decimal | str,
    method: str,
    actor: User,
    reference: str = "",
    received_on: date | None = None,
) -> Payment:
    """R11.2: the advance answers its request and is kept for the next invoices, which show it
    as deducted. R13.1: the credit-control suspension the request caused is lifted at once in
    the agent's name (other causes stay open); the network is asked to unblock, and the line
    shows restored when it confirms."""
    with transaction.atomic():
        # Two agents recording the same advance at once: the first closes the request under its
        # row lock, the second is refused instead of taking the money twice.
        locked = AdvancePaymentRequest.objects.select_for_update().get(pk=request.pk)
        if locked.payment_id is not None:
            raise PaymentRefused(_("This advance payment request is already paid."))
        received_on = received_on or timezone.localdate()
        if received_on < locked.requested_on:
            raise PaymentRefused(_("An advance is received on or after the day it was asked."))
        payment = payment_record(
            contract=locked.contract,
            amount=amount,
            method=method,
            actor=actor,
            reference=reference,
            received_on=received_on,
            is_advance=True,
        )
        locked.payment = request.payment = payment
        locked.save(update_fields=["payment"])
        # R13.1: the credit-control cause lifted in the agent's name (subscriptions.receivers).
        advance_paid.send(
            sender=AdvancePaymentRequest, customer_id=locked.contract.customer_id, actor=actor
        )
    return payment
