"""Helpers shared by several test modules."""

from datetime import date, timedelta
from decimal import Decimal

from billing.models import Invoice, InvoiceLine


def many_bills(contract, count: int, first: int = 0) -> None:
    """`count` invoices of the account, three lines each, some paid, written at once."""
    invoices = Invoice.objects.bulk_create(
        Invoice(
            contract=contract,
            period_start=date(2010, 1, 1) + timedelta(days=31 * i),
            period_end=date(2010, 1, 28) + timedelta(days=31 * i),
            number=f"F-TEST-{i:05d}",
            issued_on=date(2011, 1, 1) + timedelta(days=i),
            due_on=date(2011, 1, 20) + timedelta(days=i),
            customer_name="Test",
            customer_identity="00000000",
            customer_address="Tunis",
            total_excl_tax=Decimal("10.000"),
            vat_rate=Decimal("0.19"),
            vat_amount=Decimal("1.900"),
            stamp_duty=Decimal("1.000"),
            total_incl_tax=Decimal("12.900"),
        )
        for i in range(first, first + count)
    )
    InvoiceLine.objects.bulk_create(
        InvoiceLine(
            invoice=invoice,
            kind="subscription",
            label=f"Line {n}",
            quantity=Decimal(1),
            unit_price=Decimal("10.000"),
            amount_excl_tax=Decimal("10.000") / 3,
        )
        for invoice in invoices
        for n in range(3)
    )
