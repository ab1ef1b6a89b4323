"""Issue 18: TEIF 1.8.8 documents for invoices and credit notes, signed (XAdES-B), valid against
TTN's schema, sent through the outbox once, with TTN's reference and QR code on the PDF."""

import base64
import json
import subprocess
import threading
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from io import BytesIO
from typing import ClassVar

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from lxml import etree
from PIL import Image
from pypdf import PdfReader
from pyzbar.pyzbar import decode

from billing.credit_notes import credit_note_issue
from billing.documents import invoice_pdf_render
from billing.invoicing import final_invoice_issue
from billing.models import Invoice
from einvoicing.backends import Answer, RecordingBackend
from einvoicing.models import Submission
from einvoicing.schema import teif_errors
from einvoicing.services import (
    registered_copy_render,
    submission_send,
    submissions_due,
    teif_signed,
)
from einvoicing.signing import InvalidSignature, teif_verify
from einvoicing.tasks import send_einvoice
from einvoicing.teif import amount_in_words, teif_document
from tests.billing.helpers import flat, issue, poppler
from tests.einvoicing.helpers import COMPANY, account
from tests.factories import (
    UserFactory,
)


def document(invoice: Invoice) -> etree._Element:
    tree = teif_document(invoice, list(invoice.lines.all()))
    assert teif_errors(tree, signed=False) == []
    return tree


def text(tree, path: str) -> str:
    return tree.findtext(path)


def amount(tree, code: str) -> str:
    return tree.findtext(
        f"InvoiceBody/InvoiceMoa/AmountDetails/Moa[@amountTypeCode='{code}']/Amount"
    )


# --- The document ---------------------------------------------------------------------------


def test_einvoice_an_individuals_invoice_is_valid_teif_with_their_cin(grid):
    line = account()
    invoice = issue(line)  # October 2026: 20.000 + VAT 3.800 + stamp 1.000 = 24.800
    tree = document(invoice)
    assert tree.get("version") == "1.8.8" and tree.get("controlingAgency") == "TTN"
    receiver = tree.find("InvoiceHeader/MessageRecieverIdentifier")
    assert (receiver.get("type"), receiver.text) == ("I-02", line.contract.customer.cin)
    assert tree.find("InvoiceHeader/MessageSenderIdentifier").text == "0000000AAM000"
    assert text(tree, "InvoiceBody/Bgm/DocumentIdentifier") == invoice.number
    assert tree.find("InvoiceBody/Bgm/DocumentType").get("code") == "I-11"
    dates = {d.get("functionCode"): d.text for d in tree.iterfind("InvoiceBody/Dtm/DateText")}
    assert dates == {"I-31": "011126", "I-32": "161126", "I-36": "011026-311026"}
    buyer = tree.find("InvoiceBody/PartnerSection/PartnerDetails[@functionCode='I-64']/Nad")
    assert buyer.find("PartnerName").get("nameType") == "Physical"
    assert buyer.findtext("PartnerName") == invoice.customer_name
    assert (amount(tree, "I-176"), amount(tree, "I-181"), amount(tree, "I-180")) == (
        "20.000",
        "4.800",
        "24.800",
    )
    words = tree.findtext(
        "InvoiceBody/InvoiceMoa/AmountDetails/Moa[@amountTypeCode='I-180']/AmountDescription"
    )
    assert words == "VINGT-QUATRE DINARS ET HUIT CENTS MILLIMES"
    taxes = {
        t.find("Tax/TaxTypeName").get("code"): (
            t.findtext("Tax/TaxDetails/TaxRate"),
            [m.findtext("Moa/Amount") for m in t.iterfind("AmountDetails")],
        )
        for t in tree.iterfind("InvoiceBody/InvoiceTax/InvoiceTaxDetails")
    }
    assert taxes == {"I-1602": ("19", ["20.000", "3.800"]), "I-1601": ("0", ["1.000"])}
    lines = tree.findall("InvoiceBody/LinSection/Lin")
    assert [lin.findtext("LinImd/ItemDescription") for lin in lines] == [
        li.label for li in invoice.lines.all()
    ]
    assert lines[0].findtext("LinMoa/MoaDetails/Moa[@amountTypeCode='I-171']/Amount") == "20.000"


def test_einvoice_a_companys_invoice_names_its_matricule_fiscal_without_slashes(grid):
    invoice = issue(account(**COMPANY))
    tree = document(invoice)
    receiver = tree.find("InvoiceHeader/MessageRecieverIdentifier")
    assert (receiver.get("type"), receiver.text) == ("I-01", "1234567AAM000")
    buyer = tree.find("InvoiceBody/PartnerSection/PartnerDetails[@functionCode='I-64']")
    assert buyer.find("Nad/PartnerName").get("nameType") == "Qualification"
    assert buyer.findtext("Nad/PartnerName") == "Société Carthage Logistique SARL"
    assert buyer.find("RffSection/Reference").text == invoice.contract.reference


def test_einvoice_a_passport_holder_is_a_foreign_identifier(grid):
    tree = document(issue(account(cin="", passport_number="X1234567")))
    receiver = tree.find("InvoiceHeader/MessageRecieverIdentifier")
    assert (receiver.get("type"), receiver.text) == ("I-04", "X1234567")


def test_einvoice_a_credit_note_is_valid_teif_naming_the_invoice_it_corrects(grid, agent):
    invoice = issue(account(**COMPANY))
    note = credit_note_issue(
        invoice=invoice, actor=agent, reason="Option non voulue", amount_excl_tax="5"
    )
    tree = document(note)
    assert tree.find("InvoiceBody/Bgm/DocumentType").get("code") == "I-12"
    reference = tree.find("InvoiceBody/Bgm/DocumentReferences/DocumentReference")
    assert reference.find("Reference").get("refID") == "I-89"
    assert reference.findtext("Reference") == invoice.number
    assert reference.findtext("ReferenceDate/DateText") == "011126"
    assert (amount(tree, "I-176"), amount(tree, "I-180")) == ("5.000", "5.950")
    assert Submission.objects.get(invoice=note).key == f"{note.number}-1"


def test_einvoice_an_arabic_customers_invoice_is_valid_teif_in_arabic(grid):
    line = account(
        user=UserFactory(language="ar"), first_name="محمد", last_name="التونسي", city="صفاقس"
    )
    invoice = issue(line)
    assert invoice.language == "ar"
    tree = document(invoice)
    buyer = tree.find("InvoiceBody/PartnerSection/PartnerDetails[@functionCode='I-64']/Nad")
    assert buyer.findtext("PartnerName") == "محمد التونسي"
    assert buyer.find("PartnerAdresses").get("lang") == "ar"
    assert tree.find("InvoiceBody/LinSection/Lin/LinImd").get("lang") == "ar"
    signed = teif_signed(invoice)
    assert "محمد التونسي" in signed.decode()
    assert teif_errors(signed, signed=True) == []


def test_einvoice_a_final_invoice_is_valid_teif_for_its_period_up_to_the_end(grid):
    line = account()
    invoice = final_invoice_issue(contract_id=line.contract_id, on=date(2026, 10, 15))
    assert invoice.is_final
    tree = document(invoice)
    period = tree.find("InvoiceBody/Dtm/DateText[@functionCode='I-36']")
    assert period.text == "011026-151026" and period.get("format") == "ddMMyy-ddMMyy"
    assert amount(tree, "I-180") == f"{invoice.total_incl_tax:.3f}"


def test_einvoice_amounts_in_words_are_french_to_the_millime():
    assert amount_in_words(Decimal("1.001")) == "UN DINAR ET UN MILLIME"
    assert amount_in_words(Decimal("2.540")) == "DEUX DINARS ET CINQ CENT QUARANTE MILLIMES"
    assert amount_in_words(Decimal("1000.000")) == "MILLE DINARS"


def test_einvoice_only_companies_invoices_go_to_ttn_when_the_scope_says_so(grid, settings):
    settings.EINVOICE_SCOPE = "companies"
    individual, company = issue(account()), issue(account(**COMPANY))
    assert not Submission.objects.filter(invoice=individual).exists()
    assert Submission.objects.get(invoice=company).status == "to_send"


# --- The signature --------------------------------------------------------------------------


def test_einvoice_the_signature_verifies_and_fails_when_one_amount_is_changed(grid, certificate):
    signed = teif_signed(issue(account(**COMPANY)))
    tree = etree.fromstring(signed)
    signature = tree.find("{http://www.w3.org/2000/09/xmldsig#}Signature")
    assert signature.get("Id") == "SigFrs"
    assert tree.index(signature) == 2  # after the header and the body
    assert b"xades:SigningCertificateV2" in signed and b"xades:SigningTime" in signed
    verified = teif_verify(signed, certificate)
    assert verified.findtext("InvoiceBody/Bgm/DocumentIdentifier").startswith("F2026-")

    changed = signed.replace(
        b'<Amount currencyIdentifier="TND">24.800<', b'<Amount currencyIdentifier="TND">24.700<', 1
    )
    assert changed != signed
    with pytest.raises(InvalidSignature, match="digest mismatch for reference ''"):
        teif_verify(changed, certificate)


# --- The outbox -----------------------------------------------------------------------------


def test_einvoice_the_outbox_sends_once_when_the_task_runs_twice(grid):
    invoice = issue(account(**COMPANY))
    submission = Submission.objects.get(invoice=invoice)
    send_einvoice.apply(args=[submission.pk])
    send_einvoice.apply(args=[submission.pk])
    assert len(RecordingBackend.sent) == 1
    submission.refresh_from_db()
    assert (submission.status, submission.attempts) == ("accepted", 1)
    assert [(c.from_status, c.to_status) for c in submission.changes.all()] == [
        ("", "to_send"),
        ("to_send", "accepted"),
    ]


def test_einvoice_a_sender_that_died_after_sending_is_replaced_under_the_same_key(grid):
    invoice = issue(account(**COMPANY))
    submission = Submission.objects.get(invoice=invoice)
    # The worker claimed the row, sent the document, and died before recording TTN's answer.
    first = RecordingBackend().send(key=submission.key, number=invoice.number, xml=b"<TEIF/>")
    Submission.objects.filter(pk=submission.pk).update(
        lease_until=timezone.now() - timezone.timedelta(seconds=1),
        created_at=timezone.now() - timezone.timedelta(minutes=10),
    )
    assert submissions_due(now=timezone.now()) == [submission.pk]
    assert submission_send(submission_id=submission.pk, job="test") == "accepted"
    submission.refresh_from_db()
    assert submission.ttn_reference == first.reference
    assert list(RecordingBackend.registered) == [submission.key]  # registered once
    RecordingBackend.sent.pop(0)  # the dead worker's stand-in document, not a real one
    assert submissions_due(now=timezone.now()) == []


class RefusingOnceBackend(RecordingBackend):
    """TTN's server refuses the first connection, then answers."""

    calls = 0

    def send(self, *, key, number, xml):
        type(self).calls += 1
        if type(self).calls == 1:
            raise ConnectionRefusedError("Connection refused")
        return super().send(key=key, number=number, xml=xml)


def test_einvoice_a_refused_connection_is_retried_and_the_invoice_accepted(grid, settings):
    settings.EINVOICE_BACKEND = f"{__name__}.RefusingOnceBackend"
    RefusingOnceBackend.calls = 0
    invoice = issue(account(**COMPANY))
    submission = Submission.objects.get(invoice=invoice)
    send_einvoice.apply(args=[submission.pk], throw=False)  # retried at once, not after 30 s
    submission.refresh_from_db()
    assert RefusingOnceBackend.calls == 2
    assert (submission.status, submission.attempts, submission.last_error) == ("accepted", 2, "")


def test_einvoice_ttns_reference_is_recorded(grid):
    invoice = issue(account(**COMPANY))
    submission = Submission.objects.get(invoice=invoice)
    assert submission_send(submission_id=submission.pk, job="test") == "accepted"
    submission.refresh_from_db()
    answer = RecordingBackend.registered[submission.key]
    assert len(submission.ttn_reference) == 27 and submission.ttn_reference == answer.reference
    assert submission.qr_text == answer.qr_text and submission.answered_at is not None
    assert teif_errors(RecordingBackend.sent[0].xml, signed=True) == []


class RefusingBackend(RecordingBackend):
    def send(self, *, key, number, xml):
        return Answer("refused", reason="Matricule fiscal du client inconnu")


def test_einvoice_a_refusal_never_blocks_billing_and_is_sent_again_from_the_admin(
    grid, settings, client, supervisor
):
    settings.EINVOICE_BACKEND = f"{__name__}.RefusingBackend"
    invoice = issue(account(**COMPANY))
    submission = Submission.objects.get(invoice=invoice)
    assert submission_send(submission_id=submission.pk, job="test") == "refused"
    submission.refresh_from_db()
    assert submission.refusal_reason == "Matricule fiscal du client inconnu"
    assert invoice_pdf_render(invoice).pdf  # the invoice is issued and printed all the same

    settings.EINVOICE_BACKEND = "einvoicing.backends.RecordingBackend"
    client.force_login(supervisor)
    page = client.get(reverse("admin:einvoicing_submission_change", args=[submission.pk]))
    assert "Matricule fiscal du client inconnu" in page.content.decode()
    changelist = reverse("admin:einvoicing_submission_changelist")
    assert client.get(changelist, {"status__exact": "refused"}).context["cl"].result_count == 1
    client.post(
        changelist, {"action": "send_again", "_selected_action": [submission.pk]}, follow=True
    )
    submission.refresh_from_db()
    assert (submission.status, submission.key, submission.round) == (
        "to_send",
        f"{invoice.number}-2",
        2,
    )
    retried = submission.changes.get(from_status="refused")
    assert retried.actor == supervisor and retried.to_status == "to_send"
    assert submission_send(submission_id=submission.pk, job="test") == "accepted"


# --- On the document and on the customer's page --------------------------------------------


def pdf_qr_codes(pdf: bytes, folder) -> list[str]:
    """The QR codes that zbar reads on the PDF's first page, drawn at 200 dpi by pdftoppm."""
    (folder / "copy.pdf").write_bytes(pdf)
    subprocess.run(  # noqa: S603
        [poppler("pdftoppm"), "-png", "-r", "200", "-singlefile", "copy.pdf", "page"],
        cwd=folder,
        check=True,
    )
    return [symbol.data.decode() for symbol in decode(Image.open(folder / "page.png"))]


def test_einvoice_the_pdf_shows_ttns_reference_and_a_qr_code_of_what_was_recorded(grid, tmp_path):
    invoice = issue(account(**COMPANY))
    submission = Submission.objects.get(invoice=invoice)
    submission_send(submission_id=submission.pk, job="test")
    submission = registered_copy_render(Submission.objects.get(pk=submission.pk))
    with submission.pdf.open("rb") as stored:
        pdf = stored.read()
    reader = PdfReader(BytesIO(pdf))
    assert submission.ttn_reference in flat(reader.pages[0].extract_text())
    assert pdf_qr_codes(pdf, tmp_path) == [submission.qr_text]


def test_einvoice_the_customer_downloads_the_xml_of_their_own_invoices_only(grid):
    line = account(**COMPANY)
    invoice = issue(line)
    submission = Submission.objects.get(invoice=invoice)
    submission_send(submission_id=submission.pk, job="test")
    owner, other = Client(), Client()
    owner.force_login(line.contract.customer.user)
    other.force_login(account().contract.customer.user)

    page = owner.get(reverse("portal:invoice_list")).content.decode()
    assert reverse("portal:einvoice_xml", args=[invoice.pk]) in page
    assert reverse("portal:einvoice_pdf", args=[invoice.pk]) in page
    response = owner.get(reverse("portal:einvoice_xml", args=[invoice.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/xml"
    xml = b"".join(response.streaming_content)
    assert teif_errors(xml, signed=True) == []
    assert owner.get(reverse("portal:einvoice_pdf", args=[invoice.pk])).status_code == 200
    for name in ("portal:einvoice_xml", "portal:einvoice_pdf"):
        assert other.get(reverse(name, args=[invoice.pk])).status_code == 404


# --- The HTTP backend -----------------------------------------------------------------------


class FakeTtn(BaseHTTPRequestHandler):
    """A platform that is down for its first request, then registers each key once."""

    requests: ClassVar[list[tuple[str, str, dict]]] = []
    registered: ClassVar[dict[str, str]] = {}

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers["Idempotency-Key"]
        self.requests.append((key, self.headers["Authorization"], body))
        if len(self.requests) == 1:
            self.send_response(503)
            self.end_headers()
            return
        reference = self.registered.setdefault(key, f"{len(self.registered) + 1:027d}")
        answer = json.dumps({"status": "accepted", "reference": reference, "qr": f"QR {reference}"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_ttn(settings):
    FakeTtn.requests.clear()
    FakeTtn.registered.clear()
    server = HTTPServer(("127.0.0.1", 0), FakeTtn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EINVOICE_BACKEND = "einvoicing.backends.HttpBackend"
    settings.EINVOICE_URL = f"http://127.0.0.1:{server.server_port}/efact"
    settings.EINVOICE_LOGIN, settings.EINVOICE_PASSWORD = "operateur", "secret"
    yield FakeTtn
    server.shutdown()


def test_einvoice_the_http_backend_retries_a_platform_that_is_down_then_records_the_reference(
    grid, fake_ttn
):
    invoice = issue(account(**COMPANY))
    submission = Submission.objects.get(invoice=invoice)
    send_einvoice.apply(args=[submission.pk], throw=False)
    submission.refresh_from_db()
    assert [key for key, _auth, _body in fake_ttn.requests] == [submission.key] * 2
    _key, auth, body = fake_ttn.requests[1]
    assert auth == "Basic " + base64.b64encode(b"operateur:secret").decode()
    assert body["matricule"] == "0000000AAM000" and body["number"] == invoice.number
    assert teif_errors(base64.b64decode(body["document"]), signed=True) == []
    assert (submission.status, submission.ttn_reference) == ("accepted", "1".zfill(27))
    assert submission.qr_text == f"QR {submission.ttn_reference}"
