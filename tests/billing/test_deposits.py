"""Deposits: held per the grid (R12.1), refunded minus fees and debts, a month after (R12.2)."""

from datetime import date
from decimal import Decimal

from billing.deposits import deposit_hold, deposit_refund_schedule
from billing.invoicing import Period
from billing.payments import payment_record
from tests.billing.helpers import account, issue


def test_r12_1_no_deposit_is_held_when_the_grid_asks_none(grid):
    assert (
        deposit_hold(contract=account().contract, amount=Decimal("0"), on=date(2026, 9, 1)) is None
    )


def test_r12_2_refund_minus_unreturned_sim_and_what_is_owed_one_month_after_final_invoice(grid):
    line = account()
    deposit_hold(contract=line.contract, amount=Decimal("50.000"), on=date(2026, 9, 1))
    final = issue(line)  # 24.800 unpaid, issued 2026-11-01
    refund = deposit_refund_schedule(
        contract=line.contract, final_invoice=final, sim_returned=False
    )
    assert refund.unreturned_fees == Decimal("5.000") and refund.owed == Decimal("24.800")
    assert refund.amount == Decimal("20.200")
    assert refund.not_before == date(2026, 12, 1)
    line.contract.deposit.refresh_from_db()
    assert line.contract.deposit.refund_amount == Decimal("20.200")


def test_r12_2_a_paid_up_account_with_its_sim_back_gets_the_whole_deposit(grid, agent):
    line = account()
    deposit_hold(contract=line.contract, amount=Decimal("50.000"), on=date(2026, 9, 1))
    final = issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    payment_record(contract=line.contract, amount=final.total_incl_tax, method="cash", actor=agent)
    refund = deposit_refund_schedule(contract=line.contract, final_invoice=final, sim_returned=True)
    assert refund.amount == Decimal("50.000") and refund.not_before == date(2026, 11, 1)


def test_r12_2_debts_larger_than_the_deposit_leave_nothing_to_refund(grid):
    line = account()
    deposit_hold(contract=line.contract, amount=Decimal("10.000"), on=date(2026, 9, 1))
    refund = deposit_refund_schedule(
        contract=line.contract,
        final_invoice=issue(line),
        sim_returned=True,
        terminal_returned=False,
    )
    assert refund.amount == Decimal("0.000")
