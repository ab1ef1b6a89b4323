"""Issue 16, point 6: text typed by customers or found in mediation files is isolated on the
documents and in the admin lists, so that a right-to-left override (U+202E) in a name, a postal
code or a destination cannot reverse what follows it. Read back as a reader sees it: the PDF's
text by poppler's pdftotext (in the order of the glyphs on the page), the lists' HTML."""

import subprocess
from datetime import datetime
from types import SimpleNamespace

from django.conf import settings
from django.urls import reverse

from billing.documents import invoice_pdf_document, invoice_pdf_render
from lib.bidi import bidi_neutral, isolate
from lib.pdf import render_pdf
from tests.billing.helpers import account, flat, issue, poppler, usage_import
from tests.factories import CustomerFactory

RLO = "\u202e"


def _pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "document.pdf"
    path.write_bytes(content)
    return flat(
        subprocess.run(  # noqa: S603  (poppler's own tool)
            [poppler("pdftotext"), str(path), "-"], check=True, capture_output=True, text=True
        ).stdout
    )


def test_bidi_neutral_drops_overrides_and_balances_isolates():
    assert bidi_neutral(f"Ben{RLO} Ali") == "Ben Ali"
    assert bidi_neutral("a\u2069b\u2066c") == "ab\u2066c\u2069"  # a stray pop, an open isolate
    assert bidi_neutral("\u2066+216\u2069") == "\u2066+216\u2069"  # numbers_ltr's kept
    assert isolate(f"{RLO}1000") == "\u20681000\u2069"


def test_an_override_in_an_address_does_not_reverse_the_postal_code_on_the_invoice(grid, tmp_path):
    line = account(activated=datetime(2026, 9, 1, 10, 0))
    customer = line.contract.customer
    customer.street, customer.postal_code, customer.city = f"12 rue {RLO}Ibn", "2045", "Tunis"
    customer.last_name = f"Trabelsi{RLO}"
    customer.save()
    usage_import(
        name="cdr.csv",
        content=(
            "msisdn,started_at,kind,destination,quantity\n"
            f"{line.number.msisdn},2026-10-03T14:05:00,voice,{RLO}+21671000000,125\n"
        ).encode(),
    )
    invoice = invoice_pdf_render(issue(line))
    with invoice.pdf.open("rb") as stored:
        text = _pdf_text(stored.read(), tmp_path)
    assert "12 rue Ibn, 2045 Tunis" in text
    assert "Trabelsi" in text and "islebarT" not in text
    assert RLO not in text
    # R9.5: the destinations are on the detailed bill
    text = _pdf_text(invoice_pdf_document(invoice, detailed=True), tmp_path)
    assert "+21671000000" in text and "125" in text
    assert RLO not in text


def test_an_override_in_a_name_or_street_does_not_reverse_the_refusal_letter(grid, tmp_path):
    customer = CustomerFactory(
        first_name=f"{RLO}Sami", last_name="Gharbi", street=f"3 rue {RLO}Habib", postal_code="3000"
    )
    customer.city = "Sfax"
    file = SimpleNamespace(
        reference="S-1", refusal_motive=f"Pièce {RLO}illisible", decided_at=None,
        submitted_at=None, decision_due_at=None,
    )  # fmt: skip
    content = render_pdf(
        "pdf/refusal_letter.html",
        {"file": file, "customer": customer, "operator": settings.OPERATOR},
        language="fr",
    )
    text = _pdf_text(content, tmp_path)
    assert (
        "3000 Sfax" in text
        and "3 rue Habib" in text
        and "Sami Gharbi" in text
        and "Pièce illisible" in text
    )
    assert RLO not in text


def test_admin_lists_isolate_names_and_keep_no_override(client, supervisor, grid):
    line = account()
    customer = line.contract.customer
    customer.last_name, customer.city = f"Jendoubi{RLO}", f"{RLO}Bizerte"
    customer.save()
    client.force_login(supervisor)
    for name in ["subscriptions_customer", "subscriptions_contract", "subscriptions_line"]:
        page = client.get(reverse(f"admin:{name}_changelist")).content.decode()
        assert "Jendoubi" in page, name
        assert RLO not in page, name
    customers = client.get(reverse("admin:subscriptions_customer_changelist")).content.decode()
    assert "\u2068Bizerte\u2069" in customers
