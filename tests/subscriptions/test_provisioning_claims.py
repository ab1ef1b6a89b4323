"""Issue 16, point 1: a provisioning order is claimed before each send, so that two workers
never send it at once; a claim older than OUTBOX_STALE_SECONDS is a dead worker's, and the beat
job (subscriptions.tasks.redeliver_outbox) sends the order again under its key."""

from datetime import timedelta

import pytest
from django.utils import timezone

from subscriptions.models import Line, ProvisioningOrder, SuspensionCause
from subscriptions.services.suspensions import (
    NetworkError,
    line_orders_send,
    lines_with_orders_to_send,
    suspension_open,
)
from subscriptions.tasks import redeliver_outbox
from tests.subscriptions.test_suspensions import FlakyNetwork


@pytest.fixture
def block(alice, agent, settings) -> ProvisioningOrder:
    """A block order recorded ten minutes ago, whose queued send never ran."""
    settings.SMS_BACKEND = "lib.sms.LocmemSmsBackend"
    settings.OUTBOX_STALE_SECONDS = 300
    line = Line.objects.get(contract__customer=alice)
    suspension_open(line=line, cause=SuspensionCause.Cause.FRAUD, reason="Spam", actor=agent)
    order = ProvisioningOrder.objects.get(line=line, key__startswith="block:")
    ProvisioningOrder.objects.filter(pk=order.pk).update(
        created_at=timezone.now() - timedelta(minutes=10)
    )
    return order


def test_r13_1_an_order_another_worker_is_sending_is_left_to_it(block):
    ProvisioningOrder.objects.filter(pk=block.pk).update(claimed_at=timezone.now())
    assert line_orders_send(block.line_id) == 0
    assert lines_with_orders_to_send(created_before=timezone.now() - timedelta(minutes=5)) == []
    block.refresh_from_db()
    assert (block.status, block.attempts) == ("pending", 0)


def test_r13_1_a_dead_workers_claim_is_sent_again_by_the_beat_job_under_its_key(block):
    claimed = timezone.now() - timedelta(minutes=6)
    ProvisioningOrder.objects.filter(pk=block.pk).update(claimed_at=claimed, attempts=1)
    assert lines_with_orders_to_send(created_before=timezone.now() - timedelta(minutes=5)) == [
        block.line_id
    ]
    assert redeliver_outbox.delay().get() >= 1
    sent = ProvisioningOrder.objects.get(pk=block.pk)
    assert (sent.status, sent.attempts, sent.key) == ("confirmed", 2, block.key)
    assert sent.claimed_at > claimed
    assert Line.objects.get(pk=block.line_id).status == Line.Status.SUSPENDED


def test_r13_1_a_failed_send_gives_its_claim_back_for_the_retry(block, settings):
    settings.PROVISIONING_BACKEND = "tests.subscriptions.test_suspensions.FlakyNetwork"
    FlakyNetwork.failures = 1
    with pytest.raises(NetworkError):
        line_orders_send(block.line_id)
    block.refresh_from_db()
    assert (block.status, block.claimed_at, block.last_error) == ("pending", None, "timeout")
    assert line_orders_send(block.line_id) == 1  # the retry, at once
