"""Monthly invoices: proration (R9.1, R9.2), minimum complement (R9.1), due date (R9.3),
taxes, one-off charges, one invoice per account and month, continuous numbers."""

import threading
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from billing.invoicing import Period, invoices_issue, next_number
from billing.models import Charge, Invoice
from billing.services import billing_run_start
from catalogue.models import Option
from subscriptions.lifecycle.records import line_transition
from subscriptions.models import LineOption
from tests.billing.helpers import NOVEMBER_1, OCTOBER, account, issue


def test_r9_1_full_month_fee_and_taxes_from_the_grid(grid):
    line = account()
    invoice = issue(line)
    assert invoice.total_excl_tax == Decimal("20.000")
    assert invoice.vat_rate == Decimal("0.1900") and invoice.vat_amount == Decimal("3.800")
    assert invoice.stamp_duty == Decimal("1.000")
    assert invoice.total_incl_tax == Decimal("24.800")
    assert invoice.customer_identity == line.contract.customer.cin


def test_r9_1_fee_prorated_by_day_from_activation(grid):
    line = account(activated=datetime(2026, 10, 11, 15, 0))  # 21 days of 31
    invoice = issue(line)
    subscription = invoice.lines.get(kind="subscription")
    assert subscription.amount_excl_tax == Decimal("13.548")  # 20 x 21 / 31
    assert "11/10" in subscription.label


def test_r9_1_fee_prorated_to_the_termination_day(grid, agent):
    line = account()
    from time_machine import travel

    with travel(timezone.make_aware(datetime(2026, 10, 10, 12, 0)), tick=False):
        line_transition(line=line, to="terminated", actor=agent, reason="test")
    invoice = issue(line)
    assert invoice.lines.get(kind="subscription").amount_excl_tax == Decimal("6.452")  # 10/31


def test_r9_2_an_option_taken_during_the_month_is_billed_for_its_days(grid):
    line = account()
    LineOption.objects.create(
        line=line, option=Option.objects.get(code="internet-10go"), started_on=date(2026, 10, 17)
    )
    invoice = issue(line)
    option = invoice.lines.get(kind="option")
    assert option.amount_excl_tax == Decimal("4.839")  # 10 x 15 / 31


def test_r9_2_an_option_left_during_the_month_stops_being_billed(grid):
    line = account()
    LineOption.objects.create(
        line=line,
        option=Option.objects.get(code="internet-10go"),
        started_on=date(2026, 9, 1),
        ended_on=date(2026, 10, 5),
    )
    assert issue(line).lines.get(kind="option").amount_excl_tax == Decimal("1.613")  # 10 x 5 / 31


def test_r9_1_first_invoice_has_no_minimum_complement(grid):
    line = account(activated=datetime(2026, 10, 25, 9, 0))
    invoice = issue(line)
    assert not invoice.lines.filter(kind="minimum").exists()
    assert invoice.total_excl_tax == Decimal("4.516")  # 20 x 7 / 31


def test_r9_1_minimum_invoice_from_second_invoice(grid):
    line = account(activated=datetime(2026, 9, 25, 9, 0))
    issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    terms = line.offer.terms.get(effective_from=date(2026, 1, 1))
    terms.monthly_fee = Decimal("9.000")
    terms.save()
    invoice = issue(line)
    complement = invoice.lines.get(kind="minimum")
    assert complement.amount_excl_tax == Decimal("6.000")
    assert invoice.total_excl_tax == Decimal("15.000")
    assert invoice.vat_amount == Decimal("2.850")  # VAT on the whole, complement included


def test_r9_1_no_complement_on_offers_not_flagged(grid):
    line = account(offer_code="plafonne-15", activated=datetime(2026, 9, 20, 9, 0))
    issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    line.offer.terms.update(monthly_fee=Decimal("5.000"))
    assert not issue(line).lines.filter(kind="minimum").exists()


def test_r9_3_due_date_is_issue_date_plus_grid_days(grid):
    assert issue(account()).due_on == date(2026, 11, 16)


def test_one_off_charges_go_on_the_next_invoice_once(grid):
    line = account()
    Charge.objects.create(
        contract=line.contract,
        fee_kind="duplicate_invoice",
        label="Duplicata de facture",
        amount=Decimal("2.000"),
        charged_on=date(2026, 10, 20),
    )
    invoice = issue(line)
    assert invoice.lines.get(kind="one_off").amount_excl_tax == Decimal("2.000")
    november = issue(line, Period.month(date(2026, 11, 1)), date(2026, 12, 1))
    assert not november.lines.filter(kind="one_off").exists()


def test_prepaid_lines_are_not_invoiced(grid):
    assert issue(account(offer_code="carte-libre")) is None


def test_one_invoice_per_account_and_month_even_when_issued_twice(grid):
    line = account()
    first = issue(line)
    assert issue(line) is None
    assert Invoice.objects.filter(contract=line.contract).count() == 1
    assert first.number.startswith("F2026-")


def test_invoice_numbers_are_continuous(grid):
    numbers = [issue(account()).number for _ in range(5)]
    assert [int(n.split("-")[1]) for n in numbers] == list(range(1, 6))


def test_billing_run_bills_every_postpaid_account_once_and_a_rerun_adds_nothing(
    grid, django_capture_on_commit_callbacks
):
    for _ in range(4):
        account()
    account(offer_code="carte-libre")
    with django_capture_on_commit_callbacks(execute=True):
        run = billing_run_start(period=OCTOBER)
    run.refresh_from_db()
    assert (run.accounts_total, run.accounts_done, run.status, run.errors) == (4, 4, "done", [])
    assert Invoice.objects.count() == 4
    with django_capture_on_commit_callbacks(execute=True):
        rerun = billing_run_start(period=OCTOBER)
    assert Invoice.objects.count() == 4
    assert rerun.status == "done"


# serialized_rollback: like the browser tests, so that this test's closing flush leaves the
# database empty for theirs (a plain flush re-creates content types under new ids).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_runs_at_once_give_one_invoice_per_account_and_no_gap_in_numbers(grid):
    lines = [account() for _ in range(6)]
    barrier = threading.Barrier(2)
    failures = []

    def bill():
        try:
            barrier.wait()
            for line in lines:
                issue(line)
        except Exception as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=bill) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    numbers = sorted(int(n.split("-")[1]) for n in Invoice.objects.values_list("number", flat=True))
    assert numbers == list(range(1, 7))


def test_next_number_starts_each_year_at_one(db):
    assert next_number(series="F", year=2026) == "F2026-000001"
    assert next_number(series="F", year=2026) == "F2026-000002"
    assert next_number(series="F", year=2027) == "F2027-000001"


def _bill_batch(lines) -> list[Invoice]:
    ids = [line.contract_id for line in lines]
    return invoices_issue(contract_ids=ids, period=OCTOBER, issued_on=NOVEMBER_1)


def test_a_batch_bills_20_accounts_with_the_queries_of_one(grid, django_assert_num_queries):
    """Set-based billing: one query per kind of data whatever the batch's size."""
    _bill_batch([account()])  # the year's counter is created by the first invoice
    alone = account()
    with CaptureQueriesContext(connection) as one:
        assert len(_bill_batch([alone])) == 1
    twenty = [account() for _ in range(20)]
    with django_assert_num_queries(len(one.captured_queries)):
        invoices = _bill_batch(twenty)
    assert len(invoices) == 20
    assert all(invoice.lines.exists() for invoice in invoices)


def test_a_batch_gives_the_same_invoice_as_an_account_alone(grid):
    alone, batched = account(), account()
    others = [account() for _ in range(3)]
    by_itself = issue(alone)
    in_batch = {i.contract_id: i for i in _bill_batch([batched, *others])}[batched.contract_id]
    assert (by_itself.total_excl_tax, by_itself.total_incl_tax) == (
        in_batch.total_excl_tax,
        in_batch.total_incl_tax,
    )
    labels = [label.split(" — ")[0] for label in in_batch.lines.values_list("label", flat=True)]
    assert labels == [
        label.split(" — ")[0] for label in by_itself.lines.values_list("label", flat=True)
    ]


def test_invoice_lines_are_written_in_the_customers_language(grid):
    """The labels are frozen with the invoice, in the language of its PDF (an Arabic
    customer's invoice does not say "Appels nationaux hors forfait")."""
    from tests.billing.helpers import usage_import

    arabic, french = account(), account()
    for line in (arabic, french):
        usage_import(
            name=f"calls-{line.pk}.csv",
            content=(
                "msisdn,started_at,kind,destination,quantity\n"
                f"{line.number.msisdn},2026-10-03T14:05:00,voice,+21671000001,5000\n"
            ).encode(),
        )
    customer = arabic.contract.customer
    customer.user.language = "ar"
    customer.user.save(update_fields=["language"])

    in_arabic = issue(arabic)
    assert in_arabic.language == "ar"
    usage_label = in_arabic.lines.get(kind="usage").label
    assert usage_label.startswith("المكالمات الوطنية خارج الباقة (دقيقة)")
    assert (
        issue(french)
        .lines.get(kind="usage")
        .label.startswith("Appels nationaux hors forfait (min)")
    )
