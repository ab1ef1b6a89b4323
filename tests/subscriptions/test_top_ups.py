"""Top-ups (R2.3): recharge codes, Banka and Light, and a top-up in each period (R2.7 to R2.9)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection

from subscriptions.models import (
    Line,
    PrepaidMovement,
    ProvisioningOrder,
    RechargeCode,
    RechargeCodeFailure,
    TopUp,
)
from subscriptions.services.prepaid import (
    FAILURE_LIMIT,
    TopUpRefused,
    prepaid_sweep,
    recharge_batch_generate,
    top_up_record,
    top_up_with_code,
)
from tests.subscriptions.prepaid_lines import prepaid_line

pytestmark = pytest.mark.usefixtures("messages_in_english")

S = Line.Status
BANKA = TopUp.Channel.BANKA


@pytest.fixture
def line(grid, lac) -> Line:
    return prepaid_line(boutique=lac, email="carla@example.tn", activated=datetime(2026, 4, 30, 9))


@pytest.fixture
def codes(supervisor):
    _batch, printed = recharge_batch_generate(
        amount=Decimal("5"), quantity=3, actor=supervisor, label="Test"
    )
    return printed


def at(day: date, hour: int = 10):
    return time_machine.travel(datetime.combine(day, datetime.min.time()).replace(hour=hour))


def banka(line: Line, amount: str, reference: str) -> TopUp | None:
    return top_up_record(
        line=line, channel=BANKA, amount=Decimal(amount), reference=reference, job="banka-import"
    )


def test_r2_3_recharge_code_credits_the_line_once_then_fails_with_a_message(line, codes):
    user = line.contract.customer.user
    with at(date(2026, 5, 2)):
        top_up = top_up_with_code(line=line, code=codes[0].code, user=user)
    assert (top_up.amount, top_up.reference, top_up.actor) == (
        Decimal("5.000"),
        codes[0].serial,
        user,
    )
    with pytest.raises(TopUpRefused, match="already used on 02/05/2026"):
        top_up_with_code(line=line, code=codes[0].code, user=user)
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("5.000")
    assert TopUp.objects.count() == 1


def test_r2_3_typed_code_may_hold_spaces_and_dashes(line, codes):
    spaced = " ".join(codes[1].code[i : i + 4] for i in range(0, 14, 4))
    top_up_with_code(line=line, code=spaced, user=line.contract.customer.user)
    assert RechargeCode.objects.get(serial=codes[1].serial).used_at is not None


def test_r2_3_codes_cannot_be_read_back_from_the_database(codes):
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM subscriptions_rechargecode")
        stored = " ".join(str(value) for row in cursor.fetchall() for value in row)
    assert stored
    assert not [p.code for p in codes if p.code in stored]


def test_r2_3_wrong_codes_are_counted_and_then_refused_unchecked(line, codes):
    user = line.contract.customer.user
    for _ in range(FAILURE_LIMIT):
        with pytest.raises(TopUpRefused, match="not valid"):
            top_up_with_code(line=line, code="00000000000000", user=user)
    assert RechargeCodeFailure.objects.filter(user=user).count() == FAILURE_LIMIT
    with pytest.raises(TopUpRefused, match="Too many wrong codes"):
        top_up_with_code(line=line, code=codes[2].code, user=user)
    assert RechargeCode.objects.get(serial=codes[2].serial).used_at is None
    with time_machine.travel(datetime.now() + timedelta(minutes=31)):
        assert top_up_with_code(line=line, code=codes[2].code, user=user)


def test_r2_3_banka_payment_imported_twice_adds_nothing(line):
    assert banka(line, "10", "BK-77") is not None
    assert banka(line, "10", "BK-77") is None
    assert TopUp.objects.filter(reference="BK-77").count() == 1
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("10.000")
    # The same reference at Light is another payment.
    assert top_up_record(
        line=line, channel=TopUp.Channel.LIGHT, amount=Decimal("1"), reference="BK-77", job="t"
    )


def test_r2_7_a_top_up_never_shortens_a_running_validity(line):
    with at(date(2026, 5, 1)):
        banka(line, "50", "BK-1")  # 180 days
        banka(line, "1", "BK-2")  # 7 days
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.valid_until == date(2026, 10, 27)
    assert line.prepaid_account.credit == Decimal("51.000")


def test_r2_8_top_up_in_grace_restores_validity_with_the_balances(line):
    with at(date(2026, 5, 1)):
        banka(line, "10", "BK-1")  # valid until 29 June
    with at(date(2026, 6, 30), hour=3):
        prepaid_sweep(today=date(2026, 6, 30))
    line.refresh_from_db()
    assert line.status == S.GRACE
    with at(date(2026, 7, 15)):
        top_up = banka(line, "5", "BK-2")
    line.refresh_from_db()
    account = line.prepaid_account
    account.refresh_from_db()
    assert line.status == S.ACTIVE
    assert (top_up.line_status, top_up.balances_kept) == (S.GRACE, True)
    assert account.credit == Decimal("15.000")  # R2.8: kept
    assert account.valid_until == date(2026, 8, 13)  # 30 days from the top-up
    assert account.grace_until is None
    assert line.status_changes.order_by("pk").last().reason.endswith("(R2.8)")


def test_r2_9_top_up_in_preservation_restores_the_line_without_the_balances(
    line, django_capture_on_commit_callbacks
):
    with at(date(2026, 5, 1)):
        banka(line, "10", "BK-1")
    with at(date(2026, 9, 28), hour=3):  # the day after 90 days of grace
        prepaid_sweep(today=date(2026, 9, 28))
    line.refresh_from_db()
    assert line.status == S.PRESERVATION
    with at(date(2026, 10, 1)), django_capture_on_commit_callbacks() as sends:
        top_up = banka(line, "5", "BK-2")
    line.refresh_from_db()
    assert line.status == S.PRESERVATION  # receiving only until the network confirms
    with at(date(2026, 10, 1)), django_capture_on_commit_callbacks(execute=True):
        for send in sends:
            send()  # the unblocking order goes out and the network confirms it
    line.refresh_from_db()
    account = line.prepaid_account
    account.refresh_from_db()
    assert line.status == S.ACTIVE
    assert line.status_changes.order_by("pk").last().job == "provisioning"
    assert (top_up.line_status, top_up.balances_kept) == (S.PRESERVATION, False)
    assert account.credit == Decimal("5.000")  # R2.9: the 10 TND were forfeited
    assert list(account.movements.order_by("pk").values_list("kind", "credit_change")) == [
        (PrepaidMovement.Kind.TOP_UP, Decimal("10.000")),
        (PrepaidMovement.Kind.FORFEIT, Decimal("-10.000")),
        (PrepaidMovement.Kind.TOP_UP, Decimal("5.000")),
    ]
    unblock = ProvisioningOrder.objects.get(line=line, action=ProvisioningOrder.Action.UNBLOCK)
    assert unblock.status == ProvisioningOrder.Status.CONFIRMED


def test_r2_9_a_terminated_line_cannot_be_topped_up(line):
    with at(date(2026, 5, 1)):
        banka(line, "1", "BK-1")  # 7 days
    with at(date(2027, 1, 1), hour=3):
        prepaid_sweep(today=date(2027, 1, 1))
    line.refresh_from_db()
    assert line.status == S.TERMINATED
    with pytest.raises(TopUpRefused, match="not in service"):
        banka(line, "10", "BK-2")
    assert not TopUp.objects.filter(reference="BK-2").exists()


def test_r10_7_a_postpaid_line_takes_credit_without_a_validity(alice):
    line = Line.objects.get(contract__customer=alice)
    top_up = banka(line, "20", "BK-9")
    assert top_up.valid_until is None
    line.prepaid_account.refresh_from_db()
    # 5 TND from the persona's earlier Banka top-up (tests/conftest.py).
    assert (line.prepaid_account.credit, line.prepaid_account.valid_until) == (Decimal("25"), None)
