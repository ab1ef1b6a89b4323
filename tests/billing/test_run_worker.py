"""A billing run on real Celery worker processes (Redis), one of them killed in the middle.

The test holds a lock on one account from its own connection, as a busy agent would: the worker
bills the batches before it, then waits inside the batch that holds that account, in the middle
of its transaction, and is killed there.
"""

from datetime import date, datetime

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from billing.invoicing import Period, accounts_to_bill
from billing.models import BillingRun, Invoice
from billing.services import billing_run_start
from catalogue.models import Offer
from subscriptions.models import Contract, Customer, Line, MobileNumber
from tests.factories import BoutiqueFactory
from tests.worker_process import BROKER, database_url, running_worker, wait_for, worker_kill

ACCOUNTS = 200
BLOCKED_AT = 100  # the held account is the first of the sixth batch of 20
OCTOBER = Period.month(date(2026, 10, 1))


def _accounts() -> None:
    boutique = BoutiqueFactory()
    offer = Offer.objects.get(code="forfait-liberte-20")
    customers = Customer.objects.bulk_create(
        Customer(
            kind="individual",
            boutique=boutique,
            last_name=f"W{i}",
            first_name="W",
            cin=f"{40000000 + i:08d}",
            street="1 rue",
            postal_code="1000",
            city="Tunis",
        )
        for i in range(ACCOUNTS)
    )
    contracts = Contract.objects.bulk_create(
        Contract(customer=c, reference=f"W{i:06d}") for i, c in enumerate(customers)
    )
    numbers = MobileNumber.objects.bulk_create(
        MobileNumber(msisdn=f"+2162{6000000 + i:07d}", status="assigned") for i in range(ACCOUNTS)
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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r9_1_worker_killed_mid_run_then_rerun_gives_each_account_one_invoice_and_no_gap(
    grid, celery_app_on_broker, settings
):
    settings.BILLING_BATCH_SIZE = 20
    _accounts()
    held = list(accounts_to_bill(OCTOBER))[BLOCKED_AT]  # in the order the run batches them
    celery_app_on_broker(BROKER)
    try:
        with running_worker() as worker, psycopg.connect(database_url()) as busy:
            busy.execute("SELECT 1 FROM subscriptions_contract WHERE id = %s FOR UPDATE", [held])
            billing_run_start(period=OCTOBER)
            # The batches before the held account are billed, then the worker waits on it.
            assert wait_for(lambda: Invoice.objects.count() == BLOCKED_AT, 120)
            assert _waiting_on_a_lock(busy), "the worker is not inside the held account's batch"
            worker_kill(worker)  # no warm shutdown: the batch stops mid-way
        assert Invoice.objects.count() == BLOCKED_AT  # the killed batch left nothing
        with running_worker():
            billing_run_start(period=OCTOBER)  # the rerun queues what is not yet invoiced
            assert wait_for(lambda: Invoice.objects.count() == ACCOUNTS, 180)
            # R9.1: the run counts its own accounts, those its killed batch never counted too.
            assert wait_for(lambda: BillingRun.objects.get().status == "done", 60)
        run = BillingRun.objects.get()
        assert (run.accounts_done, run.accounts_total) == (ACCOUNTS, ACCOUNTS)
    finally:
        connection.close()
    numbers = sorted(int(n.split("-")[1]) for n in Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, ACCOUNTS + 1))
    assert Invoice.objects.values("contract").distinct().count() == ACCOUNTS


def _waiting_on_a_lock(busy: psycopg.Connection) -> bool:
    """True once another session of the test database waits for a lock. `busy` is inside the
    transaction that holds the lock, and PostgreSQL shows a transaction the sessions as they
    were at its first look: each look clears that snapshot first (or a worker that starts
    waiting after the first look is never seen)."""

    def waiting() -> bool:
        busy.execute("SELECT pg_stat_clear_snapshot()")
        return (
            busy.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND datname = current_database()"
            ).fetchone()[0]
            > 0
        )

    return wait_for(waiting, 120)
