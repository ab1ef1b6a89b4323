"""The API for the operator's systems: a page of 100 bills (TMF678 customerBill) answered per
second, next to the API's smallest page (one bill cycle) on the same server and database."""

from datetime import date, timedelta
from decimal import Decimal

from django.test import Client

from api.keys import key_create
from api.models import Scope
from billing.models import Invoice, InvoiceLine
from subscriptions.models import Contract

BILLS = 120
BASE = "/tmf-api/customerBillManagement/v5"


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


def run(report, median_ms) -> None:
    _bills(Contract.objects.order_by("pk").first())
    _key, text = key_create(name="Bench", scopes=[Scope.BILLS_READ], rate_per_minute=10**9)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {text}")
    page = median_ms(lambda: client.get(f"{BASE}/customerBill", {"limit": 100}))
    smallest = median_ms(lambda: client.get(f"{BASE}/billCycle", {"limit": 1}))
    report("api_bills_page_rps", 1000 / page, "req/s")
    report("api_smallest_page_rps", 1000 / smallest, "req/s")
    report("api_bills_page_vs_smallest", smallest / page, "ratio")
