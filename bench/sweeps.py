"""The overdue-invoice sweep (R10.4) over many lines, a few of them due.

Every account has one postpaid line and an invoice past its due date plus the grid's delay;
95 % of them are paid (a payment allocated to the invoice), 5 % are not and their lines are
suspended by the sweep, with their causes, history, block orders and notifications; the orders
and notifications are queued in Redis for the workers, as in production. `sweep_lines_per_s` is
the lines looked at per second of the whole sweep; the target is the whole sweep of 200,000
lines under 10 seconds.

BENCH_SWEEP_LINES sets the number of lines (200,000 by default, as in the issue).
"""

import os
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import redis
from django.utils import timezone

from accounts.models import Boutique, User
from billing.models import Invoice, Payment, PaymentAllocation
from catalogue.models import Offer
from subscriptions.models import Contract, Customer, Line, MobileNumber, SuspensionCause
from subscriptions.services.sweeps import overdue_invoices_sweep

LINES = int(os.environ.get("BENCH_SWEEP_LINES", "200000"))
DUE_EVERY = 20  # one account in 20 (5 %) has not paid
CHUNK = 5000  # rows per bulk insert while building the data set
TOTAL = Decimal("24.800")


def _build() -> int:
    boutique = Boutique.objects.get(code="tunis-lac")
    agent = User.objects.filter(boutique=boutique).first()
    offer = Offer.objects.get(code="forfait-liberte-20")
    activated = timezone.make_aware(datetime(2026, 6, 1, 9, 0))
    due_on = timezone.localdate() - timedelta(days=40)
    for start in range(0, LINES, CHUNK):
        size = min(CHUNK, LINES - start)
        customers = Customer.objects.bulk_create(
            Customer(
                kind="individual",
                boutique=boutique,
                last_name=f"Sweep{start + i}",
                first_name="S",
                cin=f"{60000000 + start + i:08d}",
                street="1 rue",
                postal_code="1000",
                city="Tunis",
            )
            for i in range(size)
        )
        contracts = Contract.objects.bulk_create(
            Contract(customer=c, reference=f"SW{start + i:08d}") for i, c in enumerate(customers)
        )
        numbers = MobileNumber.objects.bulk_create(
            MobileNumber(msisdn=f"+2164{start + i:07d}", status="assigned") for i in range(size)
        )
        Line.objects.bulk_create(
            Line(contract=c, offer=offer, number=n, status="active", activated_at=activated)
            for c, n in zip(contracts, numbers, strict=True)
        )
        invoices = Invoice.objects.bulk_create(
            Invoice(
                contract=c,
                period_start=date(2026, 9, 1),
                period_end=date(2026, 9, 30),
                number=f"SW-{start + i:08d}",
                issued_on=due_on - timedelta(days=15),
                due_on=due_on,
                customer_name="S",
                customer_identity=c.customer.cin,
                customer_address="1 rue, 1000 Tunis",
                total_excl_tax=Decimal("20.000"),
                vat_rate=Decimal("0.1900"),
                vat_amount=Decimal("3.800"),
                stamp_duty=Decimal("1.000"),
                total_incl_tax=TOTAL,
            )
            for i, c in enumerate(contracts)
        )
        paid = [inv for i, inv in enumerate(invoices) if (start + i) % DUE_EVERY]
        payments = Payment.objects.bulk_create(
            Payment(
                contract_id=inv.contract_id,
                amount=TOTAL,
                method="cash",
                received_on=due_on,
                recorded_by=agent,
            )
            for inv in paid
        )
        PaymentAllocation.objects.bulk_create(
            PaymentAllocation(payment=p, invoice=inv, amount=TOTAL)
            for p, inv in zip(payments, paid, strict=True)
        )
    return LINES // DUE_EVERY


def _queue_side_effects_in_redis() -> str:
    """The block orders and notifications go to the broker for the workers, as in production."""
    from portal.celery import app

    url = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
    app.conf.update(broker_url=url, task_always_eager=False)
    redis.Redis.from_url(url).flushdb()
    return url


def run(report, median_ms) -> None:
    url = _queue_side_effects_in_redis()
    due = _build()
    started = time.perf_counter()
    counts = overdue_invoices_sweep(now=timezone.now())
    elapsed = time.perf_counter() - started
    assert counts["suspended"] == due == SuspensionCause.objects.count(), counts
    report("sweep_lines_per_s", LINES / elapsed, "lines/s")
    report("sweep_seconds", elapsed, "s")
    redis.Redis.from_url(url).flushdb()
