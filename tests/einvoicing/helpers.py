"""Accounts whose invoices the e-invoice tests send to TTN."""

from datetime import datetime

from django.utils import timezone

from catalogue.models import Offer
from subscriptions.services.records import line_activate
from tests.factories import ContractFactory, CustomerFactory, LineFactory, SimCardFactory


def account(**customer):
    """A postpaid line active since September 2026 for a customer with these fields."""
    line = LineFactory(
        contract=ContractFactory(customer=CustomerFactory(**customer)),
        offer=Offer.objects.get(code="forfait-liberte-20"),
    )
    line_activate(
        line=line,
        sim=SimCardFactory(),
        job="test",
        at=timezone.make_aware(datetime(2026, 9, 1, 10, 0)),
    )
    return line


COMPANY = {
    "kind": "company",
    "cin": "",
    "first_name": "",
    "last_name": "",
    "company_name": "Société Carthage Logistique SARL",
    "trade_register_number": "B0123452026",
    "tax_id": "1234567A/A/M/000",
}


def company(n: int) -> dict:
    """The fields of the `n`th of several companies (COMPANY's, another matricule fiscal)."""
    return {**COMPANY, "tax_id": f"{7654000 + n:07d}B/A/M/000", "company_name": f"Société {n}"}
