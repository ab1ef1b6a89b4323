"""Deposits (R12.1, R12.2): held from the first activation, refunded at the end of the contract
minus the unreturned SIM or terminal fees and every sum still owed, not earlier than one month
after the final invoice."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.db import transaction

from billing.models import Deposit, Invoice
from billing.payments import account_balance
from catalogue.models import Fee
from catalogue.selectors import fee_amount
from lib.money import ZERO, tnd
from subscriptions.models import Contract


def deposit_hold(*, contract: Contract, amount: Decimal, on: date) -> Deposit | None:
    """Record the deposit the grid asked for (R12.1); nothing when the grid asks none."""
    if tnd(amount) <= 0:
        return None
    deposit, _ = Deposit.objects.get_or_create(
        contract=contract, defaults={"amount": tnd(amount), "received_on": on}
    )
    return deposit


@dataclass(frozen=True)
class Refund:
    deposit: Decimal
    unreturned_fees: Decimal
    owed: Decimal
    amount: Decimal
    not_before: date


def deposit_refund_schedule(
    *,
    contract: Contract,
    final_invoice: Invoice | None,
    sim_returned: bool,
    terminal_returned: bool = True,
    ended_on: date | None = None,
) -> Refund:
    """R12.2: what comes back, and from when (one month after the final invoice, or after the
    contract's end when nothing was left to invoice); the refund is recorded on the deposit."""
    day = final_invoice.issued_on if final_invoice else ended_on
    if day is None:
        raise ValueError("A refund is counted from the final invoice or the contract's end.")
    with transaction.atomic():
        deposit = Deposit.objects.select_for_update().get(contract=contract)
        fees = ZERO
        if not sim_returned:
            fees += fee_amount(Fee.Kind.UNRETURNED_SIM, on=day)
        if not terminal_returned:
            fees += fee_amount(Fee.Kind.UNRETURNED_TERMINAL, on=day)
        owed = max(account_balance(contract), ZERO)
        amount = max(tnd(deposit.amount - fees - owed), ZERO)
        not_before = day + relativedelta(months=1)
        deposit.refund_amount, deposit.refund_due_on = amount, not_before
        deposit.save(update_fields=["refund_amount", "refund_due_on"])
    return Refund(deposit.amount, fees, owed, amount, not_before)
