"""Issue 16, point 1: objections reach their recipient at least once and act once (R21.3), on
real worker processes (Redis), through faults: the worker is SIGKILLed while it delivers 120
objections (one claimed delivery and its message left behind, unacknowledged), then a new worker
loses PostgreSQL for a while (its connections go through a proxy the test closes). Without any
rerun by hand, only the beat job (privacy.tasks.resend_overdue_deliveries, sent as beat sends
it): every delivery is acknowledged, each under its one idempotency key, which the partner
applies once."""

import time

import pytest
from django.db import connection

from privacy.models import ObjectionDelivery, Recipient
from privacy.services import consent_record
from privacy.tasks import resend_overdue_deliveries
from subscriptions.models import Customer
from tests.billing.run_faults import run_accounts
from tests.fault_servers import database_proxy
from tests.privacy.partner import Partner
from tests.worker_process import BROKER, database_url, running_worker, wait_for, worker_kill

pytestmark = pytest.mark.faults

OBJECTIONS = 120
STALE_SECONDS = 5
# The retries wait 5 s doubling to 5 minutes (lib.tasks.OUTAGE_RETRY): a delivery cut by the
# outage fails again at its first retry and goes through at its second.
OUTAGE_SECONDS = 8


def _acknowledged(partner: Partner) -> int:
    return sum(200 in statuses for statuses in partner.answers().values())


def _all_delivered() -> bool:
    return not ObjectionDelivery.objects.filter(status="pending").exists()


def _beat_until_delivered(seconds: float) -> bool:
    def delivered() -> bool:
        if _all_delivered():
            return True
        resend_overdue_deliveries.delay()
        time.sleep(STALE_SECONDS)
        return _all_delivered()

    return wait_for(delivered, seconds)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r21_3_objections_of_a_killed_worker_and_a_database_outage_reach_the_partner_once_each(
    grid, celery_app_on_broker, settings
):
    settings.OUTBOX_STALE_SECONDS = STALE_SECONDS
    partner = Partner(down=False, delay=0.03)
    worker_env = {"OUTBOX_STALE_SECONDS": str(STALE_SECONDS), "PRIVACY_DELIVERY_RETRY_SECONDS": "1"}
    Recipient.objects.create(
        name="Partenaire", kind="http", purposes=["partners"], endpoint_url=partner.url, secret="s"
    )
    run_accounts(prefix="O", mailed=OBJECTIONS, paper=0)
    database = settings.DATABASES["default"]
    celery_app_on_broker(BROKER)
    try:
        with running_worker(**worker_env) as worker:
            for customer in Customer.objects.all():  # each queues its delivery once committed
                consent_record(
                    customer=customer, purpose="partners", granted=False, channel="portal", job="t"
                )
            assert wait_for(lambda: _acknowledged(partner) >= 20, 120)
            worker_kill(worker)  # in the middle of the deliveries
        assert not _all_delivered(), "every objection was delivered before the worker was killed"
        with (
            database_proxy(database["HOST"], int(database["PORT"])) as proxy,
            running_worker(DATABASE_URL=database_url(proxy.port), **worker_env),
        ):
            resend_overdue_deliveries.delay()
            assert wait_for(lambda: _acknowledged(partner) >= 60, 120)
            proxy.close()  # open connections cut, new ones refused
            assert not _all_delivered(), "every objection was delivered before the outage"
            time.sleep(OUTAGE_SECONDS)
            proxy.open()
            assert _beat_until_delivered(240), ObjectionDelivery.objects.filter(
                status="pending"
            ).count()
    finally:
        partner.close()
        connection.close()
    keys = {str(key) for key in ObjectionDelivery.objects.values_list("idempotency_key", flat=True)}
    assert len(keys) == OBJECTIONS  # one delivery per objection, one key each
    answers = partner.answers()
    assert set(answers) == keys  # each reached the partner under its own key, acknowledged
    assert all(200 in statuses for statuses in answers.values())
