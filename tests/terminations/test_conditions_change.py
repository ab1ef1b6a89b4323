"""Changes of conditions (R5.1, R5.2): published by a supervisor, notified by a Celery job to every
customer concerned once, the date kept per customer; it opens the R16.7 / R16.9 windows."""

import os
import time
from datetime import date, datetime

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail
from django.utils import timezone

from catalogue.models import Offer
from subscriptions.models import Contract, Customer, Line, MobileNumber
from terminations.conditions import ChangeRefused, conditions_change_publish
from terminations.models import ConditionsChange, ConditionsNotice
from terminations.tasks import notify_conditions_change, resume_conditions_notifications
from tests.factories import BoutiqueFactory, SupervisorFactory

CUSTOMERS = 5000
BROKER = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")


def _customers(offer: Offer, count: int) -> None:
    boutique = BoutiqueFactory()
    customers = Customer.objects.bulk_create(
        Customer(
            kind="individual",
            boutique=boutique,
            last_name=f"N{i}",
            first_name="N",
            cin=f"{50000000 + i:08d}",
            street="1 rue",
            postal_code="1000",
            city="Tunis",
            email=f"n{i}@example.tn",
        )
        for i in range(count)
    )
    contracts = Contract.objects.bulk_create(
        Contract(customer=c, reference=f"N{i:06d}") for i, c in enumerate(customers)
    )
    numbers = MobileNumber.objects.bulk_create(
        MobileNumber(msisdn=f"+2165{i:07d}", status="assigned") for i in range(count)
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


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _notified(change: ConditionsChange) -> int:
    return ConditionsNotice.objects.filter(change=change, notified_at__isnull=False).count()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r5_1_a_change_is_notified_to_5000_customers_once_each_when_the_job_restarts(
    grid, celery_app_on_broker
):
    offer = Offer.objects.get(code="forfait-liberte-20")
    _customers(offer, CUSTOMERS)
    supervisor = SupervisorFactory()
    change = ConditionsChange.objects.create(
        title="Nouveaux tarifs",
        text="Le forfait passe à 22 TND.",
        effective_on=date(2027, 1, 1),
        raises_price=True,
        created_by=supervisor,
    )
    change.offers.add(offer)
    app = celery_app_on_broker(BROKER)
    mail.outbox = []
    first = start_worker(app, perform_ping_check=False, shutdown_timeout=60, queues=["celery"])
    first.__enter__()
    try:
        conditions_change_publish(change=change, actor=supervisor)  # queued on commit
        # The first worker stops (a deploy) once some batches went out, in the middle of the job.
        assert _wait_for(lambda: _notified(change) >= 1000, 120)
    finally:
        first.__exit__(None, None, None)
    stopped_at = _notified(change)
    assert 1000 <= stopped_at < CUSTOMERS
    # The beat's resume job and a duplicate message queue the job again, twice at once.
    resume_conditions_notifications.delay()
    notify_conditions_change.delay(change.pk)
    with start_worker(app, perform_ping_check=False, shutdown_timeout=60, queues=["celery"]):
        assert _wait_for(
            lambda: ConditionsChange.objects.get(pk=change.pk).notified_at is not None, 240
        )
        time.sleep(2)  # the duplicate chains find nothing left to send
    change.refresh_from_db()
    assert (change.customers_total, change.customers_notified) == (CUSTOMERS, CUSTOMERS)
    recipients = [address for message in mail.outbox for address in message.to]
    assert len(recipients) == CUSTOMERS
    assert len(set(recipients)) == CUSTOMERS
    assert not ConditionsNotice.objects.filter(change=change, notified_at__isnull=True).exists()


def test_r5_2_publishing_twice_notifies_once(
    new_alice, supervisor, django_capture_on_commit_callbacks
):
    line = Line.objects.get(contract__customer=new_alice)
    change = ConditionsChange.objects.create(
        title="Nouvelles conditions",
        text="Une clause change.",
        effective_on=date(2027, 1, 1),
        created_by=supervisor,
    )
    change.offers.add(line.offer)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        conditions_change_publish(change=change, actor=supervisor)
    with pytest.raises(ChangeRefused):
        conditions_change_publish(change=change, actor=supervisor)
    notify_conditions_change(change.pk)  # a task run again after the job finished
    (notice,) = ConditionsNotice.objects.filter(change=change)
    assert notice.customer == new_alice
    assert notice.notified_at is not None  # R5.1: the notification date, per customer
    assert [m.to for m in mail.outbox] == [["alice@example.tn"]]
    change.refresh_from_db()
    assert change.notified_at is not None
