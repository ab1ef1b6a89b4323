"""Customer pages against the floor of their own stack, and grid reads.

The demo customer holds LINES lines on two accounts and INVOICES invoices (one a month on each
account for a year). Their
invoice list, dashboard and first line's page are requested in turn with a minimal signed-in
view, ROUNDS times each, through the project's own middleware, session and context processors
(Django's test client, in this process): each page's requests per second and its ratio to the
minimal view's, which only reads request.user and renders a one-line template. The minimal view
is this bench's (ROOT_URLCONF is this module while it runs), not the portal's.
"""

import statistics
import time
from datetime import date, datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.test import Client, override_settings
from django.urls import path, reverse
from django.utils import timezone

from billing.invoicing import Period, invoice_issue
from billing.models import Invoice
from catalogue.models import Offer
from catalogue.selectors import offer_terms
from portal.urls import urlpatterns as portal_urlpatterns
from subscriptions.models import Contract, Line, MobileNumber
from tests.factories import ContractFactory, LineFactory

LINES = 4
MONTHS = 12  # of invoices on each of the customer's two accounts, up to October 2026
INVOICES = 2 * MONTHS
ROUNDS = 30
TARGET = 0.33  # each page against the minimal view (issue 17)

MINIMAL = engines["django"].from_string("<p>{{ request.user.get_username }}</p>")


@login_required
def minimal_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(MINIMAL.render({}, request))


urlpatterns = [path("bench/minimal/", minimal_view, name="bench_minimal"), *portal_urlpatterns]


def _customer_data(contract: Contract) -> Line:
    """The demo customer's second account: LINES lines in all; both accounts billed for the
    last MONTHS months (INVOICES invoices). Returns the customer's first line."""
    customer = contract.customer
    second = ContractFactory(customer=customer, reference="C-BENCH-0002")
    offer = Offer.objects.get(code="forfait-liberte-20")
    activated = timezone.make_aware(datetime(2025, 9, 2, 9, 0))
    for n in range(LINES - Line.objects.filter(contract__customer=customer).count()):
        LineFactory(
            contract=second,
            offer=offer,
            number=MobileNumber.objects.create(msisdn=f"+2162090{n:04d}", status="assigned"),
            status="active",
            activated_at=activated,
        )
    october_2026 = 2026 * 12 + 9  # months counted from year 0, January as 0
    for month in range(october_2026 - MONTHS + 1, october_2026 + 1):
        for account in (contract, second):
            invoice_issue(
                contract_id=account.pk,
                period=Period.month(date(month // 12, month % 12 + 1, 1)),
                issued_on=date((month + 1) // 12, (month + 1) % 12 + 1, 1),
            )
    if (count := Invoice.objects.filter(contract__customer=customer).count()) != INVOICES:
        raise AssertionError(f"{count} invoices issued, not {INVOICES}")
    return Line.objects.filter(contract=contract).order_by("created_at").first()


def _interleaved_rps(client: Client, urls: dict[str, str], rounds: int) -> dict[str, float]:
    """Requests per second of each URL (from the median time), requested in turn."""
    timings: dict[str, list[float]] = {name: [] for name in urls}
    for url in urls.values():
        response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"{url} answered {response.status_code}")
    for _ in range(rounds):
        for name, url in urls.items():
            started = time.perf_counter()
            client.get(url)
            timings[name].append(time.perf_counter() - started)
    return {name: 1 / statistics.median(values) for name, values in timings.items()}


def run(report, median_ms) -> None:
    contract = Contract.objects.get(reference="C-DEMO-0001")
    line = _customer_data(contract)

    anonymous = Client()
    report("home_page", median_ms(lambda: anonymous.get("/")), "ms")

    customer = Client()
    customer.post("/login/", {"username": "client@demo.tn", "password": "demo-client-2026"})
    with override_settings(ROOT_URLCONF=__name__):
        rps = _interleaved_rps(
            customer,
            {
                "minimal": reverse("bench_minimal"),
                "invoice_list": reverse("portal:invoice_list"),
                "dashboard": reverse("portal:dashboard"),
                "line": reverse("portal:line_detail", args=[line.pk]),
            },
            ROUNDS,
        )
    for name, value in rps.items():
        report(f"page_{name}_rps", value, "requests/s")
        if name != "minimal":
            report(f"page_{name}_ratio", value / rps["minimal"], "x")

    offer = Offer.objects.get(code="forfait-liberte-20")
    day = date(2026, 6, 1)
    per_call = median_ms(lambda: offer_terms(offer, on=day), rounds=200)
    report("price_in_force_lookup", per_call, "ms")
