"""Suspension causes (R13.1), the provisioning outbox and the customer's notifications."""

import pytest
from django.core import mail

from lib import sms
from subscriptions.models import (
    CustomerNotification,
    Line,
    LineStatusChange,
    ProvisioningOrder,
    SuspensionCause,
)
from subscriptions.services.suspensions import (
    NetworkError,
    SuspensionRefused,
    line_orders_send,
    suspension_lift,
    suspension_open,
)

Cause = SuspensionCause.Cause
Action = ProvisioningOrder.Action


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "lib.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def line(new_alice) -> Line:
    return Line.objects.get(contract__customer=new_alice)


class FlakyNetwork:
    """A network side that fails the first sends, then applies (a class we own, not a mock of
    our code: it stands for the operator's network)."""

    failures = 0

    def send(self, **order) -> bool:
        if FlakyNetwork.failures:
            FlakyNetwork.failures -= 1
            raise NetworkError("timeout")
        return True


class SlowNetwork:
    """A network side that accepts orders and confirms them later."""

    def send(self, **order) -> bool:
        return False


def test_r13_1_first_cause_suspends_blocks_and_records_who_and_why(
    line, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        cause = suspension_open(line=line, cause=Cause.FRAUD, reason="Spam SMS (R7.7)", actor=agent)
    line.refresh_from_db()
    assert line.status == Line.Status.SUSPENDED
    assert (cause.cause, cause.opened_by, cause.reason) == (Cause.FRAUD, agent, "Spam SMS (R7.7)")
    change = LineStatusChange.objects.filter(line=line).last()
    assert (change.from_status, change.to_status, change.actor) == ("active", "suspended", agent)
    order = ProvisioningOrder.objects.get(line=line, key__startswith="block:")
    assert (order.action, order.status) == (Action.BLOCK, ProvisioningOrder.Status.CONFIRMED)


def test_r13_1_a_cause_already_open_is_not_opened_twice(line, agent):
    assert suspension_open(line=line, cause=Cause.FRAUD, reason="1", actor=agent)
    assert suspension_open(line=line, cause=Cause.FRAUD, reason="2", job="sweep") is None
    assert SuspensionCause.objects.filter(line=line, cause=Cause.FRAUD).count() == 1
    assert LineStatusChange.objects.filter(line=line, to_status="suspended").count() == 1
    assert ProvisioningOrder.objects.filter(line=line, key__startswith="block:").count() == 1


def test_r13_1_causes_lifted_one_by_one_restore_only_after_the_last_and_the_network(
    line, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        suspension_open(line=line, cause=Cause.FRAUD, reason="Spam", actor=agent)
        suspension_open(line=line, cause=Cause.CREDIT_LIMIT, reason="Over", job="sweep")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert suspension_lift(line=line, cause=Cause.FRAUD, reason="Checked", actor=agent)
    line.refresh_from_db()
    assert line.status == Line.Status.SUSPENDED
    assert not callbacks  # nothing asked of the network: the credit limit is still open
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lifted = suspension_lift(line=line, cause=Cause.CREDIT_LIMIT, reason="Paid", job="sweep")
    assert lifted.lifted_job == "sweep"
    line.refresh_from_db()
    # Not shown restored before the network confirms the unblocking.
    assert line.status == Line.Status.SUSPENDED
    unblock = ProvisioningOrder.objects.get(line=line, key__startswith="unblock:")
    assert unblock.status == ProvisioningOrder.Status.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks:
            callback()
    line.refresh_from_db()
    assert line.status == Line.Status.ACTIVE
    restored = LineStatusChange.objects.filter(line=line).last()
    assert (restored.from_status, restored.to_status, restored.job) == (
        "suspended",
        "active",
        "provisioning",
    )
    assert suspension_lift(line=line, cause=Cause.CREDIT_LIMIT, reason="again", job="x") is None


def test_r13_1_a_cause_opened_again_before_the_confirmation_keeps_the_line_suspended(
    line, agent, settings
):
    settings.PROVISIONING_BACKEND = "tests.subscriptions.test_suspensions.SlowNetwork"
    suspension_open(line=line, cause=Cause.FRAUD, reason="Spam", actor=agent)
    suspension_lift(line=line, cause=Cause.FRAUD, reason="Checked", actor=agent)
    suspension_open(line=line, cause=Cause.NATIONAL_SECURITY, reason="Order", actor=agent)
    settings.PROVISIONING_BACKEND = "subscriptions.services.suspensions.LoggingNetwork"
    assert line_orders_send(line.pk) == 3
    line.refresh_from_db()
    assert line.status == Line.Status.SUSPENDED
    actions = list(
        ProvisioningOrder.objects.filter(line=line)
        .exclude(key__startswith="test:")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [Action.BLOCK, Action.UNBLOCK, Action.BLOCK]


def test_provisioning_retries_with_the_same_key_and_applies_once(line, agent, settings):
    settings.PROVISIONING_BACKEND = "tests.subscriptions.test_suspensions.FlakyNetwork"
    FlakyNetwork.failures = 2
    suspension_open(line=line, cause=Cause.FRAUD, reason="Spam", actor=agent)
    order = ProvisioningOrder.objects.get(line=line, key__startswith="block:")
    for _ in range(2):
        with pytest.raises(NetworkError):
            line_orders_send(line.pk)
    assert line_orders_send(line.pk) == 1
    assert line_orders_send(line.pk) == 0
    order.refresh_from_db()
    assert (order.status, order.attempts, order.last_error) == ("confirmed", 3, "timeout")


def test_pending_and_terminated_lines_cannot_be_suspended(line, agent):
    line.status = Line.Status.TERMINATED
    with pytest.raises(SuspensionRefused):
        suspension_open(line=line, cause=Cause.FRAUD, reason="x", actor=agent)


def test_suspension_and_restoration_are_told_once_in_the_customer_language(
    line, agent, sms_outbox, django_capture_on_commit_callbacks
):
    user = line.contract.customer.user
    user.language = "en"
    user.save()
    with django_capture_on_commit_callbacks(execute=True):
        cause = suspension_open(line=line, cause=Cause.FRAUD, reason="Spam", actor=agent)
        suspension_lift(line=line, cause=Cause.FRAUD, reason="Checked", actor=agent)
    assert [m.subject for m in mail.outbox] == [
        f"Your line {line.number.msisdn} is suspended",
        f"Your line {line.number.msisdn} is restored",
    ]
    assert "Fraud or unlawful use" in mail.outbox[0].body
    assert [m.to for m in sms_outbox] == [line.number.msisdn] * 2
    assert CustomerNotification.objects.filter(line=line, sent_at__isnull=False).count() == 4
    from subscriptions.notices.suspensions import notification_send, notifications_record

    assert notifications_record([(line, "suspended", "fraud", f"suspended:cause{cause.pk}")]) == []
    assert not any(notification_send(n.pk) for n in CustomerNotification.objects.all())
    assert len(mail.outbox) == 2 and len(sms_outbox) == 2
