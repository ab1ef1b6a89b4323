"""Deadlines and sweeps at the edges of the local day (Africa/Tunis, UTC+1): the line within
24 hours of the complete file (R3.2), the answer within 15 days (R6.2), the pieces within 3 days
of a boutique sale (R13.1), the overdue sweep's day (R10.4). Each deadline counts from the
instant, and the grid's delay is the one in force on the local day of that instant (a grid
change takes effect at local midnight)."""

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from catalogue.models import GridParameters, Offer
from subscriptions.models import Line, SubscriptionFile
from subscriptions.selectors.files import breached
from subscriptions.services.files import boutique_sale, file_record_connection_fee
from subscriptions.services.sweeps import incomplete_files_sweep, overdue_invoices_sweep
from tests.billing.helpers import account, issue
from tests.factories import CustomerFactory, MobileNumberFactory, SimCardFactory
from tests.subscriptions.helpers import review_all, submitted_file

NOVEMBER_3 = date(2026, 11, 3)


@pytest.fixture(autouse=True)
def clock():
    """The instant of the tests that do not choose theirs (nothing here reads the real clock)."""
    with time_machine.travel(timezone.make_aware(datetime(2026, 11, 2, 8, 0)), tick=False):
        yield


def local(*args: int) -> datetime:
    return timezone.make_aware(datetime(*args))


def grid_change_on(day: date, **changes) -> None:
    """A new row of grid parameters, in force from `day`, copied from the row before."""
    row = GridParameters.objects.order_by("-effective_from").first()
    row.pk, row.effective_from = None, day
    for name, value in changes.items():
        setattr(row, name, value)
    row.save()


def test_r3_2_a_file_complete_at_0030_local_takes_the_delay_in_force_that_day(grid, lac, agent):
    grid_change_on(NOVEMBER_3, activation_hours=12)
    file = submitted_file(boutique=lac, at=local(2026, 11, 2, 9, 0))
    completed = local(2026, 11, 3, 0, 30)  # 2026-11-02 23:30 UTC
    with time_machine.travel(completed, tick=False):
        file_record_connection_fee(file=file, actor=agent)
        review_all(file, agent)
    assert file.activation_due_at == completed + timedelta(hours=12)


def test_r3_2_a_file_complete_at_2330_local_is_late_24_hours_later(grid, lac, agent):
    file = submitted_file(boutique=lac, at=local(2026, 11, 2, 9, 0))
    completed = local(2026, 11, 2, 23, 30)
    with time_machine.travel(completed, tick=False):
        file_record_connection_fee(file=file, actor=agent)
        review_all(file, agent)
    files = SubscriptionFile.objects.all()
    assert file.activation_due_at == local(2026, 11, 3, 23, 30)
    assert not breached(files, now=local(2026, 11, 3, 23, 29)).exists()
    assert breached(files, now=local(2026, 11, 3, 23, 31)).exists()


def test_r6_2_a_request_at_0030_local_is_answered_within_the_days_in_force_that_day(grid, lac):
    grid_change_on(NOVEMBER_3, refusal_days=10)
    at = local(2026, 11, 3, 0, 30)  # 2026-11-02 23:30 UTC
    file = submitted_file(boutique=lac, at=at)
    assert file.decision_due_at == at + timedelta(days=10)
    assert timezone.localdate(file.decision_due_at) == date(2026, 11, 13)


def test_r13_1_a_boutique_sale_at_0030_local_is_suspended_at_0030_when_its_days_end(
    grid, lac, agent
):
    grid_change_on(NOVEMBER_3, incomplete_file_days=2)
    MobileNumberFactory()
    SimCardFactory(boutique=lac)
    customer = CustomerFactory(boutique=lac)
    sold = local(2026, 11, 3, 0, 30)  # 2026-11-02 23:30 UTC
    with time_machine.travel(sold, tick=False):
        file = boutique_sale(
            agent=agent,
            applicant=customer.user,
            customer=customer,
            offer=Offer.objects.get(code="forfait-liberte-20"),
            options=[],
        )
    assert file.documents_due_at == local(2026, 11, 5, 0, 30)  # the 2 days in force on the 3rd
    with time_machine.travel(local(2026, 11, 5, 0, 29), tick=False):
        assert incomplete_files_sweep(now=timezone.now())["suspended"] == 0
    with time_machine.travel(local(2026, 11, 5, 0, 30), tick=False):
        assert incomplete_files_sweep(now=timezone.now())["suspended"] == 1
    file.line.refresh_from_db()
    assert file.line.status == Line.Status.SUSPENDED


def test_r10_4_the_overdue_sweep_at_0030_local_counts_that_day(grid):
    line = account()  # a postpaid line active since September
    invoice = issue(line)  # October's, issued on 1 November, due on the 16th (R9.3)
    assert invoice.due_on == date(2026, 11, 16)
    # Due on the 16th plus the grid's 10 days: still unpaid on the 27th suspends.
    with time_machine.travel(local(2026, 11, 26, 23, 30), tick=False):
        assert overdue_invoices_sweep(now=timezone.now())["suspended"] == 0
    with time_machine.travel(local(2026, 11, 27, 0, 30), tick=False):  # 26th, 23:30 UTC
        assert overdue_invoices_sweep(now=timezone.now())["suspended"] == 1
    line.refresh_from_db()
    assert line.status == Line.Status.SUSPENDED
