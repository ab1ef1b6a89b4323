"""Credit notes: a correction of an invoice, numbered in its own series, never more than the
invoice, settling what is owed (a surplus is a credit for the next invoices); the invoice and
its PDF never change."""

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from billing.credit_notes import CreditNoteRefused, credit_note_issue
from billing.documents import invoice_pdf_render
from billing.invoicing import Period
from billing.models import Invoice, Payment
from billing.payments import PaymentRefused, account_balance, payment_record, payment_reverse
from tests.billing.helpers import (
    account,
    balances,
    issue,
    march_invoice,
    pdf_bytes,
    pdf_text,
)

# Each test stores its PDFs in its own directory (tests/billing/conftest.py).
pytestmark = pytest.mark.usefixtures("private_storage")

NOVEMBER = Period.month(date(2026, 11, 1))


@pytest.fixture
def invoice(grid):
    return issue(account())  # October 2026: 20.000 + VAT 3.800 + stamp 1.000 = 24.800


def test_a_credit_note_for_the_whole_invoice_gives_back_its_total(invoice, agent):
    note = credit_note_issue(invoice=invoice, actor=agent, reason="Ligne jamais livrée")
    assert note.kind == Invoice.Kind.CREDIT_NOTE and note.corrects == invoice
    assert (note.total_excl_tax, note.vat_amount, note.stamp_duty, note.total_incl_tax) == (
        Decimal("20.000"),
        Decimal("3.800"),
        Decimal("1.000"),
        Decimal("24.800"),
    )
    assert [(li.label, li.amount_excl_tax) for li in note.lines.all()] == [
        (li.label, li.amount_excl_tax) for li in invoice.lines.all()
    ]
    assert note.issued_by == agent and note.reason == "Ligne jamais livrée"
    assert note.customer_name == invoice.customer_name


def test_credit_notes_are_numbered_in_their_own_continuous_series(grid, agent):
    first, second = issue(account()), issue(account())
    notes = [
        credit_note_issue(invoice=first, actor=agent, reason="Erreur", issued_on=date(2026, 11, 5)),
        credit_note_issue(
            invoice=second, actor=agent, reason="Erreur", issued_on=date(2026, 11, 6)
        ),
    ]
    assert [n.number for n in notes] == ["A2026-000001", "A2026-000002"]
    third = issue(account())
    assert third.number.startswith("F2026-")  # invoices keep their own series


def test_a_credit_note_for_some_lines_taxes_them_at_the_invoice_rate(grid, agent):
    line = account()
    from catalogue.models import Option
    from subscriptions.models import LineOption

    LineOption.objects.create(
        line=line, option=Option.objects.get(code="internet-10go"), started_on=date(2026, 10, 1)
    )
    invoice = issue(line)
    option = invoice.lines.get(kind="option")
    note = credit_note_issue(
        invoice=invoice, actor=agent, reason="Option non voulue", lines=[option]
    )
    assert note.total_excl_tax == option.amount_excl_tax
    assert note.vat_amount == (option.amount_excl_tax * invoice.vat_rate).quantize(Decimal("0.001"))
    assert note.stamp_duty == Decimal("0.000")
    assert note.lines.get().label == option.label


def test_credit_notes_never_give_back_more_than_the_invoice(invoice, agent):
    credit_note_issue(invoice=invoice, actor=agent, reason="Geste", amount_excl_tax="7.333")
    with pytest.raises(CreditNoteRefused):
        credit_note_issue(invoice=invoice, actor=agent, reason="Trop", amount_excl_tax="12.668")
    rest = credit_note_issue(invoice=invoice, actor=agent, reason="Le reste")
    notes = invoice.credit_notes.all()
    # All the credit notes together equal the invoice to the millime, stamp duty included.
    assert sum(n.total_incl_tax for n in notes) == invoice.total_incl_tax
    assert sum(n.vat_amount for n in notes) == invoice.vat_amount
    assert rest.stamp_duty == invoice.stamp_duty
    with pytest.raises(CreditNoteRefused):
        credit_note_issue(invoice=invoice, actor=agent, reason="Encore", amount_excl_tax="0.001")
    with pytest.raises(CreditNoteRefused):
        credit_note_issue(invoice=invoice, actor=agent, reason="Encore")


def test_a_credit_note_is_refused_without_a_reason_or_against_a_credit_note(invoice, agent):
    with pytest.raises(CreditNoteRefused):
        credit_note_issue(invoice=invoice, actor=agent, reason=" ")
    note = credit_note_issue(invoice=invoice, actor=agent, reason="Erreur", amount_excl_tax="1")
    with pytest.raises(CreditNoteRefused):
        credit_note_issue(invoice=note, actor=agent, reason="Avoir d'avoir")


def test_a_credit_note_reduces_what_is_owed_on_the_invoice_it_corrects_first(grid, agent):
    line = account()
    september = issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    october = issue(line)
    credit_note_issue(invoice=october, actor=agent, reason="Erreur", amount_excl_tax="10.000")
    # 10.000 + 19 % VAT = 11.900 off October, not off the older September invoice.
    assert balances(line.contract) == [september.total_incl_tax, Decimal("12.900")]
    assert account_balance(line.contract) == september.total_incl_tax + Decimal("12.900")


def test_a_credit_note_above_what_is_owed_leaves_a_credit_for_the_next_invoice(invoice, agent):
    contract = invoice.contract
    payment_record(contract=contract, amount=invoice.total_incl_tax, method="cash", actor=agent)
    credit_note_issue(invoice=invoice, actor=agent, reason="Panne du réseau", amount_excl_tax="10")
    assert balances(contract) == [Decimal("0.000")]
    assert account_balance(contract) == Decimal("-11.900")  # in credit
    november = issue(contract.lines.get(), NOVEMBER, date(2026, 12, 1))
    assert balances(contract) == [Decimal("0.000"), november.total_incl_tax - Decimal("11.900")]


def test_a_credit_note_is_not_reversed_like_a_bounced_cheque(invoice, agent):
    credit_note_issue(invoice=invoice, actor=agent, reason="Erreur", amount_excl_tax="5")
    settlement = Payment.objects.get(method=Payment.Method.CREDIT_NOTE)
    with pytest.raises(PaymentRefused):
        payment_reverse(payment=settlement, actor=agent, reason="non")


def test_the_credit_note_pdf_is_rendered_once_and_the_invoice_pdf_never_changes(
    alice, agent, django_capture_on_commit_callbacks
):
    invoice = invoice_pdf_render(march_invoice(alice))
    before = (invoice.pdf.name, pdf_bytes(invoice), invoice.total_incl_tax)
    with django_capture_on_commit_callbacks(execute=True):
        note = credit_note_issue(invoice=invoice, actor=agent, reason="Erreur de tarif")
    note.refresh_from_db()
    assert note.pdf  # rendered by the task queued on commit
    text = pdf_text(note)
    assert "Avoir" in text and note.number in text and invoice.number in text
    assert invoice_pdf_render(note).pdf.name == note.pdf.name  # never rendered again
    invoice.refresh_from_db()
    assert (invoice.pdf.name, pdf_bytes(invoice), invoice.total_incl_tax) == before
    assert "Facture" in pdf_text(invoice)


def test_the_customer_sees_their_credit_note_and_downloads_its_pdf(alice, agent):
    invoice = march_invoice(alice)
    note = credit_note_issue(invoice=invoice, actor=agent, reason="Erreur", amount_excl_tax="2")
    client = Client()
    client.force_login(alice.user)
    page = client.get(reverse("portal:invoice_list"))
    rows = {row.number: row.status for row in page.context["invoices"]}
    assert rows[note.number] == "credit_note"
    assert reverse("portal:invoice_pdf", args=[note.pk]) in page.content.decode()
    response = client.get(reverse("portal:invoice_pdf", args=[note.pk]))
    assert response.status_code == 200
    assert f"avoir-{note.number}.pdf" in response["Content-Disposition"]


def test_another_customer_gets_404_on_a_credit_note_pdf(alice, bob, agent):
    note = credit_note_issue(
        invoice=march_invoice(alice), actor=agent, reason="Erreur", amount_excl_tax="2"
    )
    client = Client()
    client.force_login(bob.user)
    assert client.get(reverse("portal:invoice_pdf", args=[note.pk])).status_code == 404


def test_an_agent_issues_a_credit_note_from_the_invoice_admin(alice, agent):
    invoice = march_invoice(alice)
    client = Client()
    client.force_login(agent)
    url = reverse("admin:billing_invoice_changelist")
    form = client.post(url, {"action": "issue_credit_note", "_selected_action": [invoice.pk]})
    assert form.status_code == 200 and "reason" in form.content.decode()
    done = client.post(
        url,
        {
            "action": "issue_credit_note",
            "_selected_action": [invoice.pk],
            "amount_excl_tax": "3.000",
            "reason": "Geste commercial",
        },
    )
    assert done.status_code == 302
    note = invoice.credit_notes.get()
    assert (note.total_excl_tax, note.issued_by, note.reason) == (
        Decimal("3.000"),
        agent,
        "Geste commercial",
    )


def test_an_agent_cannot_credit_another_boutiques_invoice(alice, bob, agent):
    client = Client()
    client.force_login(agent)
    client.post(
        reverse("admin:billing_invoice_changelist"),
        {
            "action": "issue_credit_note",
            "_selected_action": [march_invoice(bob).pk],
            "amount_excl_tax": "3.000",
            "reason": "Geste",
        },
    )
    assert not Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE).exists()
