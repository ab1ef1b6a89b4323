"""A billing run counts its own accounts (R9.1): its progress is read from the accounts it holds,
not added up from what batches report, so two starts at once, a batch delivered twice or a run
interrupted and restarted count each account once; a contract ended with its final invoice
(R10.2) is not queued by the runs of later months."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from billing.invoicing import Period, accounts_to_bill, invoices_issue
from billing.models import BillingRun, Charge, Invoice
from billing.services import billing_run_batch, billing_run_start
from subscriptions.services.ending import line_end
from tests.billing.helpers import OCTOBER, account

NOVEMBER = Period.month(date(2026, 11, 1))
NOVEMBER_1 = date(2026, 11, 1)


@pytest.fixture(autouse=True)
def clock():
    """The runs start on the 1st at 02:00, as Celery beat starts them."""
    with time_machine.travel(timezone.make_aware(datetime(2026, 11, 1, 2, 0)), tick=False):
        yield


def progress(run: BillingRun) -> tuple[int, int, str]:
    run.refresh_from_db()
    return run.accounts_done, run.accounts_total, run.status


def accounts(count: int) -> list[int]:
    return sorted(account().contract_id for _ in range(count))


def test_r9_1_two_runs_started_at_once_count_each_account_once(
    grid, django_capture_on_commit_callbacks
):
    ids = accounts(8)
    with django_capture_on_commit_callbacks() as first_batches:
        run = billing_run_start(period=OCTOBER)
    # The first run's batch has committed the invoices of 7 accounts, not yet its progress,
    # when a second start of the same month queues what is left.
    invoices_issue(contract_ids=ids[:7], period=OCTOBER, issued_on=NOVEMBER_1)
    with django_capture_on_commit_callbacks() as second_batches:
        billing_run_start(period=OCTOBER)
    assert progress(run) == (7, 8, "running")
    for callback in [*first_batches, *second_batches]:
        callback()
    assert progress(run) == (8, 8, "done")
    assert Invoice.objects.count() == 8


def test_r9_1_a_batch_delivered_twice_counts_once(grid, django_capture_on_commit_callbacks):
    ids = accounts(4)
    with django_capture_on_commit_callbacks(execute=True):
        run = billing_run_start(period=OCTOBER)
    assert progress(run) == (4, 4, "done")
    billing_run_batch(run_id=run.pk, contract_ids=ids)  # the broker delivers it again
    assert progress(run) == (4, 4, "done")
    assert Invoice.objects.count() == 4


def test_r9_1_an_interrupted_run_restarted_counts_all_its_accounts(
    grid, settings, django_capture_on_commit_callbacks
):
    settings.BILLING_BATCH_SIZE = 4
    ids = accounts(8)
    with django_capture_on_commit_callbacks() as batches:
        run = billing_run_start(period=OCTOBER)
    batches[0]()  # the first batch of 4 is billed and counted
    # The worker of the second batch committed 3 invoices and died before counting them.
    invoices_issue(contract_ids=ids[4:7], period=OCTOBER, issued_on=NOVEMBER_1)
    assert progress(run) == (4, 8, "running")
    with django_capture_on_commit_callbacks(execute=True):
        billing_run_start(period=OCTOBER)
    assert progress(run) == (8, 8, "done")
    assert Invoice.objects.count() == 8


def test_r9_1_the_billing_run_command_shows_the_runs_own_accounts(
    grid, django_capture_on_commit_callbacks, capsys
):
    ids = accounts(3)
    with django_capture_on_commit_callbacks():  # its batch is lost with the broker
        billing_run_start(period=OCTOBER)
    invoices_issue(contract_ids=ids[:2], period=OCTOBER, issued_on=NOVEMBER_1)
    with django_capture_on_commit_callbacks(execute=True):
        call_command("billing_run", "--period", "2026-10")  # restarted by hand
    call_command("billing_run", "--period", "2026-10")
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Billing 2026-10: 2/3 accounts, 0 errors, running.",
        "Billing 2026-10: 3/3 accounts, 0 errors, done.",
    ]


def test_r10_2_a_contract_ended_with_its_final_invoice_is_not_queued_by_later_runs(
    grid, django_capture_on_commit_callbacks
):
    line = account()
    with time_machine.travel(timezone.make_aware(datetime(2026, 10, 15, 0, 30)), tick=False):
        final = line_end(
            line=line,
            on=date(2026, 10, 15),
            reason="test",
            fees_owed=Decimal(0),
            fees_label="",
            sim_returned=True,
            job="test",
        ).final_invoice
    assert final.period_start == OCTOBER.start
    assert line.contract_id not in set(accounts_to_bill(OCTOBER))
    assert line.contract_id not in set(accounts_to_bill(NOVEMBER))
    with time_machine.travel(timezone.make_aware(datetime(2026, 12, 1, 2, 0)), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            run = billing_run_start(period=NOVEMBER)
        assert progress(run) == (0, 0, "done")


def test_r10_2_a_charge_made_after_the_final_invoice_is_billed_once_by_the_next_run(
    grid, django_capture_on_commit_callbacks
):
    line = account()
    with time_machine.travel(timezone.make_aware(datetime(2026, 10, 15, 10, 0)), tick=False):
        line_end(
            line=line,
            on=date(2026, 10, 15),
            reason="test",
            fees_owed=Decimal(0),
            fees_label="",
            sim_returned=False,
            job="test",
        )
    charge = Charge.objects.create(
        contract=line.contract,
        fee_kind="unreturned_sim",
        label="SIM non restituée",
        amount=Decimal("5.000"),
        charged_on=date(2026, 10, 20),
    )
    with django_capture_on_commit_callbacks(execute=True):
        october = billing_run_start(period=OCTOBER)  # the final invoice is October's
    assert progress(october) == (0, 0, "done")
    with time_machine.travel(timezone.make_aware(datetime(2026, 12, 1, 2, 0)), tick=False):
        for _ in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                november = billing_run_start(period=NOVEMBER)
    charge.refresh_from_db()
    assert charge.invoice.period_start == NOVEMBER.start
    assert progress(november) == (1, 1, "done")
    assert Invoice.objects.filter(contract=line.contract).count() == 2
