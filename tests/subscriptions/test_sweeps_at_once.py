"""Three sweeps at the same time over 1,000 lines: each due line is suspended once, with one
history row and one block, every due cause is opened once, and no other line is touched."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from accounts.models import Boutique, User
from billing.models import AdvancePaymentRequest, Invoice
from catalogue.models import Offer
from subscriptions.models import (
    Contract,
    Customer,
    Line,
    LineStatusChange,
    MobileNumber,
    ProvisioningOrder,
    SubscriptionFile,
    SuspensionCause,
)
from subscriptions.services.sweeps import (
    credit_control_suspensions_sweep,
    incomplete_files_sweep,
    overdue_invoices_sweep,
)
from tests.factories import BoutiqueFactory, UserFactory

LINES = 1000
OVERDUE = range(0, 300)  # an invoice unpaid for 40 days (R10.4)
INCOMPLETE = range(200, 500)  # pieces due a day ago (R13.1)
OVER_LIMIT = range(400, 600)  # an advance asked for the credit limit (R11.2)
NOT_YET_DUE = range(600, 700)  # an invoice unpaid but due only in 5 days
Cause = SuspensionCause.Cause


def _generate(boutique: Boutique, applicant: User) -> list[int]:
    """1,000 customers with one active postpaid line each; returns the line ids in order."""
    today = timezone.localdate()
    offer = Offer.objects.get(code="forfait-liberte-20")
    activated = timezone.now() - timedelta(days=60)
    customers = Customer.objects.bulk_create(
        Customer(
            kind="individual",
            boutique=boutique,
            last_name=f"S{i}",
            first_name="S",
            cin=f"{50000000 + i:08d}",
            street="1 rue",
            postal_code="1000",
            city="Tunis",
        )
        for i in range(LINES)
    )
    contracts = Contract.objects.bulk_create(
        Contract(customer=c, reference=f"S{i:06d}") for i, c in enumerate(customers)
    )
    numbers = MobileNumber.objects.bulk_create(
        MobileNumber(msisdn=f"+2165{i:07d}", status="assigned") for i in range(LINES)
    )
    lines = Line.objects.bulk_create(
        Line(contract=c, offer=offer, number=n, status="active", activated_at=activated)
        for c, n in zip(contracts, numbers, strict=True)
    )

    def invoice(i: int, due_on: date) -> Invoice:
        return Invoice(
            contract=contracts[i],
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            number=f"S-{i:06d}",
            issued_on=due_on - timedelta(days=15),
            due_on=due_on,
            customer_name="S",
            customer_identity=customers[i].cin,
            customer_address="1 rue, 1000 Tunis",
            total_excl_tax=Decimal("20.000"),
            vat_rate=Decimal("0.1900"),
            vat_amount=Decimal("3.800"),
            stamp_duty=Decimal("1.000"),
            total_incl_tax=Decimal("24.800"),
        )

    Invoice.objects.bulk_create(
        [invoice(i, today - timedelta(days=40)) for i in OVERDUE]
        + [invoice(i, today + timedelta(days=5)) for i in NOT_YET_DUE]
    )
    SubscriptionFile.objects.bulk_create(
        SubscriptionFile(
            applicant=applicant,
            customer=customers[i],
            status=SubscriptionFile.Status.ACTIVE,
            line=lines[i],
            documents_due_at=timezone.now() - timedelta(days=1),
        )
        for i in INCOMPLETE
    )
    AdvancePaymentRequest.objects.bulk_create(
        AdvancePaymentRequest(
            contract=contracts[i], reason="credit_limit", amount="30", requested_on=today
        )
        for i in OVER_LIMIT
    )
    return [line.pk for line in lines]


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
