"""R19.1: a legal recovery statement, interest to the millime."""

import html
import re
from datetime import date, datetime
from decimal import Decimal

import pytest

from billing.invoicing import Period
from billing.payments import payment_record
from billing.recovery import recovery_statement
from lib.money import tnd
from tests.billing.helpers import account, issue


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
    statement = recovery_statement(contract=line.contract, on=date(2026, 10, 10), instances=1)
    assert statement.interest == Decimal("0.000")


def test_r19_1_unbilled_minimum_period_counts_a_partial_last_month_by_days(grid):
    line = account(activated=datetime(2026, 1, 16, 9, 0))  # commitment until 2027-01-15
    statement = recovery_statement(contract=line.contract, on=date(2026, 11, 20), instances=1)
    assert statement.unbilled_commitment == Decimal(
        "29.677"
    )  # December: 20.000, January 15/31: 9.677


def test_r19_1_statement_pdf_from_the_admin(client, grid, supervisor):
    import io

    from django.urls import reverse
    from pypdf import PdfReader

    line = account()
    issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:subscriptions_contract_changelist"),
        {
            "action": "legal_recovery_statement",
            "_selected_action": [line.contract_id],
            "instances": "1",
        },
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


# --- The statement as printed, from the admin action -----------------------------------------


AMOUNT = r"(\d{1,3}(?: \d{3})*,\d{3}) TND"


def value(printed: str) -> Decimal:
    return Decimal(printed.replace(" ", "").replace(",", "."))


def admin_statement(client, supervisor, contract_id: int, **fields):
    """The supervisor runs the admin action on the account on 15/11/2026 (local time)."""
    from django.urls import reverse
    from django.utils import timezone
    from time_machine import travel

    client.force_login(supervisor)
    with travel(timezone.make_aware(datetime(2026, 11, 15, 10, 0)), tick=False):
        return client.post(
            reverse("admin:subscriptions_contract_changelist"),
            {"action": "legal_recovery_statement", "_selected_action": [contract_id], **fields},
        )


def unpaid_account():
    """Forfait Liberté 20 from 16/01/2026 (committed until 15/01/2027), September's invoice
    (24,800 TND, due 16/10/2026) unpaid."""
    from django.utils import timezone
    from time_machine import travel

    with travel(timezone.make_aware(datetime(2026, 1, 16, 9, 0)), tick=False):
        line = account(activated=datetime(2026, 1, 16, 9, 0))
    with travel(timezone.make_aware(datetime(2026, 10, 1, 8, 0)), tick=False):
        issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    return line


def statement_text(response, tmp_path) -> str:
    from pathlib import Path

    from tests.billing.helpers import flat, words

    assert response["Content-Type"] == "application/pdf"
    pdf = Path(tmp_path) / "statement.pdf"
    pdf.write_bytes(b"".join(response.streaming_content))
    return html.unescape(flat(" ".join(word.text for word in words(pdf))))


def test_r19_1_the_admin_asks_how_many_instances_before_the_statement(client, grid, supervisor):
    line = unpaid_account()
    page = admin_statement(client, supervisor, line.contract_id)
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert 'name="instances"' in page.content.decode()
    assert line.contract.reference in page.content.decode()


def test_r19_1_statement_prints_the_rate_as_a_percentage_and_two_instances_of_lawyer_fees(
    client, grid, supervisor, tmp_path
):
    line = unpaid_account()
    text = statement_text(
        admin_statement(client, supervisor, line.contract_id, instances="2"), tmp_path
    )

    assert "13 %" in text and "0,13" not in text  # the yearly rate, as a percentage
    assert "Honoraires d'avocat : 2 instances × 250,000 TND 500,000 TND" in text
    # The interest line: 24,800 unpaid, 30 days late, 24,800 × 13 % × 30 / 365 = 0,265.
    assert re.search(r"24,800 TND 30 0,265 TND", text), text
    # The minimum period's fees: December and 15 days of January's 31.
    detail = re.search(
        rf"{re.escape(line.number.msisdn)} — (\d+) mois × {AMOUNT} \+ (\d+) jours / (\d+) × "
        rf"{AMOUNT} = {AMOUNT}",
        text,
    )
    assert detail, text
    months, fee, days, month_days, fee_again, amount = detail.groups()
    assert (int(months), int(days), int(month_days)) == (1, 15, 31)
    assert fee == fee_again
    computed = tnd(value(fee) * int(months) + tnd(value(fee) * int(days) / int(month_days)))
    assert computed == value(amount) == Decimal("29.677")

    # The statement adds up as printed.
    summary = {
        label: value(found)
        for label, found in re.findall(
            r"(Factures impayées|Intérêts de retard|Frais administratifs|"
            r"2 instances × 250,000 TND|non encore facturées|Total dû) " + AMOUNT,
            text,
        )
    }
    assert summary["2 instances × 250,000 TND"] == Decimal("500.000")
    total = summary.pop("Total dû")
    assert sum(summary.values()) == total == Decimal("594.742")


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("fr", "Une action en justice passe par une instance au moins."),
        ("ar", "تمر الدعوى القضائية بدرجة تقاضٍ واحدة على الأقل."),
        ("en", "A legal action goes through one instance at least."),
    ],
    ids=["fr", "ar", "en"],
)
def test_r19_1_the_number_of_instances_is_validated(language, message):
    from django.utils import timezone, translation
    from time_machine import travel

    from billing.forms import RecoveryStatementForm

    with (
        travel(timezone.make_aware(datetime(2026, 11, 15, 10, 0)), tick=False),
        translation.override(language),
    ):
        for wrong, code in (("0", "min_value"), ("-1", "min_value"), ("deux", "invalid")):
            form = RecoveryStatementForm({"instances": wrong})
            assert not form.is_valid()
            assert form.errors.as_data()["instances"][0].code == code
        assert RecoveryStatementForm({"instances": "0"}).errors["instances"] == [message]
    assert RecoveryStatementForm({"instances": "3"}).is_valid()


def test_r19_1_an_invalid_number_of_instances_gives_no_statement(client, grid, supervisor):
    line = unpaid_account()
    page = admin_statement(client, supervisor, line.contract_id, instances="0")
    assert page["Content-Type"].startswith("text/html")
    assert page.context["form"].errors.as_data()["instances"][0].code == "min_value"
