"""Credit control: limit per account with its history (R11.1), advance payments (R11.2)."""

from datetime import date
from decimal import Decimal

import time_machine

from billing.credit import (
    account_exposure,
    advance_payment_record,
    credit_control_sweep,
    credit_limit_of,
    credit_limit_set,
)
from billing.invoicing import Period
from billing.models import AdvancePaymentRequest, CreditLimit
from billing.payments import balance_of, invoices_with_balance
from tests.billing.helpers import account, issue


def test_r11_1_supervisor_revises_the_limit_and_each_change_is_kept(grid, supervisor):
    contract = account().contract
    credit_limit_set(contract=contract, amount="100", actor=supervisor, reason="Ouverture")
    credit_limit_set(contract=contract, amount="60", actor=supervisor, reason="Retards répétés")
    assert credit_limit_of(contract) == Decimal("60.000")
    history = list(CreditLimit.objects.filter(contract=contract).values_list("amount", "reason"))
    assert history == [(Decimal("60.000"), "Retards répétés"), (Decimal("100.000"), "Ouverture")]


def test_r11_1_exposure_counts_unpaid_invoices_and_the_month_so_far(grid):
    line = account()
    issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))  # 24.800 unpaid
    exposure = account_exposure(line.contract, on=date(2026, 10, 15))
    assert exposure == Decimal("36.316")  # + 20 x 15/31 = 9.677 excl. tax, 11.516 with VAT


def test_r11_2_exceeding_the_limit_asks_an_advance_once(grid, supervisor):
    line = account()
    issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    credit_limit_set(contract=line.contract, amount="30", actor=supervisor, reason="test")
    asked = credit_control_sweep(today=date(2026, 10, 15))
    assert [(r.reason, r.amount) for r in asked] == [("credit_limit", Decimal("6.316"))]
    assert credit_control_sweep(today=date(2026, 10, 15)) == []
    assert AdvancePaymentRequest.objects.count() == 1


def test_r11_2_a_late_invoice_asks_an_advance(grid):
    line = account()
    issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))  # due 2026-10-16
    assert credit_control_sweep(today=date(2026, 10, 16)) == []
    (request,) = credit_control_sweep(today=date(2026, 10, 17))
    assert (request.reason, request.amount) == ("late_payment", Decimal("24.800"))


def test_r11_2_the_advance_is_deducted_from_the_next_invoice_which_keeps_its_totals(grid, agent):
    line = account()
    september = issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    (request,) = credit_control_sweep(today=date(2026, 10, 20))
    with time_machine.travel(date(2026, 10, 20), tick=False):
        advance_payment_record(request=request, amount="30.000", method="cash", actor=agent)
    balances = {i.number: balance_of(i) for i in invoices_with_balance(line.contract)}
    assert balances[september.number] == Decimal("24.800")  # an advance is not for old debts
    october = issue(line)
    assert october.total_incl_tax == Decimal("24.800")
    assert october.advance_deducted == Decimal("24.800")
    request.refresh_from_db()
    assert request.payment.amount == Decimal("30.000")  # no interest, nothing added
