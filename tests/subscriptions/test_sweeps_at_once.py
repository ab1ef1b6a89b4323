"""Three sweeps at the same time over 1,000 lines: each due line is suspended once, with one
history row and one block, every due cause is opened once, and no other line is touched."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from subscriptions.models import (
    Line,
    LineStatusChange,
    ProvisioningOrder,
    SuspensionCause,
)
from subscriptions.services.sweeps import (
    credit_control_suspensions_sweep,
    incomplete_files_sweep,
    overdue_invoices_sweep,
)
from tests.factories import BoutiqueFactory, UserFactory
from tests.subscriptions.helpers import (
    INCOMPLETE,
    OVER_LIMIT,
    OVERDUE,
    _generate,
)

Cause = SuspensionCause.Cause


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r13_1_three_sweeps_at_once_suspend_each_due_line_exactly_once(grid, settings):
    settings.SWEEP_BATCH_SIZE = 50  # many batches, so that the runs interleave
    ids = _generate(BoutiqueFactory(), UserFactory())
    sweeps = [overdue_invoices_sweep, incomplete_files_sweep, credit_control_suspensions_sweep]
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def run(order: list) -> None:
        try:
            start.wait()
            for sweep in order:
                sweep(now=timezone.now())
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    # Three runs at once, each running the three sweeps in another order: every sweep runs
    # three times, each time alongside the other two.
    threads = [threading.Thread(target=run, args=(sweeps[k:] + sweeps[:k],)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors

    expected = {
        Cause.LATE_PAYMENT: {ids[i] for i in OVERDUE},
        Cause.INCOMPLETE_FILE: {ids[i] for i in INCOMPLETE},
        Cause.CREDIT_LIMIT: {ids[i] for i in OVER_LIMIT},
    }
    due = set().union(*expected.values())
    for cause, lines in expected.items():
        opened = list(SuspensionCause.objects.filter(cause=cause).values_list("line_id", flat=True))
        assert sorted(opened) == sorted(lines), cause  # each due line once, no other line
    suspensions = list(
        LineStatusChange.objects.filter(to_status="suspended").values_list("line_id", flat=True)
    )
    assert sorted(suspensions) == sorted(due)
    blocks = list(
        ProvisioningOrder.objects.filter(action="block").values_list("line_id", flat=True)
    )
    assert sorted(blocks) == sorted(due)
    assert set(Line.objects.filter(status="suspended").values_list("pk", flat=True)) == due
    untouched = set(ids) - due
    assert Line.objects.filter(pk__in=untouched, status="active").count() == len(untouched)
