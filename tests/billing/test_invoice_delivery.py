"""Invoices by e-mail or on paper: the customer's choice (recorded), no e-mail for paper
accounts, and the printable batch of a run's paper invoices in the order of the post."""

from datetime import date
from io import BytesIO

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from billing.documents import invoice_email_send
from billing.invoicing import Period
from billing.models import BillingRun, Invoice
from billing.services import billing_run_start
from billing.tasks import build_paper_batch
from subscriptions.models import Contract
from tests.billing.helpers import (
    account,
    flat,
    march_invoice,
    pdf_bytes,
)

# Each test stores its PDFs in its own directory (tests/billing/conftest.py).
pytestmark = pytest.mark.usefixtures("private_storage")

OCTOBER = Period.month(date(2026, 10, 1))
PAPER = Contract.InvoiceDelivery.PAPER


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def paper_account(postal_code: str, last_name: str, delivery: str = PAPER):
    line = account()
    customer = line.contract.customer
    customer.postal_code, customer.last_name, customer.email = (
        postal_code,
        last_name,
        f"{last_name.lower()}@example.tn",
    )
    customer.save()
    Contract.objects.filter(pk=line.contract_id).update(invoice_delivery=delivery)
    return line.contract


def test_a_paper_accounts_invoice_is_not_emailed_but_its_pdf_is_stored(alice):
    invoice = march_invoice(alice)
    Contract.objects.filter(pk=invoice.contract_id).update(invoice_delivery=PAPER)
    mail.outbox = []
    assert invoice_email_send(invoice_id=invoice.pk) is False
    assert mail.outbox == []
    invoice.refresh_from_db()
    assert invoice.pdf and invoice.emailed_at is None


def test_the_printable_batch_holds_exactly_the_runs_paper_invoices_in_postal_order(
    grid, supervisor, django_capture_on_commit_callbacks
):
    sfax = paper_account("3000", "Sfaxi")
    tunis = paper_account("1000", "Tounsi")
    by_mail = paper_account("2000", "Mail", Contract.InvoiceDelivery.EMAIL)
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        run = billing_run_start(period=OCTOBER)
    run.refresh_from_db()
    assert run.status == BillingRun.Status.DONE
    invoices = {i.contract_id: i for i in Invoice.objects.filter(period_start=OCTOBER.start)}
    assert len(invoices) == 3
    # E-mail only for the account that chose it.
    assert [message.to for message in mail.outbox] == [["mail@example.tn"]]

    assert run.paper_batch  # built when the run ended
    with run.paper_batch.open("rb") as stored:
        batch = PdfReader(BytesIO(stored.read()))
    expected = [invoices[tunis.pk], invoices[sfax.pk]]  # 1000 before 3000
    pages = [len(PdfReader(BytesIO(pdf_bytes(i))).pages) for i in expected]
    assert len(batch.pages) == sum(pages)
    texts = [flat(page.extract_text()) for page in batch.pages]
    assert expected[0].number in texts[0]
    assert expected[1].number in texts[pages[0]]
    assert not any(invoices[by_mail.pk].number in text for text in texts)

    # Stored once: building it again keeps the same file.
    name = run.paper_batch.name
    build_paper_batch.delay(run.pk)
    run.refresh_from_db()
    assert run.paper_batch.name == name

    download = signed_in(supervisor).get(
        reverse("admin:billing_billingrun_paper_batch", args=[run.pk])
    )
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_a_run_not_yet_done_has_no_printable_batch(grid):
    paper_account("1000", "Tounsi")
    run = BillingRun.objects.create(period_start=OCTOBER.start)  # running, nothing billed yet
    assert build_paper_batch.delay(run.pk).get() is False
    run.refresh_from_db()
    assert not run.paper_batch


def test_the_customer_chooses_paper_in_the_portal_and_the_change_is_recorded(alice):
    contract = alice.contracts.get()
    client = signed_in(alice.user)
    page = client.get(reverse("portal:invoice_list"))
    assert reverse("portal:invoice_delivery") in page.content.decode()
    response = client.post(
        reverse("portal:invoice_delivery"), {"contract": contract.pk, "delivery": "paper"}
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.invoice_delivery == PAPER
    entry = LogEntry.objects.get(object_id=str(contract.pk))
    assert entry.user == alice.user
    assert str(Contract.InvoiceDelivery.PAPER.label) in entry.change_message
    # The same choice again changes nothing and logs nothing.
    client.post(reverse("portal:invoice_delivery"), {"contract": contract.pk, "delivery": "paper"})
    assert LogEntry.objects.filter(object_id=str(contract.pk)).count() == 1


@pytest.mark.parametrize("attacker", ["bob", "stranger"])
def test_a_customer_cannot_choose_for_another_customers_account(request, alice, attacker):
    contract = alice.contracts.get()
    persona = request.getfixturevalue(attacker)
    client = signed_in(getattr(persona, "user", persona))
    response = client.post(
        reverse("portal:invoice_delivery"), {"contract": contract.pk, "delivery": "paper"}
    )
    assert response.status_code == 404
    contract.refresh_from_db()
    assert contract.invoice_delivery == Contract.InvoiceDelivery.EMAIL


def test_an_agent_sees_the_choice_in_the_contract_admin(alice, agent):
    contract = alice.contracts.get()
    page = signed_in(agent).get(reverse("admin:subscriptions_contract_change", args=[contract.pk]))
    assert page.status_code == 200 and 'name="invoice_delivery"' in page.content.decode()
