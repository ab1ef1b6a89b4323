"""A billing run for many postpaid accounts with a month of usage (PDFs excluded), and its rerun.

The run's batches are billed by two processes, as by a worker with two processes on two cores;
the invoices' PDFs and mails are queued in Redis for the documents queue, as in production.

BENCH_BILLING_ACCOUNTS sets the number of accounts (20,000 by default, as in the billing issue).
"""

import multiprocessing
import os
import time
from datetime import date, datetime, timedelta
from decimal import Decimal

import redis
from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from accounts.models import Boutique
from billing.invoicing import Period, accounts_to_bill
from billing.models import BillingRun, BillingRunAccount, UsageImport, UsageRecord
from billing.services import billing_run_batch, billing_run_start
from catalogue.models import GridParameters, Offer, OfferTerms
from subscriptions.models import Contract, Customer, Line, MobileNumber

ACCOUNTS = int(os.environ.get("BENCH_BILLING_ACCOUNTS", "20000"))
USAGE_PER_LINE = 10  # calls and sessions per line in the month, some beyond the allowances
CHUNK = 2000  # rows per bulk insert while building the data set
PERIOD = Period.month(date(2026, 10, 1))


def _build() -> list[int]:
    boutique = Boutique.objects.get(code="tunis-lac")
    offer = Offer.objects.get(code="forfait-liberte-20")
    activated = timezone.make_aware(datetime(2026, 9, 1, 9, 0))
    upload = UsageImport.objects.create(name="bench")
    for start in range(0, ACCOUNTS, CHUNK):
        size = min(CHUNK, ACCOUNTS - start)
        customers = Customer.objects.bulk_create(
            Customer(
                kind="individual",
                boutique=boutique,
                last_name=f"Bench{start + i}",
                first_name="B",
                cin=f"{30000000 + start + i:08d}",
                street="1 rue",
                postal_code="1000",
                city="Tunis",
            )
            for i in range(size)
        )
        contracts = Contract.objects.bulk_create(
            Contract(customer=c, reference=f"B{start + i:08d}") for i, c in enumerate(customers)
        )
        numbers = MobileNumber.objects.bulk_create(
            MobileNumber(msisdn=f"+2162{5000000 + start + i:07d}", status="assigned")
            for i in range(size)
        )
        lines = Line.objects.bulk_create(
            Line(
                contract=c,
                offer=offer,
                number=n,
                status="active",
                activated_at=activated,
                commitment_ends_on=date(2027, 8, 31),
            )
            for c, n in zip(contracts, numbers, strict=True)
        )
        UsageRecord.objects.bulk_create(
            UsageRecord(
                line=line,
                started_at=activated + timedelta(days=31 + k * 2, hours=k),
                kind="voice",
                destination="+21671000000",
                quantity=Decimal(15),
                unit_price=Decimal("0.120"),
                usage_import=upload,
                record_key=f"bench-{line.pk}-{k}",
            )
            for line in lines
            for k in range(USAGE_PER_LINE)
        )
    _statistics_refresh(Customer, Contract, MobileNumber, Line, UsageRecord)
    return list(accounts_to_bill(PERIOD))


def _statistics_refresh(*models) -> None:
    """The tables just loaded are analysed, as autovacuum does within a minute of a load in
    production (the month's usage is imported days before its run): without statistics the
    planner takes 200,000 usage rows for a few hundred and scans them all for each batch. The
    invoice tables are left as they are: empty here, they would be planned as empty."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _queue_side_effects_in_redis():
    """As in production, the invoice PDFs and e-mails are queued for workers, not made inline:
    the figure is the billing run's own (PDFs have their own figures)."""
    from portal.celery import app

    url = os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/13")
    app.conf.update(broker_url=url, task_always_eager=False)
    redis.Redis.from_url(url).flushdb()
    return url


def _fresh_broker() -> None:
    """A forked process opens its own broker connections."""
    from kombu import pools

    from portal.celery import app

    app.close()
    pools.reset()


def _bill(run_id: int, contract_ids: list[int]) -> int:
    return billing_run_batch(run_id=run_id, contract_ids=contract_ids)


def _floor(contract_ids: list[int]) -> int:
    """The floor the run is compared with: one `INSERT … SELECT` of the same month's invoice
    totals for the same accounts (monthly fee in force, usage, VAT, stamp duty), in SQL alone."""
    grid = GridParameters.objects.filter(effective_from__lte=PERIOD.end).first()
    start = timezone.make_aware(datetime.combine(PERIOD.start, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(PERIOD.end + timedelta(days=1), datetime.min.time()))
    line, terms, usage = Line._meta.db_table, OfferTerms._meta.db_table, UsageRecord._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS bench_floor (contract_id bigint, total numeric)"
        )
        cursor.execute("TRUNCATE bench_floor")
        cursor.execute(
            f"""
            INSERT INTO bench_floor (contract_id, total)
            SELECT billed.contract_id,
                   round(billed.excl_tax * (1 + %(vat)s), 3) + %(stamp)s
            FROM (
                SELECT l.contract_id, sum(t.monthly_fee) + coalesce(sum(u.amount), 0) AS excl_tax
                FROM {line} l
                JOIN LATERAL (
                    SELECT monthly_fee FROM {terms}
                    WHERE offer_id = l.offer_id AND effective_from <= %(last_day)s
                    ORDER BY effective_from DESC LIMIT 1
                ) t ON true
                LEFT JOIN LATERAL (
                    SELECT sum(round(quantity * unit_price, 3)) AS amount FROM {usage}
                    WHERE line_id = l.id AND started_at >= %(start)s AND started_at < %(end)s
                ) u ON true
                WHERE l.contract_id = ANY(%(ids)s)
                GROUP BY l.contract_id
            ) billed
            """,  # noqa: S608  (table names from the models, values as parameters)
            {
                "vat": grid.vat_rate,
                "stamp": grid.stamp_duty,
                "last_day": PERIOD.end,
                "start": start,
                "end": end,
                "ids": contract_ids,
            },
        )
        return cursor.rowcount


def run(report, median_ms) -> None:
    url = _queue_side_effects_in_redis()
    ids = _build()
    billing_run = BillingRun.objects.create(period_start=PERIOD.start, accounts_total=len(ids))
    BillingRunAccount.objects.bulk_create(
        BillingRunAccount(run=billing_run, contract_id=pk) for pk in ids
    )
    size = settings.BILLING_BATCH_SIZE
    batches = [(billing_run.pk, ids[start : start + size]) for start in range(0, len(ids), size)]
    # The batches run in two processes, as a production worker with --concurrency 2 on two cores
    # runs them (each process takes the next batch when it is done with one).
    connections.close_all()  # the processes are forked: they must not share this connection
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(2, initializer=_fresh_broker) as pool:
        pool.starmap(_bill, batches, chunksize=1)
    first = time.perf_counter() - started
    report("billing_invoices_per_s", len(ids) / first, "invoices/s")
    if connection.vendor == "postgresql":
        floor_ms = median_ms(lambda: _floor(ids), 3)
        floor_per_s = len(ids) / (floor_ms / 1000)
        report("billing_floor_invoices_per_s", floor_per_s, "invoices/s")
        report("billing_run_to_floor_ratio", (len(ids) / first) / floor_per_s, "ratio")
    started = time.perf_counter()
    billing_run_start(period=PERIOD)
    rerun = time.perf_counter() - started
    report("billing_rerun_ratio", rerun / first, "ratio")
    redis.Redis.from_url(url).flushdb()
