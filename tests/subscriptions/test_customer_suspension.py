"""Suspension at the customer's request (R13.2)."""

from datetime import date, datetime

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from billing.models import Invoice
from subscriptions.models import Line, ProvisioningOrder, SuspensionCause
from subscriptions.services.records import IDENTITY_CHECKS
from subscriptions.services.suspensions import (
    SuspensionRequestRefused,
    line_suspension_request,
    line_suspension_request_lift,
    suspension_open,
)
from tests.subscriptions.prepaid_lines import prepaid_line

pytestmark = pytest.mark.usefixtures("messages_in_english")

Cause = SuspensionCause.Cause
S = Line.Status
ASKED_ON = timezone.make_aware(datetime(2026, 5, 14, 11))


@pytest.fixture
def line(alice) -> Line:
    return Line.objects.get(contract__customer=alice)


def test_r13_2_request_suspends_and_makes_every_sum_owed_payable_at_once(line):
    user = line.contract.customer.user
    with time_machine.travel(ASKED_ON, tick=False):
        invoices = line_suspension_request(line=line, actor=user)
    line.refresh_from_db()
    assert line.status == S.SUSPENDED
    cause = SuspensionCause.objects.get(line=line, lifted_at__isnull=True)
    assert (cause.cause, cause.opened_by) == (Cause.CUSTOMER_REQUEST, user)
    # April was not invoiced yet, May has begun: both are invoiced on the day of the request.
    assert sorted(i.period_start for i in invoices) == [date(2026, 4, 1), date(2026, 5, 1)]
    assert {i.issued_on for i in invoices} == {date(2026, 5, 14)}
    assert {i.due_on for i in invoices} == {date(2026, 5, 29)}  # R9.3: due per the grid
    # The monthly run adds nothing for these months afterwards.
    assert (
        Invoice.objects.filter(contract=line.contract, period_start=date(2026, 5, 1)).count() == 1
    )


def test_r13_2_a_second_request_is_refused(line):
    user = line.contract.customer.user
    with time_machine.travel(ASKED_ON, tick=False):
        line_suspension_request(line=line, actor=user)
        with pytest.raises(SuspensionRequestRefused, match="already suspended"):
            line_suspension_request(line=line, actor=user)
    assert Invoice.objects.filter(contract=line.contract).count() == 3


def test_r13_2_lifting_on_request_leaves_the_other_causes(
    line, agent, django_capture_on_commit_callbacks
):
    user = line.contract.customer.user
    earlier = list(ProvisioningOrder.objects.values_list("pk", flat=True))  # the persona's
    with time_machine.travel(ASKED_ON, tick=False):
        line_suspension_request(line=line, actor=user)
        suspension_open(line=line, cause=Cause.FRAUD, reason="Spam", actor=agent)
        with django_capture_on_commit_callbacks(execute=True):
            line_suspension_request_lift(line=line, actor=user)
    line.refresh_from_db()
    assert line.status == S.SUSPENDED  # R13.1: fraud still open
    unblocks = ProvisioningOrder.objects.filter(line=line, action=ProvisioningOrder.Action.UNBLOCK)
    assert not unblocks.exclude(pk__in=earlier).exists()
    with pytest.raises(SuspensionRequestRefused, match="not suspended at your request"):
        line_suspension_request_lift(line=line, actor=user)


def test_r13_2_lifting_the_only_cause_restores_the_line_once_the_network_confirms(
    line, django_capture_on_commit_callbacks
):
    user = line.contract.customer.user
    with time_machine.travel(ASKED_ON, tick=False):
        line_suspension_request(line=line, actor=user)
        with django_capture_on_commit_callbacks(execute=True):
            line_suspension_request_lift(line=line, actor=user)
    line.refresh_from_db()
    assert line.status == S.ACTIVE


def test_r13_2_a_prepaid_line_has_nothing_more_to_pay(grid, lac):
    line = prepaid_line(boutique=lac, email="carla@example.tn", activated=datetime(2026, 4, 2))
    with time_machine.travel(ASKED_ON, tick=False):
        assert line_suspension_request(line=line, actor=line.contract.customer.user) == []
    line.refresh_from_db()
    assert line.status == S.SUSPENDED
    assert not Invoice.objects.filter(contract=line.contract).exists()


def test_r13_2_an_agent_records_the_request_after_the_identity_checks(
    client, agent, line, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    url = reverse("admin:subscriptions_line_changelist")
    checks = dict.fromkeys(IDENTITY_CHECKS, "on")
    action = {"action": "customer_request_suspension", ACTION_CHECKBOX_NAME: [line.pk]}
    incomplete = {**action, "decision": "suspend", "reason": "Par téléphone"}
    assert client.post(url, incomplete).status_code == 200  # the form again, nothing done
    line.refresh_from_db()
    assert line.status == S.ACTIVE
    with time_machine.travel(ASKED_ON, tick=False):
        client.post(url, {**incomplete, **checks})
    line.refresh_from_db()
    assert line.status == S.SUSPENDED
    cause = SuspensionCause.objects.get(line=line, lifted_at__isnull=True)
    assert (cause.cause, cause.opened_by, cause.reason) == (
        Cause.CUSTOMER_REQUEST,
        agent,
        "Par téléphone",
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {**action, "decision": "lift", "reason": "En boutique", **checks})
    line.refresh_from_db()
    assert line.status == S.ACTIVE
