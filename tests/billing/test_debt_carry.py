"""R10.4: a customer's unpaid debt carried onto another of their accounts."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from billing.debts import TransferRefused, debt_carry
from billing.invoicing import Period, invoice_issue
from billing.models import Charge, DebtTransfer, InvoiceLine, Payment
from billing.payments import PaymentRefused, account_balance, payment_record, payment_reverse
from catalogue.models import Offer
from subscriptions.services.records import line_activate
from tests.billing.helpers import account, balances, issue
from tests.factories import ContractFactory, LineFactory, SimCardFactory

NOVEMBER = Period.month(date(2026, 11, 1))


def second_account(customer):
    line = LineFactory(
        contract=ContractFactory(customer=customer),
        offer=Offer.objects.get(code="forfait-liberte-20"),
    )
    line_activate(
        line=line,
        sim=SimCardFactory(),
        job="test",
        at=timezone.make_aware(datetime(2026, 10, 1, 9, 0)),
    )
    return line.contract


@pytest.fixture
def two_accounts(grid):
    """An account with two unpaid invoices (24.800 each, 10.000 paid) and a second account of
    the same customer."""
    line = account()
    issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    issue(line)
    return line.contract, second_account(line.contract.customer)


def test_r10_4_the_unpaid_debt_moves_onto_another_account_of_the_customer(two_accounts, agent):
    source, target = two_accounts
    payment_record(contract=source, amount="10.000", method="cash", actor=agent)
    transfer = debt_carry(source=source, target=target, actor=agent, reason="Compte résilié")
    assert transfer.amount == Decimal("39.600")
    assert (transfer.actor, transfer.reason, transfer.at is not None) == (
        agent,
        "Compte résilié",
        True,
    )
    # The source's invoices are settled by the transfer, the target owes the same amount.
    assert balances(source) == [Decimal("0.000"), Decimal("0.000")]
    assert account_balance(source) == Decimal("0.000")
    assert transfer.payment.method == Payment.Method.TRANSFER
    charge = Charge.objects.get(contract=target)
    assert (charge.amount, charge.taxable, charge.fee_kind) == (
        Decimal("39.600"),
        False,
        "carried_debt",
    )
    assert charge == transfer.charge and source.reference in charge.label


def test_r10_4_refused_onto_another_customers_account(two_accounts, agent):
    source, _ = two_accounts
    stranger = account().contract
    with pytest.raises(TransferRefused):
        debt_carry(source=source, target=stranger, actor=agent, reason="Erreur")
    assert not DebtTransfer.objects.exists() and not Charge.objects.exists()


def test_r10_4_refused_when_nothing_is_owed(two_accounts, agent):
    source, target = two_accounts
    payment_record(contract=source, amount="49.600", method="cash", actor=agent)
    with pytest.raises(TransferRefused):
        debt_carry(source=source, target=target, actor=agent, reason="Rien")
    with pytest.raises(TransferRefused):
        debt_carry(source=source, target=source, actor=agent, reason="Le même")
    assert not DebtTransfer.objects.exists()


def test_r10_4_a_carried_debt_is_not_reversed(two_accounts, agent):
    source, target = two_accounts
    transfer = debt_carry(source=source, target=target, actor=agent, reason="Report")
    with pytest.raises(PaymentRefused):
        payment_reverse(payment=transfer.payment, actor=agent, reason="non")


def test_r10_4_an_agent_carries_the_debt_from_the_invoice_admin(two_accounts, agent):
    source, target = two_accounts
    customer = source.customer
    customer.boutique = agent.boutique
    customer.save()
    client = Client()
    client.force_login(agent)
    invoice = source.invoices.first()
    response = client.post(
        reverse("admin:billing_invoice_changelist"),
        {
            "action": "carry_debt",
            "_selected_action": [invoice.pk],
            "target": target.pk,
            "reason": "Regroupement des comptes",
        },
    )
    assert response.status_code == 302
    transfer = DebtTransfer.objects.get()
    assert (transfer.source, transfer.target, transfer.actor) == (source, target, agent)


# R10.4: carried in November (the charge's local date), billed by November's invoice.
@pytest.mark.time_machine(timezone.make_aware(datetime(2026, 11, 20, 10, 0)), tick=False)
def test_r10_4_the_targets_next_invoice_bills_the_debt_outside_the_vat_base(two_accounts, agent):
    source, target = two_accounts
    debt_carry(source=source, target=target, actor=agent, reason="Report")
    charge = Charge.objects.get(contract=target, fee_kind="carried_debt")
    assert charge.charged_on == date(2026, 11, 20)
    invoice = invoice_issue(contract_id=target.pk, period=NOVEMBER, issued_on=date(2026, 12, 1))
    carried = invoice.lines.get(kind=InvoiceLine.Kind.CARRIED_DEBT)
    assert (carried.amount_excl_tax, carried.taxable) == (Decimal("49.600"), False)
    # VAT on the month's fee only (20.000), the carried 49.600 had its VAT on its own invoices.
    assert invoice.vat_amount == Decimal("3.800")
    assert invoice.total_incl_tax == Decimal("20.000") + Decimal("3.800") + Decimal(
        "1.000"
    ) + Decimal("49.600")
