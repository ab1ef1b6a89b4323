"""Electronic invoices (issue 18): what the documents queue does for each invoice going to TTN.

teif_invoices_per_s forks two processes, as Celery's prefork pool does on two cores; each sends
its half of the invoices through the outbox as the task does (einvoicing.services
.submission_send): the TEIF document built from the frozen invoice, checked against TTN's XSD
1.1 schema, signed (XAdES-B, RSA 2048), its signature verified, stored, submitted to the
recording backend and TTN's answer recorded. The certificate is a throw-away one, as in the tests.
Loading TTN's schemas (seconds, once per worker process) is done before the clock starts.
"""

import multiprocessing
import tempfile
import time
from datetime import date, datetime

from django.db import connections
from django.test import override_settings
from django.utils import timezone

from accounts.models import Boutique
from bench.pdfs import _in
from billing.invoicing import Period, invoices_issue
from catalogue.models import Offer
from einvoicing.models import Submission
from einvoicing.schema import teif_errors
from einvoicing.services import submission_send
from einvoicing.signing import credentials
from portal.celery import app
from subscriptions.models import Contract, Customer, Line, MobileNumber
from tests.einvoicing.certificates import throwaway

INVOICES = 400
WORKERS = 2
PERIOD = Period.month(date(2026, 10, 1))


def _accounts(count: int) -> list[int]:
    """`count` companies (matricule fiscal), one postpaid line each, active since September."""
    boutique, _ = Boutique.objects.get_or_create(
        code="bench-teif", defaults={"name": "Bench TEIF", "city": "Tunis"}
    )
    offer = Offer.objects.get(code="forfait-liberte-20")
    customers = Customer.objects.bulk_create(
        Customer(
            kind="company",
            boutique=boutique,
            company_name=f"Société Bench {i}",
            trade_register_number=f"B{i:09d}",
            tax_id=f"{5000000 + i:07d}A/A/M/000",
            street="1 avenue Habib Bourguiba",
            postal_code="1000",
            city="Tunis",
        )
        for i in range(count)
    )
    contracts = Contract.objects.bulk_create(
        Contract(customer=customer, reference=f"C-TEIF-{i:06d}")
        for i, customer in enumerate(customers)
    )
    numbers = MobileNumber.objects.bulk_create(
        MobileNumber(msisdn=f"+2162400{i:04d}", status="assigned") for i in range(count)
    )
    Line.objects.bulk_create(
        Line(
            contract=contract,
            number=number,
            offer=offer,
            status="active",
            activated_at=timezone.make_aware(datetime(2026, 9, 1, 9, 0)),
        )
        for contract, number in zip(contracts, numbers, strict=True)
    )
    return [contract.pk for contract in contracts]


def _worker(submission_ids: list[int]) -> None:
    for submission_id in submission_ids:
        submission_send(submission_id=submission_id, job="bench")
    connections.close_all()


def run(report, median_ms) -> None:
    before = {"broker_url": app.conf.broker_url, "task_always_eager": app.conf.task_always_eager}
    # The tasks queued after commit (sending, then the registered PDF) stay in memory: only
    # what one sending task does is measured.
    app.conf.update(broker_url="memory://", task_always_eager=False)
    certificate = throwaway()[0]
    try:
        with (
            tempfile.TemporaryDirectory() as storage,
            override_settings(
                STORAGES=_in(storage),
                EINVOICE_SCOPE="companies",
                EINVOICE_BACKEND="einvoicing.backends.RecordingBackend",
                **certificate,
            ),
        ):
            invoices = invoices_issue(
                contract_ids=_accounts(INVOICES), period=PERIOD, issued_on=date(2026, 11, 1)
            )
            ids = list(Submission.objects.filter(invoice__in=invoices).values_list("pk", flat=True))
            if len(ids) != INVOICES:
                raise AssertionError(f"{len(ids)} submissions for {INVOICES} invoices")
            # A worker loads TTN's schemas and the certificate once, at its first invoice.
            teif_errors("<TEIF/>", signed=False)
            credentials()
            connections.close_all()  # the workers are forked: they must not share it
            context = multiprocessing.get_context("fork")
            workers = [
                context.Process(target=_worker, args=(ids[k::WORKERS],)) for k in range(WORKERS)
            ]
            started = time.perf_counter()
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            elapsed = time.perf_counter() - started
            accepted = Submission.objects.filter(pk__in=ids, status="accepted").count()
    finally:
        app.conf.update(**before)
    if any(worker.exitcode for worker in workers) or accepted != INVOICES:
        raise AssertionError(f"{accepted} of {INVOICES} invoices accepted")
    report("teif_invoices_per_s", accepted / elapsed, "invoices/s")
