"""Customer pages and grid reads, with the demo grid and a customer holding 20 lines."""

from datetime import date

from django.test import Client

from catalogue.models import Offer
from catalogue.selectors import offer_terms
from subscriptions.models import Contract, Line, MobileNumber
from tests.factories import LineFactory

LINES = 20


def run(report, median_ms) -> None:
    contract = Contract.objects.get(reference="C-DEMO-0001")
    offer = Offer.objects.get(code="forfait-liberte-20")
    for n in range(LINES - Line.objects.filter(contract=contract).count()):
        LineFactory(
            contract=contract,
            offer=offer,
            number=MobileNumber.objects.create(msisdn=f"+2162090{n:04d}"),
        )

    anonymous = Client()
    report("home_page", median_ms(lambda: anonymous.get("/")), "ms")

    customer = Client()
    customer.post("/login/", {"username": "client@demo.tn", "password": "demo-client-2026"})
    report(f"dashboard_{LINES}_lines", median_ms(lambda: customer.get("/dashboard/")), "ms")

    day = date(2026, 6, 1)
    per_call = median_ms(lambda: offer_terms(offer, on=day), rounds=200)
    report("price_in_force_lookup", per_call, "ms")
