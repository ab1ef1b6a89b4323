"""Boutique agents download a customer's invoice from its page in the back office, and its
detailed bill once the customer asked for it (R9.5); another boutique's agent gets 404."""

from io import BytesIO

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from billing.services import invoice_copy_request
from tests.billing.helpers import account, flat, issue

# Each test stores its PDFs in its own directory (tests/billing/conftest.py).
pytestmark = pytest.mark.usefixtures("private_storage")


@pytest.fixture
def invoice(grid, lac):
    invoice = issue(account())  # October 2026, issued on 1 November 2026
    customer = invoice.contract.customer
    customer.boutique = lac
    customer.save(update_fields=["boutique"])
    return invoice


def _signed_in(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def _pdf_text(answer) -> str:
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    reader = PdfReader(BytesIO(b"".join(answer.streaming_content)))
    return flat(" ".join(page.extract_text() for page in reader.pages))


def test_r9_5_an_agent_downloads_the_invoice_pdf_from_its_page(invoice, agent):
    client = _signed_in(agent)
    page = client.get(reverse("admin:billing_invoice_change", args=[invoice.pk]))
    pdf = reverse("admin:billing_invoice_pdf", args=[invoice.pk])
    detailed = reverse("admin:billing_invoice_detailed_pdf", args=[invoice.pk])
    assert f'<a href="{pdf}">Facture (PDF)</a>' in page.content.decode()
    assert detailed not in page.content.decode()  # not asked for
    answer = client.get(pdf)
    assert f"facture-{invoice.number}.pdf" in answer["Content-Disposition"]
    assert invoice.number in _pdf_text(answer)
    assert client.get(detailed).status_code == 404


def test_r9_5_an_agent_downloads_the_detailed_bill_once_the_customer_asked_for_it(invoice, agent):
    invoice_copy_request(invoice=invoice, detailed=True)
    client = _signed_in(agent)
    page = client.get(reverse("admin:billing_invoice_change", args=[invoice.pk]))
    detailed = reverse("admin:billing_invoice_detailed_pdf", args=[invoice.pk])
    assert f'<a href="{detailed}">Facture détaillée (PDF)</a>' in page.content.decode()
    answer = client.get(detailed)
    assert f"facture-{invoice.number}-detail.pdf" in answer["Content-Disposition"]
    assert invoice.number in _pdf_text(answer)


def test_another_boutiques_agent_gets_404_on_an_invoices_downloads(invoice, sfax_agent):
    invoice_copy_request(invoice=invoice, detailed=True)
    client = _signed_in(sfax_agent)
    for name in ("billing_invoice_pdf", "billing_invoice_detailed_pdf"):
        assert client.get(reverse(f"admin:{name}", args=[invoice.pk])).status_code == 404
