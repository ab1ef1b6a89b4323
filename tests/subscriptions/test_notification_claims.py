"""Issue 16, point 1: a suspension or restoration notice is claimed by the worker sending it,
sent, then recorded as sent, so that a worker killed in between loses nothing: a claim older
than OUTBOX_STALE_SECONDS is a dead worker's and the beat job (subscriptions.tasks.
redeliver_outbox) sends the notice; a fresh claim is left to its worker; a sent notice is never
sent again."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from lib import sms
from subscriptions.models import CustomerNotification, Line, SuspensionCause
from subscriptions.notices import suspensions as notices
from subscriptions.notices.suspensions import notification_send, notifications_to_send
from subscriptions.services.suspensions import suspension_open
from subscriptions.tasks import redeliver_outbox

# The suite's instant, whatever the day: claims are dated relative to it.
pytestmark = pytest.mark.time_machine(timezone.make_aware(datetime(2026, 11, 18, 10, 0)), tick=True)


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "lib.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def suspended(alice, agent, settings, sms_outbox) -> list[int]:
    """The e-mail and SMS telling Alice her line is suspended, recorded ten minutes ago and not
    sent yet."""
    settings.OUTBOX_STALE_SECONDS = 300
    line = Line.objects.get(contract__customer=alice)
    suspension_open(line=line, cause=SuspensionCause.Cause.FRAUD, reason="Spam", actor=agent)
    recorded = CustomerNotification.objects.filter(line=line, kind="suspended")
    recorded.update(created_at=timezone.now() - timedelta(minutes=10))
    mail.outbox = []
    return sorted(recorded.values_list("pk", flat=True))


def _sent() -> tuple[int, int]:
    return len(mail.outbox), len(sms.outbox)


def _stale() -> datetime:
    return timezone.now() - timedelta(minutes=5)


def test_r13_1_a_notice_is_sent_once_and_recorded_after_its_sending(suspended):
    assert [notification_send(pk) for pk in suspended] == [True, True]
    assert _sent() == (1, 1)
    for notice in CustomerNotification.objects.filter(pk__in=suspended):
        assert notice.claimed_at <= notice.sent_at
    assert [notification_send(pk) for pk in suspended] == [False, False]
    assert _sent() == (1, 1)


def test_r13_1_a_dead_workers_claim_is_sent_by_the_beat_job(suspended):
    # The worker claimed both notices six minutes ago and was killed before sending them.
    CustomerNotification.objects.filter(pk__in=suspended).update(
        claimed_at=timezone.now() - timedelta(minutes=6)
    )
    assert sorted(notifications_to_send(created_before=_stale())) == suspended
    assert redeliver_outbox.delay().get() >= 2
    assert _sent() == (1, 1)
    assert not CustomerNotification.objects.filter(pk__in=suspended, sent_at__isnull=True)
    assert notifications_to_send(created_before=_stale()) == []


def test_r13_1_a_fresh_claim_is_left_to_its_worker(suspended):
    CustomerNotification.objects.filter(pk__in=suspended).update(claimed_at=timezone.now())
    assert notifications_to_send(created_before=_stale()) == []
    redeliver_outbox.delay().get()
    assert [notification_send(pk) for pk in suspended] == [False, False]
    assert _sent() == (0, 0)
    assert CustomerNotification.objects.filter(pk__in=suspended, sent_at__isnull=True).count() == 2


def test_r13_1_a_sent_notice_is_never_sent_again_even_with_an_old_claim(suspended):
    for pk in suspended:
        notification_send(pk)
    CustomerNotification.objects.filter(pk__in=suspended).update(
        claimed_at=timezone.now() - timedelta(hours=1)
    )
    assert notifications_to_send(created_before=_stale()) == []
    redeliver_outbox.delay().get()
    assert [notification_send(pk) for pk in suspended] == [False, False]
    assert _sent() == (1, 1)


def test_r13_1_a_failed_send_gives_its_claim_back_for_the_retry(suspended, monkeypatch):
    sms_notice = CustomerNotification.objects.get(pk__in=suspended, channel="sms")

    def operator_down(**kwargs) -> None:
        raise ConnectionError("SMS gateway down")

    monkeypatch.setattr(notices, "send_sms", operator_down)
    with pytest.raises(ConnectionError):
        notification_send(sms_notice.pk)
    sms_notice.refresh_from_db()
    assert (sms_notice.claimed_at, sms_notice.sent_at) == (None, None)
    monkeypatch.undo()
    assert notification_send(sms_notice.pk) is True  # the retry, at once
    assert _sent() == (0, 1)
