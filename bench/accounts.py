"""The accounts the bench invoices: postpaid customers with one line each on the demo grid's
forfait, active since September 2026, built in bulk (bench/pdfs.py, bench/teif.py)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from accounts.models import Boutique
from billing.models import UsageImport, UsageRecord
from catalogue.models import Offer
from subscriptions.models import Contract, Customer, Line, MobileNumber

ACTIVATED = datetime(2026, 9, 1, 9, 0)
USAGE_FROM = datetime(2026, 10, 1, 8, 0)


def _customer(name: str, i: int, *, companies: bool) -> Customer:
    address = {"street": "1 avenue Habib Bourguiba", "postal_code": "1000", "city": "Tunis"}
    if companies:  # identified by a matricule fiscal: their invoices go to TTN
        return Customer(
            kind="company",
            company_name=f"Société Bench {name} {i}",
            trade_register_number=f"B{i:09d}",
            tax_id=f"{5000000 + i:07d}A/A/M/000",
            **address,
        )
    return Customer(
        kind="individual",
        last_name=f"{name}{i}",
        first_name="Bench",
        cin=f"{40000000 + i:08d}",
        **address,
    )


def postpaid_accounts(
    count: int, *, name: str, numbers_from: str, companies: bool = False, usage_lines: int = 0
) -> list[int]:
    """`count` accounts of the boutique `bench-<name>` (companies or individuals), their
    contracts `C-<NAME>-000001`…, their numbers `numbers_from` followed by four digits, and
    `usage_lines` voice calls a line in October; their contracts' ids."""
    boutique, _ = Boutique.objects.get_or_create(
        code=f"bench-{name}", defaults={"name": f"Bench {name}", "city": "Tunis"}
    )
    offer = Offer.objects.get(code="forfait-liberte-20")
    customers = [_customer(name.capitalize(), i, companies=companies) for i in range(count)]
    for customer in customers:
        customer.boutique = boutique
    customers = Customer.objects.bulk_create(customers)
    contracts = Contract.objects.bulk_create(
        Contract(customer=customer, reference=f"C-{name.upper()}-{i:06d}")
        for i, customer in enumerate(customers)
    )
    numbers = MobileNumber.objects.bulk_create(
        MobileNumber(msisdn=f"{numbers_from}{i:04d}", status="assigned") for i in range(count)
    )
    lines = Line.objects.bulk_create(
        Line(
            contract=contract,
            number=number,
            offer=offer,
            status="active",
            activated_at=timezone.make_aware(ACTIVATED),
            commitment_ends_on=date(2027, 8, 31),
        )
        for contract, number in zip(contracts, numbers, strict=True)
    )
    if usage_lines:
        upload = UsageImport.objects.create(name=f"bench-{name}")
        start = timezone.make_aware(USAGE_FROM)
        UsageRecord.objects.bulk_create(
            UsageRecord(
                line=line,
                started_at=start + timedelta(hours=17 * k, minutes=line.pk % 60),
                kind="voice",
                destination=f"+216710{line.pk % 10000:05d}",
                quantity=Decimal(1 + k % 9),
                unit_price=Decimal("0.120"),
                usage_import=upload,
                record_key=f"bench-{name}-{line.pk}-{k}",
            )
            for line in lines
            for k in range(usage_lines)
        )
    return [contract.pk for contract in contracts]
