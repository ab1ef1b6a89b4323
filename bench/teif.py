"""Electronic invoices (issue 18): what the documents queue does for the invoices going to TTN.

teif_invoices_per_s forks two processes, as Celery's prefork pool does on two cores, which share
the run's sending tasks (einvoicing.services.SEND_BATCH invoices each) as the queue does; each
task sends its batch through the outbox (einvoicing.batches.submissions_send): every TEIF
document built from the frozen invoice, checked by the fast schema check, signed (XAdES with
TTN's policy, RSA 2048), stored, submitted to the recording backend, and TTN's answers recorded.
The certificate is a throw-away one, as in the tests. Loading the schema and the key (once per
worker process) is done before the clock starts. teif_invoices_per_cpu_s divides by the CPU time
the two processes used (PostgreSQL's own left out): on a machine shared with other work, the
wall-clock figure falls with the load and this one much less; two idle cores give about twice it.

Then, in one process, interleaved, the milliseconds of one invoice's steps: teif_build_ms (the
tree from the invoice and its lines, read beforehand), teif_check_ms (the fast check),
teif_xsd11_check_ms (xmlschema's XSD 1.1 check of TTN's schema, which the tests run on every
document and the sending path does not), teif_sign_ms, and teif_signxml_verify_ms (signxml's
verification, which the tests run and the sending path does not).
"""

import multiprocessing
import resource
import tempfile
import time
from datetime import date

from django.db import connections
from django.test import override_settings
from lxml import etree
from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier

from bench.accounts import postpaid_accounts
from bench.pdfs import _in, _interleaved_ms
from billing.invoicing import Period, invoices_issue
from billing.models import Invoice
from einvoicing.batches import submissions_send
from einvoicing.models import Submission
from einvoicing.schema import teif_errors, teif_fast_errors
from einvoicing.services import SEND_BATCH
from einvoicing.signing import credentials, signer
from einvoicing.teif import teif_document
from portal.celery import app
from tests.einvoicing.certificates import throwaway

INVOICES = 400
WORKERS = 2
ROUNDS = 20
PERIOD = Period.month(date(2026, 10, 1))


def _worker(batches: list[list[int]]) -> None:
    for batch in batches:
        submissions_send(submission_ids=batch, job="bench")
    connections.close_all()


def _send(ids: list[int]) -> tuple[float, float]:
    """Invoices per second of WORKERS forked processes sending `ids` in batches, and per second
    of the CPU time they used (the figure a loaded machine does not change much)."""
    # A worker loads the schema and the key once, at its first invoice: here, before forking.
    teif_fast_errors(etree.Element("TEIF"))
    signer()
    batches = [ids[start : start + SEND_BATCH] for start in range(0, len(ids), SEND_BATCH)]
    connections.close_all()  # the workers are forked: they must not share it
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_worker, args=(batches[k::WORKERS],)) for k in range(WORKERS)]
    cpu_before = _children_cpu_s()
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    cpu = _children_cpu_s() - cpu_before
    accepted = Submission.objects.filter(pk__in=ids, status="accepted").count()
    if any(worker.exitcode for worker in workers) or accepted != len(ids):
        raise AssertionError(f"{accepted} of {len(ids)} invoices accepted")
    return accepted / elapsed, accepted / cpu


def _children_cpu_s() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _steps_ms(invoice: Invoice) -> dict[str, float]:
    lines = list(invoice.lines.all())
    tree = teif_document(invoice, lines)
    signed = signer().sign(teif_document(invoice, lines))
    certificate = credentials().certificate
    teif_errors(tree, signed=False)  # xmlschema's schema loaded before the clock
    return _interleaved_ms(
        {
            "build": lambda: teif_document(invoice, lines),
            "check": lambda: teif_fast_errors(tree),
            "xsd11_check": lambda: teif_errors(tree, signed=False),
            "sign": lambda: signer().sign(teif_document(invoice, lines)),
            "signxml_verify": lambda: XAdESVerifier().verify(
                signed,
                x509_cert=certificate,
                expect_config=XAdESSignatureConfiguration(expect_references=2),
            ),
        },
        ROUNDS,
    )


def run(report, median_ms) -> None:
    before = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    # The tasks queued after commit (sending, then the registered PDF) stay in memory: only
    # what the sending tasks do is measured.
    app.conf.update(broker_url="memory://", task_always_eager=False)
    try:
        with (
            tempfile.TemporaryDirectory() as storage,
            override_settings(
                STORAGES=_in(storage),
                EINVOICE_SCOPE="companies",
                EINVOICE_BACKEND="einvoicing.backends.RecordingBackend",
                **throwaway()[0],
            ),
        ):
            invoices = invoices_issue(
                contract_ids=postpaid_accounts(
                    INVOICES, name="teif", numbers_from="+2162400", companies=True
                ),
                period=PERIOD,
                issued_on=date(2026, 11, 1),
            )
            ids = list(Submission.objects.filter(invoice__in=invoices).values_list("pk", flat=True))
            if len(ids) != INVOICES:
                raise AssertionError(f"{len(ids)} submissions for {INVOICES} invoices")
            per_s, per_cpu_s = _send(ids)
            report("teif_invoices_per_s", per_s, "invoices/s")
            report("teif_invoices_per_cpu_s", per_cpu_s, "invoices/CPU s")
            ms = _steps_ms(Invoice.objects.select_related("contract").get(pk=invoices[0].pk))
    finally:
        app.conf.update(**before)
    for step, value in ms.items():
        report(f"teif_{step}_ms", value, "ms")
