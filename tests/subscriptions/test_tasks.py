"""Beat jobs run on a real Celery worker consuming from Redis."""

from datetime import timedelta

from django.utils import timezone

from subscriptions.models import MobileNumber
from subscriptions.tasks import release_quarantined_numbers
from tests.factories import MobileNumberFactory


def test_r17_3_release_task_runs_on_a_worker_and_twice_releases_nothing_more(
    celery_worker_on_redis,
):
    today = timezone.localdate()
    due = MobileNumberFactory(status="quarantine", quarantine_until=today - timedelta(days=1))
    later = MobileNumberFactory(status="quarantine", quarantine_until=today + timedelta(days=5))
    assert release_quarantined_numbers.delay().get(timeout=30) == 1
    assert release_quarantined_numbers.delay().get(timeout=30) == 0
    due.refresh_from_db()
    later.refresh_from_db()
    assert due.status == MobileNumber.Status.AVAILABLE
    assert later.quarantine_until == today + timedelta(days=5)


def test_beat_schedule_names_only_registered_tasks():
    from portal.celery import app

    app.loader.import_default_modules()
    for entry in app.conf.beat_schedule.values():
        assert entry["task"] in app.tasks
