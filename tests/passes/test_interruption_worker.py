"""RK.2 on a real Celery worker consuming from Redis: the notices of a cut and of its restoration
go out in batches, once each, and a job delivered again sends nothing more."""

import time
from collections import Counter

import pytest
import redis
from django.core import mail

from catalogue.models import Option
from lib import sms
from passes import interruptions
from passes.interruptions import interruption_record, interruption_scope_change
from passes.models import InterruptionChange, PassNotice
from passes.tasks import notify_interruption_change
from tests.factories import SupervisorFactory
from tests.passes.conftest import at, postpaid, prepaid, take
from tests.worker_process import BROKER


def _wait_for(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def empty_broker():
    redis.Redis.from_url(BROKER).flushdb()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_rk_2_notices_of_a_cut_and_its_restoration_are_sent_once_by_a_worker(
    grid, empty_broker, celery_worker_on_redis, settings, monkeypatch
):
    settings.SMS_BACKEND = "lib.sms.LocmemSmsBackend"
    sms.outbox.clear()
    monkeypatch.setattr(interruptions, "NOTICE_BATCH", 3)  # several batches, each a task run
    lines = [postpaid() for _ in range(3)] + [prepaid("30") for _ in range(2)]
    for line in lines:
        take(line, "maroc-illimite-mois", at(2026, 9, 1, 10, 0))
    supervisor = SupervisorFactory()
    interruption = interruption_record(
        partner="Wana",
        cause="Rupture unilatérale du contrat",
        options=list(Option.objects.filter(code="maroc-illimite-mois")),
        started_at=at(2026, 9, 7),
        scope="full",
        actor=supervisor,
    )
    interruption_scope_change(
        interruption=interruption, scope="restored", effective_at=at(2026, 9, 25), actor=supervisor
    )
    changes = InterruptionChange.objects.filter(interruption=interruption)

    def all_told() -> bool:
        return changes.filter(notified_at__isnull=False).count() == 2

    assert _wait_for(all_told, 120)
    for change in changes:
        assert (change.lines_total, change.notices_total, change.notices_sent) == (5, 10, 10)
        # The job delivered again (a lost acknowledgement) sends nothing more.
        notify_interruption_change.delay(change.pk).get(timeout=60)
    assert PassNotice.objects.filter(sent_at__isnull=False).count() == 20
    assert len(mail.outbox) == 10 and len(sms.outbox) == 10
    # Each line told twice (the cut, the restoration), by SMS and by e-mail.
    assert Counter(message.to for message in sms.outbox) == {
        line.number.msisdn: 2 for line in lines
    }
    sms.outbox.clear()
