"""What the fault tests of a billing run share (issue 16): its accounts, the settings the test
and its worker processes read, the beat job called until everything is delivered, and the
checks that every invoice has one PDF and exactly one mail and the run its right count."""

import email
import time
from datetime import datetime
from pathlib import Path

from django.utils import timezone

from billing.models import BillingRun, Invoice
from billing.tasks import redeliver_billing
from catalogue.models import Offer
from subscriptions.models import Contract, Customer, Line, MobileNumber
from tests.factories import BoutiqueFactory
from tests.mail_spool import spooled
from tests.worker_process import wait_for

# A run of 120 accounts mailed their invoices and 8 on paper (their printable batch), billed in
# batches of BATCH: 13 batches, so that a fault lands with batches and mails both before and
# after it (a fault test starts it once MAILS_BEFORE_FAULT mails are out).
MAILED = 120
PAPER = 8
BATCH = 10
MAILS_BEFORE_FAULT = 20
# Claims, queued messages and running runs are stale after this long (5 minutes in production).
STALE_SECONDS = 5


def run_accounts(*, prefix: str, mailed: int = MAILED, paper: int = PAPER) -> None:
    """`mailed` accounts with an e-mail address and `paper` ones on paper invoices, each with one
    active line since September 2026; `prefix` (one letter) keeps their numbers apart."""
    boutique = BoutiqueFactory()
    offer = Offer.objects.get(code="forfait-liberte-20")
    base = 10_000_000 * (ord(prefix) % 10)
    count = mailed + paper
    customers = Customer.objects.bulk_create(
        Customer(
            kind="individual",
            boutique=boutique,
            last_name=f"{prefix}{i}",
            first_name=prefix,
            cin=f"{base + i:08d}",
            street="1 rue",
            postal_code="1000",
            city="Tunis",
            email=f"{prefix.lower()}{i}@example.tn",
        )
        for i in range(count)
    )
    contracts = Contract.objects.bulk_create(
        Contract(
            customer=c,
            reference=f"{prefix}{i:06d}",
            invoice_delivery=Contract.InvoiceDelivery.PAPER if i >= mailed else "email",
        )
        for i, c in enumerate(customers)
    )
    numbers = MobileNumber.objects.bulk_create(
        MobileNumber(msisdn=f"+2162{base // 10 + i:07d}", status="assigned") for i in range(count)
    )
    Line.objects.bulk_create(
        Line(
            contract=c,
            offer=offer,
            number=n,
            status="active",
            activated_at=timezone.make_aware(datetime(2026, 9, 1, 9, 0)),
        )
        for c, n in zip(contracts, numbers, strict=True)
    )


def delivery_settings(settings, tmp_path: Path) -> dict[str, str]:
    """The test's settings for a run on worker processes (PDFs and mails in `tmp_path`, stale
    after STALE_SECONDS); returns the same as the workers' environment."""
    settings.BILLING_BATCH_SIZE = BATCH
    settings.OUTBOX_STALE_SECONDS = STALE_SECONDS
    settings.EMAIL_BACKEND = "tests.mail_spool.SpoolEmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "mail")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }
    return {
        "EMAIL_BACKEND": "tests.mail_spool.SpoolEmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "OUTBOX_STALE_SECONDS": str(STALE_SECONDS),
        "BILLING_BATCH_SIZE": str(BATCH),
    }


def mails_sent(tmp_path: Path) -> int:
    return len(spooled(tmp_path / "mail"))


def all_delivered(mailed: int = MAILED, paper: int = PAPER) -> bool:
    run = BillingRun.objects.filter(status="done").first()
    return (
        run is not None
        and Invoice.objects.count() == mailed + paper
        and not Invoice.objects.filter(pdf="").exists()
        and Invoice.objects.filter(emailed_at__isnull=False).count() == mailed
        and run.paper_batch_invoices == paper
    )


def beat_until_delivered(seconds: float) -> bool:
    """No rerun by hand: the beat job, sent as beat sends it, every STALE_SECONDS instead of
    every 5 minutes, until everything is delivered; then once more (nothing goes twice)."""

    def delivered() -> bool:
        if all_delivered():
            return True
        redeliver_billing.delay()
        time.sleep(STALE_SECONDS)
        return all_delivered()

    if not wait_for(delivered, seconds):
        return False
    redeliver_billing.delay()
    time.sleep(2 * STALE_SECONDS)
    return True


def undelivered() -> dict[str, object]:
    """What is missing, for a failed assertion's message."""
    return {
        "invoices": Invoice.objects.count(),
        "without_pdf": Invoice.objects.filter(pdf="").count(),
        "not_mailed": Invoice.objects.filter(emailed_at__isnull=True).count(),
        "runs": list(BillingRun.objects.values("status", "accounts_done", "paper_batch_invoices")),
    }


def assert_one_pdf_and_one_mail_each(tmp_path: Path, mailed: int = MAILED, paper: int = PAPER):
    """R9.1: one invoice per account, numbers without gap; one PDF each; exactly one mail per
    mailed invoice; the run done with its count right and its paper batch whole."""
    run = BillingRun.objects.get()
    total = mailed + paper
    assert (run.status, run.accounts_done, run.accounts_total) == ("done", total, total)
    assert run.paper_batch_invoices == paper
    invoices = list(Invoice.objects.values_list("number", "pdf", "contract_id"))
    assert len(invoices) == total
    assert len({contract for *_, contract in invoices}) == total
    assert len({pdf for _, pdf, _ in invoices}) == total
    for _, pdf, _ in invoices:
        assert (tmp_path / "private" / pdf).read_bytes().startswith(b"%PDF")
    assert sorted(int(number.split("-")[1]) for number, *_ in invoices) == list(range(1, total + 1))
    messages = [email.message_from_bytes(p.read_bytes()) for p in spooled(tmp_path / "mail")]
    sent = [m["Message-ID"] for m in messages]
    assert len(sent) == mailed
    assert len(set(sent)) == mailed
    assert set(sent) == set(
        Invoice.objects.exclude(contract__invoice_delivery="paper").values_list(
            "email_message_id", flat=True
        )
    )
