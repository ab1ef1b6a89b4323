"""Helpers shared by several test modules of this folder."""

import re
import shutil
import subprocess
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from typing import NamedTuple

import pytest
from django.utils import timezone
from pypdf import PdfReader

from billing.invoicing import Period, invoice_issue
from billing.models import Invoice, UsageImport
from billing.payments import (
    balance_of,
    invoices_with_balance,
)
from billing.usage_import import usage_import_run, usage_import_store
from catalogue.models import Offer
from subscriptions.models import Contract
from subscriptions.services.records import line_activate
from tests.factories import ContractFactory, CustomerFactory, LineFactory, SimCardFactory

OCTOBER = Period.month(date(2026, 10, 1))


NOVEMBER_1 = date(2026, 11, 1)


def account(offer_code="forfait-liberte-20", activated=datetime(2026, 9, 1, 10, 0)):
    customer = CustomerFactory()
    line = LineFactory(
        contract=ContractFactory(customer=customer), offer=Offer.objects.get(code=offer_code)
    )
    line_activate(line=line, sim=SimCardFactory(), job="test", at=timezone.make_aware(activated))
    return line


def issue(line, period=OCTOBER, on=NOVEMBER_1):
    return invoice_issue(contract_id=line.contract_id, period=period, issued_on=on)


def march_invoice(customer) -> Invoice:
    """The invoice the persona fixture issued for March 2026 (issued 01/04/2026)."""
    return Invoice.objects.get(contract__customer=customer, period_start=date(2026, 3, 1))


def flat(text: str) -> str:
    """Text with every run of spaces (non-breaking ones included) and line breaks as one space."""
    return " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())


def poppler(tool: str) -> str:
    executable = shutil.which(tool)
    if executable is None:
        pytest.fail(
            f"Debian's poppler-utils is not installed ({tool}): run `make system-packages`."
        )
    return executable


def pdf_bytes(invoice: Invoice) -> bytes:
    with invoice.pdf.open("rb") as stored:
        return stored.read()


def pdf_text(invoice: Invoice) -> str:
    reader = PdfReader(BytesIO(pdf_bytes(invoice)))
    return flat(" ".join(page.extract_text() for page in reader.pages))


class Word(NamedTuple):
    text: str
    x_min: float
    top: float
    x_max: float
    bottom: float


def words(pdf: Path) -> list[Word]:
    """Page 1's words with their boxes (poppler's pdftotext -bbox), in reading order."""
    html = subprocess.run(  # noqa: S603
        [poppler("pdftotext"), "-bbox", "-f", "1", "-l", "1", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    box = r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)"'
    return [
        Word(text, float(x_min), float(top), float(x_max), float(bottom))
        for x_min, top, x_max, bottom, text in re.findall(rf"<word {box}>([^<]*)</word>", html)
    ]


def balances(contract):
    return [balance_of(invoice) for invoice in invoices_with_balance(contract)]


PAPER = Contract.InvoiceDelivery.PAPER
HEADER = "msisdn,started_at,kind,destination,quantity\n"


def paper_account(postal_code: str, last_name: str, delivery: str = PAPER):
    line = account()
    customer = line.contract.customer
    customer.postal_code, customer.last_name, customer.email = (
        postal_code,
        last_name,
        f"{last_name.lower()}@example.tn",
    )
    customer.save()
    Contract.objects.filter(pk=line.contract_id).update(invoice_delivery=delivery)
    return line.contract


def usage_import(*, name: str, content: bytes) -> UsageImport:
    """A usage file given as bytes, stored and imported at once (as the command does)."""
    return usage_import_run(usage_import_store(name=name, content=BytesIO(content)).pk)


def csv_of(*rows: str) -> bytes:
    return (HEADER + "\n".join(rows) + "\n").encode()
