"""The API for the operator's systems: a page of 100 bills (TMF678 customerBill) answered per
second, next to the minimal Django page that reads the database (one row, a one-line answer)
on the same server: the same middleware, the same process, requested in turn with it, so that a
busy machine slows both alike. The target is half the minimal page's rate (issue 19). The API's
smallest page (one bill cycle) is printed too: the cost of DRF and the key's checks alone.

A system reading the same page again while no bill changed gets the page its web process kept
(api.bill_pages, api.bill_changes): that is `api_bills_page_rps`, as the operator's systems
poll. `api_bills_page_written_rps` is the same page written anew for every request (nothing
kept), as after every change."""

import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import path

from api import bill_pages
from api.keys import key_create
from api.models import Scope
from billing.models import Invoice, InvoiceLine
from portal.urls import urlpatterns as portal_urlpatterns
from subscriptions.models import Contract

BILLS = 120
BASE = "/tmf-api/customerBillManagement/v5"
ROUNDS = 40
# Issue 19's target: the page of 100 bills at half the minimal database page's rate at least.


def minimal_db_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(Contract.objects.values_list("reference", flat=True).first())


urlpatterns = [path("bench/minimal-db/", minimal_db_view), *portal_urlpatterns]


def _bills(contract: Contract) -> None:
    invoices = Invoice.objects.bulk_create(
        Invoice(
            contract=contract,
            period_start=date(2000, 1, 1) + timedelta(days=31 * i),
            period_end=date(2000, 1, 28) + timedelta(days=31 * i),
            number=f"F-BENCH-{i:05d}",
            issued_on=date(2001, 1, 1) + timedelta(days=i),
            due_on=date(2001, 1, 20) + timedelta(days=i),
            customer_name="Bench",
            customer_identity="00000000",
            customer_address="Tunis",
            total_excl_tax=Decimal("30.000"),
            vat_rate=Decimal("0.19"),
            vat_amount=Decimal("5.700"),
            stamp_duty=Decimal("1.000"),
            total_incl_tax=Decimal("36.700"),
        )
        for i in range(BILLS)
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            kind="subscription",
            label="Forfait",
            quantity=Decimal(1),
            unit_price=Decimal("10.000"),
            amount_excl_tax=Decimal("10.000"),
        )
        for invoice in invoices
        for _ in range(3)
    )


def _forget_kept_pages() -> None:
    with bill_pages._kept_lock:
        bill_pages._kept.clear()


def _interleaved_rps(client: Client, urls: dict[str, str]) -> dict[str, float]:
    """Requests per second of each URL (from the median time), requested in turn; a name
    ending in `_written` has the process's kept pages forgotten before each request."""
    timings: dict[str, list[float]] = {name: [] for name in urls}
    for url in urls.values():
        if (status := client.get(url).status_code) != 200:
            raise AssertionError(f"{url} answered {status}")
    for _ in range(ROUNDS):
        for name, url in urls.items():
            if name.endswith("_written"):
                _forget_kept_pages()
            started = time.perf_counter()
            client.get(url)
            timings[name].append(time.perf_counter() - started)
    return {name: 1 / statistics.median(values) for name, values in timings.items()}


def run(report, median_ms) -> None:
    _bills(Contract.objects.order_by("pk").first())
    _key, text = key_create(name="Bench", scopes=[Scope.BILLS_READ], rate_per_minute=10**9)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {text}")
    with override_settings(ROOT_URLCONF=__name__):
        rps = _interleaved_rps(
            client,
            {
                "minimal_db": "/bench/minimal-db/",
                "smallest": f"{BASE}/billCycle?limit=1",
                "bills": f"{BASE}/customerBill?limit=100",
                "bills_written": f"{BASE}/customerBill?limit=100",
            },
        )
    report("api_minimal_db_page_rps", rps["minimal_db"], "req/s")
    report("api_smallest_page_rps", rps["smallest"], "req/s")
    report("api_bills_page_rps", rps["bills"], "req/s")
    report("api_bills_page_vs_minimal_db", rps["bills"] / rps["minimal_db"], "ratio")
    report("api_bills_page_written_rps", rps["bills_written"], "req/s")
    report(
        "api_bills_page_written_vs_minimal_db", rps["bills_written"] / rps["minimal_db"], "ratio"
    )
    report("api_bills_page_vs_smallest", rps["bills"] / rps["smallest"], "ratio")
