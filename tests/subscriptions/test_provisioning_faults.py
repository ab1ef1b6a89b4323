"""Issue 16, point 1: provisioning orders reach the network at least once and act once, on real
worker processes (Redis), through faults: the worker is SIGKILLed while it sends a sweep's 120
block orders (one claimed order and its message left behind, unacknowledged), then a new worker
loses PostgreSQL for a while (its connections go through a proxy the test closes). Without any
rerun by hand, only the beat job (subscriptions.tasks.redeliver_outbox, sent as beat sends it):
every order is confirmed, each under one key, which the network applies once."""

import time

import pytest
from django.db import connection

from subscriptions.models import Line, ProvisioningOrder
from subscriptions.services.suspensions import suspensions_open
from subscriptions.tasks import redeliver_outbox
from tests.billing.run_faults import run_accounts
from tests.fault_servers import database_proxy
from tests.network_spool import received
from tests.worker_process import BROKER, database_url, running_worker, wait_for, worker_kill

pytestmark = pytest.mark.faults

LINES = 120
STALE_SECONDS = 5
# The retries wait 5 s doubling to 5 minutes (lib.tasks.OUTAGE_RETRY): a send cut by the outage
# fails again at its first retry and goes through at its second.
OUTAGE_SECONDS = 8


def _all_confirmed() -> bool:
    return not ProvisioningOrder.objects.exclude(status="confirmed").exists()


def _beat_until_confirmed(seconds: float) -> bool:
    def confirmed() -> bool:
        if _all_confirmed():
            return True
        redeliver_outbox.delay()
        time.sleep(STALE_SECONDS)
        return _all_confirmed()

    return wait_for(confirmed, seconds)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r13_1_orders_of_a_killed_worker_and_a_database_outage_reach_the_network_once_each(
    grid, celery_app_on_broker, settings, tmp_path
):
    settings.OUTBOX_STALE_SECONDS = STALE_SECONDS
    network = tmp_path / "network"
    worker_env = {
        "PROVISIONING_BACKEND": "tests.network_spool.SpoolNetwork",
        "NETWORK_SPOOL_PATH": str(network),
        "NETWORK_SPOOL_DELAY": "0.05",
        "OUTBOX_STALE_SECONDS": str(STALE_SECONDS),
        "SMS_BACKEND": "lib.sms.LocmemSmsBackend",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    run_accounts(prefix="N", mailed=LINES, paper=0)
    line_ids = list(Line.objects.values_list("pk", flat=True))
    database = settings.DATABASES["default"]
    celery_app_on_broker(BROKER)
    try:
        with running_worker(**worker_env) as worker:
            suspensions_open(line_ids=line_ids, cause="fraud", reason="Fraude", job="test")
            assert wait_for(lambda: received(network).total() >= 20, 120)
            worker_kill(worker)  # in the middle of the sweep's orders
        assert not _all_confirmed(), "every order was sent before the worker was killed"
        with (
            database_proxy(database["HOST"], int(database["PORT"])) as proxy,
            running_worker(DATABASE_URL=database_url(proxy.port), **worker_env),
        ):
            redeliver_outbox.delay()
            assert wait_for(lambda: received(network).total() >= 60, 120)
            proxy.close()  # open connections cut, new ones refused
            assert not _all_confirmed(), "every order was sent before the outage"
            time.sleep(OUTAGE_SECONDS)
            proxy.open()
            assert _beat_until_confirmed(240), ProvisioningOrder.objects.exclude(
                status="confirmed"
            ).count()
    finally:
        connection.close()
    orders = ProvisioningOrder.objects.all()
    keys = set(orders.values_list("key", flat=True))
    assert len(keys) == orders.count() == LINES  # one block order per line, one key each
    assert set(received(network)) == keys  # each reached the network, under its own key
    assert Line.objects.filter(status="suspended").count() == LINES
