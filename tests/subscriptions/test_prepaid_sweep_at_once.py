"""Three prepaid sweeps at the same time (R2.8, R2.9, R17.3): each due line moves once, with
one history row per move, and no line that is not due is touched."""

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from catalogue.models import Offer
from subscriptions.models import (
    Contract,
    Customer,
    Line,
    LineStatusChange,
    MobileNumber,
    PrepaidAccount,
    PrepaidMovement,
    ProvisioningOrder,
)
from subscriptions.services.prepaid import prepaid_sweep
from tests.factories import BoutiqueFactory

S = Line.Status
LINES = 400
TO_GRACE = range(0, 100)  # validity ended yesterday
TO_PRESERVATION = range(100, 200)  # grace ended yesterday
TO_TERMINATION = range(200, 300)  # preservation ended yesterday
NOT_DUE = range(300, 400)  # validity ends today


def _generate() -> list[int]:
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    boutique = BoutiqueFactory()
    offer = Offer.objects.get(code="carte-libre")
    customers = Customer.objects.bulk_create(
        Customer(
            kind="individual",
            boutique=boutique,
            last_name=f"P{i}",
            first_name="P",
            cin=f"{60000000 + i:08d}",
            street="1 rue",
            postal_code="1000",
            city="Tunis",
        )
        for i in range(LINES)
    )
    contracts = Contract.objects.bulk_create(
        Contract(customer=c, reference=f"P{i:06d}") for i, c in enumerate(customers)
    )
    numbers = MobileNumber.objects.bulk_create(
        MobileNumber(msisdn=f"+2169{i:07d}", status="assigned") for i in range(LINES)
    )

    def status(i: int) -> str:
        if i in TO_PRESERVATION:
            return S.GRACE
        return S.PRESERVATION if i in TO_TERMINATION else S.ACTIVE

    lines = Line.objects.bulk_create(
        Line(contract=c, offer=offer, number=n, status=status(i), activated_at=timezone.now())
        for i, (c, n) in enumerate(zip(contracts, numbers, strict=True))
    )
    PrepaidAccount.objects.bulk_create(
        PrepaidAccount(
            line=line,
            credit=Decimal("3"),
            valid_until=today if i in NOT_DUE else yesterday - timedelta(days=180),
            grace_until=yesterday if i in TO_PRESERVATION else None,
            preservation_until=yesterday if i in TO_TERMINATION else None,
        )
        for i, line in enumerate(lines)
    )
    for i in TO_GRACE:
        PrepaidAccount.objects.filter(line=lines[i]).update(valid_until=yesterday)
    return [line.pk for line in lines]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_r2_8_r2_9_three_prepaid_sweeps_at_once_move_each_due_line_once(grid, settings):
    settings.SWEEP_BATCH_SIZE = 20  # many batches, so that the runs interleave
    ids = _generate()
    today = timezone.localdate()
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            prepaid_sweep(today=today)
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert not errors

    moves = Counter(LineStatusChange.objects.values_list("line_id", "to_status"))
    expected = Counter(
        [(ids[i], S.GRACE) for i in TO_GRACE]
        + [(ids[i], S.PRESERVATION) for i in TO_PRESERVATION]
        + [(ids[i], S.TERMINATED) for i in TO_TERMINATION]
    )
    assert moves == expected
    statuses = dict(Line.objects.values_list("pk", "status"))
    assert {statuses[ids[i]] for i in NOT_DUE} == {S.ACTIVE}
    receive_only = Counter(
        ProvisioningOrder.objects.filter(action="receive_only").values_list("line_id", flat=True)
    )
    assert receive_only == Counter(ids[i] for i in TO_PRESERVATION)
    forfeits = PrepaidMovement.objects.filter(kind=PrepaidMovement.Kind.FORFEIT)
    assert forfeits.count() == len(TO_PRESERVATION)
    released = ProvisioningOrder.objects.filter(action="release_number").count()
    assert released == len(TO_TERMINATION)
    quarantined = MobileNumber.objects.filter(status=MobileNumber.Status.QUARANTINE).count()
    assert quarantined == len(TO_TERMINATION)
