"""R19.1: a legal recovery statement, interest to the millime."""

from datetime import date, datetime
from decimal import Decimal

from billing.invoicing import Period
from billing.payments import payment_record
from billing.recovery import recovery_statement, remaining_commitment_fees
from tests.billing.test_invoicing import account, issue


def test_r19_1_statement_of_fees_commitment_and_simple_interest(grid, agent):
    line = account(activated=datetime(2026, 1, 1, 9, 0))  # commitment until 2026-12-31
    september = issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))  # due 2026-10-16
    payment_record(contract=line.contract, amount="4.800", method="cash", actor=agent)
    statement = recovery_statement(contract=line.contract, on=date(2026, 11, 15), instances=2)
    assert statement.unpaid_invoices == Decimal("20.000")
    (interest,) = statement.interest_lines
    assert interest.invoice == september and interest.days == 30
    assert interest.interest == Decimal("0.214")  # 20 x 13 % x 30 / 365 = 0.21369...
    assert statement.admin_fee == Decimal("40.000")
    assert statement.lawyer_fees == Decimal("500.000")
    assert statement.unbilled_commitment == Decimal("20.000")  # December 2026
    assert statement.total == Decimal("580.214")


def test_r19_1_no_interest_before_the_due_date(grid):
    line = account()
    issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    statement = recovery_statement(contract=line.contract, on=date(2026, 10, 10))
    assert statement.interest == Decimal("0.000")


def test_r19_1_unbilled_minimum_period_counts_a_partial_last_month_by_days(grid):
    line = account(activated=datetime(2026, 1, 16, 9, 0))  # commitment until 2027-01-15
    fees = remaining_commitment_fees(line.contract, on=date(2026, 11, 20))
    assert fees == Decimal("29.677")  # December: 20.000, January 15/31: 9.677


def test_r19_1_statement_pdf_from_the_admin(client, grid, supervisor):
    import io

    from django.urls import reverse
    from pypdf import PdfReader

    line = account()
    issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:subscriptions_contract_changelist"),
        {"action": "legal_recovery_statement", "_selected_action": [line.contract_id]},
    )
    assert response["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages[0].extract_text()
    assert line.contract.reference in text and "40,000" in text


def test_r10_5_recovery_costs_are_charged_with_the_debt_per_instance(grid):
    line = account(activated=datetime(2026, 1, 1, 9, 0))
    issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    one = recovery_statement(contract=line.contract, on=date(2026, 11, 15), instances=1)
    three = recovery_statement(contract=line.contract, on=date(2026, 11, 15), instances=3)
    assert (one.admin_fee, one.lawyer_fees) == (Decimal("40.000"), Decimal("250.000"))
    assert three.lawyer_fees == Decimal("750.000")
    assert three.total - one.total == Decimal("500.000")  # only the lawyer fees differ
