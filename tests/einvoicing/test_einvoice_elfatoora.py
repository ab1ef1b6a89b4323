"""Issue 18: TTN's SOAP service (El Fatoora's EfactService) through a local server: deposited
once whatever the retries, its reference and its seal recorded and printed; and the outbox's
batches."""

import base64
import io
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

import pytest
import segno
from django.db import connection
from django.test.utils import CaptureQueriesContext
from lxml import etree
from pypdf import PdfReader

from einvoicing import services
from einvoicing.backends import Answer, RecordingBackend
from einvoicing.batches import submissions_send
from einvoicing.models import Submission
from einvoicing.schema import teif_errors
from einvoicing.services import registered_copy_render, submission_send
from einvoicing.tasks import send_einvoice, send_einvoices
from tests.billing.helpers import flat, issue
from tests.einvoicing.helpers import COMPANY, account, company
from tests.einvoicing.test_einvoice import pdf_qr_codes

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
SEAL_CONTENT = "https://www.elfatoora.tn/verif?ref=073620200053562920196810312"


def _seal() -> str:
    png = io.BytesIO()
    segno.make(SEAL_CONTENT, error="m").save(png, kind="png", scale=4)
    return base64.b64encode(png.getvalue()).decode()


class FakeEfactService(BaseHTTPRequestHandler):
    """El Fatoora's EfactService: down for its first `down` requests, then it registers each
    document number once and answers consultEfact with TTN's reference, the document as TTN
    returns it (RefTtnVal with the seal) or, for a refused number, its acknowledgement."""

    calls: ClassVar[list[tuple[str, dict]]] = []
    deposits: ClassVar[dict[str, bytes]] = {}
    refuse: ClassVar[set[str]] = set()
    down = 0

    def _answer(self, status: int, body: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.end_headers()
        self.wfile.write(
            f'<S:Envelope xmlns:S="{SOAP}"><S:Body>{body}</S:Body></S:Envelope>'.encode()
        )

    def do_POST(self):
        envelope = etree.fromstring(self.rfile.read(int(self.headers["Content-Length"])))
        call = envelope.find(f"{{{SOAP}}}Body")[0]
        arguments = {child.tag: child.text for child in call if len(child) == 0}
        arguments.update({f"criteria/{c.tag}": c.text for c in call.iterfind("criteria/*")})
        operation = etree.QName(call).localname
        self.calls.append((operation, arguments))
        if len(self.calls) <= type(self).down:
            self.send_response(503)
            self.end_headers()
            return
        if operation == "saveEfact":
            document = base64.b64decode(arguments["documentEfact"])
            number = etree.fromstring(document).findtext("InvoiceBody/Bgm/DocumentIdentifier")
            self.deposits.setdefault(number, document)
            self._answer(
                200,
                '<ns2:saveEfactResponse xmlns:ns2="urn:x"><return>OK</return>'
                "</ns2:saveEfactResponse>",
            )
            return
        number = arguments["criteria/documentNumber"]
        item = ""
        if number in self.refuse and number in self.deposits:
            item = (
                f"<documentNumber>{number}</documentNumber><idSaveEfact>7</idSaveEfact>"
                "<listAcknowlegments><acknowledgment><code>E12</code>"
                "<message>Matricule fiscal du client inconnu</message></acknowledgment>"
                "</listAcknowlegments>"
            )
        elif number in self.deposits:
            returned = etree.fromstring(self.deposits[number])
            answer = etree.SubElement(returned, "RefTtnVal")
            etree.SubElement(answer, "ReferenceTTN", refID="I-88").text = "7" * 27
            etree.SubElement(answer, "ReferenceCEV").text = _seal()
            content = base64.b64encode(etree.tostring(returned)).decode()
            item = (
                f"<documentNumber>{number}</documentNumber><idSaveEfact>8</idSaveEfact>"
                f"<generatedRef>{'7' * 27}</generatedRef><xmlContent>{content}</xmlContent>"
            )
        self._answer(
            200,
            '<ns2:consultEfactResponse xmlns:ns2="urn:x"><return>'
            f"<efactCriteria>{item}</efactCriteria></return></ns2:consultEfactResponse>",
        )

    def log_message(self, *args):
        pass


@pytest.fixture
def elfatoora(settings):
    FakeEfactService.calls.clear()
    FakeEfactService.deposits.clear()
    FakeEfactService.refuse.clear()
    FakeEfactService.down = 0
    server = HTTPServer(("127.0.0.1", 0), FakeEfactService)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EINVOICE_BACKEND = "einvoicing.elfatoora.ElFatooraBackend"
    settings.EINVOICE_URL = f"http://127.0.0.1:{server.server_port}/ElfatouraServices/EfactService"
    settings.EINVOICE_LOGIN, settings.EINVOICE_PASSWORD = "operateur", "secret"
    yield FakeEfactService
    server.shutdown()


def test_einvoice_el_fatoora_is_retried_while_down_then_deposits_once_and_records_its_seal(
    grid, elfatoora, tmp_path
):
    elfatoora.down = 1
    invoice = issue(account(**COMPANY))
    submission = Submission.objects.get(invoice=invoice)
    send_einvoice.apply(args=[submission.pk], throw=False)  # retried at once in the tests
    submission.refresh_from_db()
    assert (submission.status, submission.ttn_reference) == ("accepted", "7" * 27)
    assert [operation for operation, _ in elfatoora.calls] == [
        "consultEfact",  # refused connection (503): the task is retried
        "consultEfact",
        "saveEfact",
        "consultEfact",
    ]
    _operation, deposit = elfatoora.calls[2]
    assert (deposit["login"], deposit["password"], deposit["matricule"]) == (
        "operateur",
        "secret",
        "0000000AAM000",
    )
    assert teif_errors(base64.b64decode(deposit["documentEfact"]), signed=True) == []
    assert submission.qr_text.startswith("data:image/png;base64,")

    # Sent again under the same key (a worker died before recording): not deposited again.
    Submission.objects.filter(pk=submission.pk).update(status="to_send")
    assert submission_send(submission_id=submission.pk, job="test") == "accepted"
    assert [operation for operation, _ in elfatoora.calls].count("saveEfact") == 1

    copy = registered_copy_render(submission)
    with copy.pdf.open("rb") as stored:
        pdf = stored.read()
    assert "7" * 27 in flat(PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert pdf_qr_codes(pdf, tmp_path) == [SEAL_CONTENT]  # TTN's own seal, printed


def test_einvoice_el_fatoora_refusal_is_recorded_with_its_acknowledgement(grid, elfatoora):
    invoice = issue(account(**COMPANY))
    elfatoora.refuse.add(invoice.number)
    submission = Submission.objects.get(invoice=invoice)
    assert submission_send(submission_id=submission.pk, job="test") == "refused"
    submission.refresh_from_db()
    assert submission.refusal_reason == "Matricule fiscal du client inconnu"


# --- Batches --------------------------------------------------------------------------------


def test_einvoice_a_batch_sends_each_invoice_once_when_its_task_runs_twice(grid):
    invoices = [issue(account(**company(n))) for n in range(3)]
    ids = [Submission.objects.get(invoice=invoice).pk for invoice in invoices]
    assert send_einvoices.apply(args=[ids]).get() == 3
    assert send_einvoices.apply(args=[ids]).get() == 0
    assert sorted(sent.number for sent in RecordingBackend.sent) == sorted(
        invoice.number for invoice in invoices
    )
    for submission in Submission.objects.filter(pk__in=ids):
        answer = RecordingBackend.registered[submission.key]
        assert (submission.status, submission.ttn_reference, submission.attempts) == (
            "accepted",
            answer.reference,
            1,
        )
        assert [(c.from_status, c.to_status) for c in submission.changes.all()] == [
            ("", "to_send"),
            ("to_send", "accepted"),
        ]


def test_einvoice_a_batch_costs_the_same_statements_for_six_invoices_as_for_two(grid):
    ids = [Submission.objects.get(invoice=issue(account(**company(n)))).pk for n in range(8)]
    counts = []
    for batch in (ids[:2], ids[2:]):
        with CaptureQueriesContext(connection) as queries:
            submissions_send(submission_ids=batch, job="test")
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert Submission.objects.filter(status="accepted").count() == 8


class DownAtSecondBackend(RecordingBackend):
    def send(self, *, key, number, xml):
        if len(self.sent) == 1:
            raise ConnectionRefusedError("Connection refused")
        return super().send(key=key, number=number, xml=xml)


def test_einvoice_a_batch_leaves_an_invalid_document_and_returns_the_rest_when_ttn_is_down(
    grid, settings, monkeypatch
):
    settings.EINVOICE_BACKEND = f"{__name__}.DownAtSecondBackend"
    invoices = [issue(account(**company(n))) for n in range(4)]
    ids = [Submission.objects.get(invoice=invoice).pk for invoice in invoices]
    broken = invoices[0].number
    checked = services.teif_fast_errors
    monkeypatch.setattr(
        services,
        "teif_fast_errors",
        lambda tree: (
            ["broken"] if tree.findtext(".//DocumentIdentifier") == broken else checked(tree)
        ),
    )
    sent = submissions_send(submission_ids=ids, job="test")
    rows = {row.pk: row for row in Submission.objects.filter(pk__in=ids)}
    assert rows[ids[0]].status == "to_send" and "broken" in rows[ids[0]].last_error
    assert sent.answered == {ids[1]: "accepted"}
    assert sent.unavailable == ids[2:]
    for pk in ids[2:]:
        assert rows[pk].status == "to_send" and rows[pk].lease_until is None
        assert "Connection refused" in rows[pk].last_error
    assert rows[ids[0]].lease_until is None and not rows[ids[0]].xml


class PendingBackend(RecordingBackend):
    def send(self, *, key, number, xml):
        super().send(key=key, number=number, xml=xml)
        return Answer("pending")


def test_einvoice_a_pending_answer_is_recorded_as_sent(grid, settings):
    settings.EINVOICE_BACKEND = f"{__name__}.PendingBackend"
    ids = [Submission.objects.get(invoice=issue(account(**COMPANY))).pk]
    assert submissions_send(submission_ids=ids, job="test").answered == {ids[0]: "sent"}
