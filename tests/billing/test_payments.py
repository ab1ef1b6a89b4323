"""Payments: oldest invoices first, no discount for paying early (R10.3), bounced (R9.4)."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.invoicing import Period
from billing.models import Charge
from billing.payments import (
    PaymentRefused,
    account_balance,
    payment_record,
    payment_reverse,
)
from tests.billing.helpers import account, balances, issue


@pytest.fixture
def two_invoices(grid):
    line = account()
    september = issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    october = issue(line)
    return line.contract, september, october


def test_r10_1_a_payment_settles_the_oldest_invoice_first(two_invoices, agent):
    contract, *_ = two_invoices
    payment_record(contract=contract, amount="30.000", method="cash", actor=agent)
    assert balances(contract) == [Decimal("0.000"), Decimal("19.600")]  # 24.800 each


def test_r10_3_paying_early_gives_no_discount(two_invoices, agent):
    contract, _september, october = two_invoices
    payment_record(
        contract=contract,
        amount="49.600",
        method="cheque",
        actor=agent,
        received_on=date(2026, 11, 2),
    )
    assert balances(contract) == [Decimal("0.000"), Decimal("0.000")]
    assert account_balance(contract) == Decimal("0.000")
    assert october.due_on > date(2026, 11, 2)


def test_money_in_advance_settles_the_next_invoice(grid, agent):
    line = account()
    payment_record(contract=line.contract, amount="50.000", method="cash", actor=agent)
    issue(line)
    assert balances(line.contract) == [Decimal("0.000")]
    assert account_balance(line.contract) == Decimal("-25.200")


def test_r9_4_a_bounced_cheque_reopens_the_invoice_and_adds_the_fee(two_invoices, agent):
    contract, *_ = two_invoices
    cheque = payment_record(
        contract=contract, amount="24.800", method="cheque", reference="CHQ 123", actor=agent
    )
    assert balances(contract)[0] == Decimal("0.000")
    payment_reverse(payment=cheque, actor=agent, reason="Sans provision")
    assert balances(contract)[0] == Decimal("24.800")
    fee = Charge.objects.get(contract=contract, invoice__isnull=True)
    assert fee.amount == Decimal("15.000") and "CHQ 123" in fee.label
    with pytest.raises(PaymentRefused):
        payment_reverse(payment=cheque, actor=agent, reason="twice")
    assert Charge.objects.filter(contract=contract).count() == 1


def test_a_reversed_cash_payment_adds_no_fee(two_invoices, agent):
    contract, *_ = two_invoices
    cash = payment_record(contract=contract, amount="10.000", method="cash", actor=agent)
    payment_reverse(payment=cash, actor=agent, reason="Erreur de saisie")
    assert not Charge.objects.filter(contract=contract).exists()


def test_a_payment_must_be_positive(two_invoices, agent):
    with pytest.raises(PaymentRefused):
        payment_record(contract=two_invoices[0], amount="0", method="cash", actor=agent)


def test_r10_1_agent_records_a_payment_in_the_admin_and_reverses_a_bounced_cheque(
    client, two_invoices, agent
):
    from django.urls import reverse

    from billing.models import Payment

    contract, *_ = two_invoices
    contract.customer.boutique = agent.boutique
    contract.customer.save()
    client.force_login(agent)
    response = client.post(
        reverse("admin:billing_payment_add"),
        {
            "contract": contract.pk,
            "amount": "24.800",
            "method": "cheque",
            "reference": "CHQ 9",
            "received_on": "2026-11-05",
        },
    )
    assert response.status_code == 302
    payment = Payment.objects.get(reference="CHQ 9")
    assert payment.recorded_by == agent and balances(contract)[0] == Decimal("0.000")
    client.post(
        reverse("admin:billing_payment_changelist"),
        {"action": "reverse_bounced", "_selected_action": [payment.pk]},
    )
    payment.refresh_from_db()
    assert payment.reversed_by == agent
    assert Charge.objects.filter(contract=contract, fee_kind="unpaid_instrument").exists()


# R9.5: the copies are asked for in November (their charges' local date), billed by November's
# invoice.
@pytest.mark.time_machine(timezone.make_aware(datetime(2026, 11, 10, 10, 0)), tick=False)
def test_r9_5_the_detailed_bill_is_the_customers_once_asked_and_charged_once(client, grid):
    from io import BytesIO

    from django.urls import reverse
    from pypdf import PdfReader

    from tests.billing.helpers import usage_import
    from tests.factories import UserFactory

    line = account()
    customer = line.contract.customer
    customer.user = UserFactory()
    customer.save()
    usage_import(
        name="detail.csv",
        content=(
            "msisdn,started_at,kind,destination,quantity\n"
            f"{line.number.msisdn},2026-10-03T14:05:00,international,europe,3\n"
        ).encode(),
    )
    invoice = issue(line)
    client.force_login(customer.user)
    copy_url = reverse("portal:invoice_copy", args=[invoice.pk])
    detailed_url = reverse("portal:invoice_detailed_pdf", args=[invoice.pk])
    assert client.get(detailed_url).status_code == 404  # not asked for yet
    assert "Télécharger la facture détaillée" not in client.get(copy_url).text

    asked = client.post(copy_url, {"kind": "detailed"})
    assert asked.status_code == 302 and asked["Location"] == copy_url
    page = client.get(copy_url)
    assert "Télécharger la facture détaillée" in page.text
    assert 'value="detailed"' not in page.text  # not offered (and paid) twice
    response = client.get(detailed_url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content)
    text = "".join(sheet.extract_text() for sheet in PdfReader(BytesIO(content)).pages)
    assert invoice.number in text and "03/10 14:05" in text and "europe" in text

    again = client.post(copy_url, {"kind": "detailed"})  # a second click, a reload
    assert again["Location"] == detailed_url
    charges = Charge.objects.filter(contract=line.contract, copy_of=invoice)
    assert [charge.fee_kind for charge in charges] == ["detailed_billing"]


@pytest.mark.time_machine(timezone.make_aware(datetime(2026, 11, 10, 10, 0)), tick=False)
def test_r9_5_a_duplicate_or_a_detailed_bill_is_charged_per_the_grid(client, grid):
    from django.urls import reverse

    from tests.factories import UserFactory

    line = account()
    customer = line.contract.customer
    customer.user = UserFactory()
    customer.save()
    invoice = issue(line)
    client.force_login(customer.user)
    url = reverse("portal:invoice_copy", args=[invoice.pk])
    page = client.get(url)
    assert "2,000" in page.text and "3,000" in page.text
    client.post(url, {"kind": "detailed"})
    client.post(url, {"kind": "duplicate"})
    charges = Charge.objects.filter(contract=line.contract).order_by("amount")
    assert [(c.amount, c.charged_on) for c in charges] == [
        (Decimal("2.000"), date(2026, 11, 10)),
        (Decimal("3.000"), date(2026, 11, 10)),
    ]
    november = issue(line, Period.month(date(2026, 11, 1)), date(2026, 12, 1))
    assert november.lines.filter(kind="one_off").count() == 2
