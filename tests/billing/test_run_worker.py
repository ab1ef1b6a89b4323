"""A billing run on real Celery worker processes (Redis), one of them killed in the middle."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from billing.invoicing import Period
from billing.models import Invoice
from billing.services import billing_run_start
from catalogue.models import Offer
from subscriptions.models import Contract, Customer, Line, MobileNumber
from tests.factories import BoutiqueFactory

ACCOUNTS = 200
OCTOBER = Period.month(date(2026, 10, 1))
BROKER = (
    os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15").rsplit("/", 1)[0] + "/14"
)


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


def _worker() -> subprocess.Popen:
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": BROKER,
        "DEBUG": "false",
        "HTTPS": "false",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "portal",
            "worker",
            "--pool",
            "solo",
            "--without-heartbeat",
            "--without-mingle",
            "--without-gossip",
            "-l",
            "warning",
        ],
        cwd=settings.BASE_DIR,
        env=env,
        start_new_session=True,
    )


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r9_1_worker_killed_mid_run_then_rerun_gives_each_account_one_invoice_and_no_gap(
    grid, celery_app_on_broker
):
    _accounts()
    celery_app_on_broker(BROKER)
    worker = _worker()
    try:
        billing_run_start(period=OCTOBER)
        assert _wait_for(lambda: Invoice.objects.count() >= 20, 120), "the worker billed nothing"
        os.killpg(worker.pid, signal.SIGKILL)  # no warm shutdown: the batch stops mid-way
        worker.wait(30)
        killed_at = Invoice.objects.count()
        assert killed_at < ACCOUNTS
        worker = _worker()
        billing_run_start(period=OCTOBER)  # the rerun queues what is not yet invoiced
        assert _wait_for(lambda: Invoice.objects.count() == ACCOUNTS, 180)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        connection.close()
    numbers = sorted(int(n.split("-")[1]) for n in Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, ACCOUNTS + 1))
    assert Invoice.objects.values("contract").distinct().count() == ACCOUNTS
