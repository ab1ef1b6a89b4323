"""The extra time's door (R17.5): a supervisor postpones the termination by right of suspended
lines from the line admin, with a date and a reason kept in the line's history; the sweep waits
until that day. Agents cannot."""

from datetime import date, datetime

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import Line, LineStatusChange, SuspensionCause
from subscriptions.services.suspensions import suspension_open
from subscriptions.services.sweeps import terminations_sweep

Cause = SuspensionCause.Cause
S = Line.Status


def _at(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def fraud_line(alice, supervisor) -> Line:
    """Alice's line suspended for fraud on 1 June 2026 at 9:00; the grid ends it by right 60
    days later (31 July, 9:00) without extra time."""
    line = Line.objects.get(contract__customer=alice)
    with time_machine.travel(_at(2026, 6, 1, 9, 0), tick=False):
        suspension_open(line=line, cause=Cause.FRAUD, reason="Unlawful use", actor=supervisor)
    return line


def _extensions_recorded(line: Line) -> bool:
    """History rows that leave the status as it is: here, only extra time granted."""
    return LineStatusChange.objects.filter(
        line=line, from_status=S.SUSPENDED, to_status=S.SUSPENDED
    ).exists()


def _grant(client, line: Line, **form):
    return client.post(
        reverse("admin:subscriptions_line_changelist"),
        {"action": "grant_extra_time", ACTION_CHECKBOX_NAME: [line.pk], **form},
    )


def test_r17_5_supervisor_grants_extra_time_and_the_sweep_waits_until_that_day(
    client, fraud_line, supervisor
):
    client.force_login(supervisor)
    with time_machine.travel(_at(2026, 7, 20, 11, 0), tick=False):
        page = _grant(client, fraud_line)
        assert page.status_code == 200 and set(page.context["form"].fields) == {"until", "reason"}
        assert "Unlawful use" not in page.content.decode()  # the causes, not their reasons
        done = _grant(client, fraud_line, until="2026-08-15", reason="Enquête en cours")
    assert done.status_code == 302
    cause = fraud_line.suspension_causes.get(cause=Cause.FRAUD)
    assert cause.extended_until == date(2026, 8, 15)
    recorded = LineStatusChange.objects.filter(line=fraud_line, actor=supervisor).latest("pk")
    assert (recorded.from_status, recorded.to_status) == (S.SUSPENDED, S.SUSPENDED)
    assert recorded.at == _at(2026, 7, 20, 11, 0)
    assert "Enquête en cours" in recorded.reason and "15/08/2026" in recorded.reason
    with time_machine.travel(_at(2026, 7, 31, 9, 0), tick=False):
        assert terminations_sweep(now=timezone.now())["terminated"] == 0
    with time_machine.travel(_at(2026, 8, 15, 23, 30), tick=False):  # the last day granted
        assert terminations_sweep(now=timezone.now())["terminated"] == 0
    with time_machine.travel(_at(2026, 8, 16, 0, 30), tick=False):
        assert terminations_sweep(now=timezone.now())["terminated"] == 1
    fraud_line.refresh_from_db()
    assert fraud_line.status == S.TERMINATED


def test_r17_5_a_date_after_today_and_a_reason_are_required(client, fraud_line, supervisor):
    client.force_login(supervisor)
    with time_machine.travel(_at(2026, 7, 20, 11, 0), tick=False):
        no_reason = _grant(client, fraud_line, until="2026-08-15")
        today = _grant(client, fraud_line, until="2026-07-20", reason="Enquête")
    assert set(no_reason.context["form"].errors) == {"reason"}
    assert set(today.context["form"].errors) == {"until"}
    assert fraud_line.suspension_causes.get(cause=Cause.FRAUD).extended_until is None
    assert not _extensions_recorded(fraud_line)


def test_r17_5_r13_1_a_lost_sim_cause_is_not_postponed_and_the_supervisor_is_told(
    client, alice, supervisor
):
    line = Line.objects.get(contract__customer=alice)
    with time_machine.travel(_at(2026, 6, 1, 9, 0), tick=False):
        suspension_open(line=line, cause=Cause.LOST_SIM, reason="Stolen", job="portal")
    client.force_login(supervisor)
    with time_machine.travel(_at(2026, 7, 20, 11, 0), tick=False):
        done = client.post(
            reverse("admin:subscriptions_line_changelist"),
            {
                "action": "grant_extra_time",
                ACTION_CHECKBOX_NAME: [line.pk],
                "until": "2026-08-15",
                "reason": "Enquête",
            },
            follow=True,
        )
    told = [str(m) for m in done.context["messages"]]
    assert told == [  # the admin speaks French by default
        f"{line.number} : aucune cause ouverte ne mène à la résiliation de plein droit ; "
        "rien à reporter."
    ]
    assert line.suspension_causes.get(cause=Cause.LOST_SIM).extended_until is None
    assert not _extensions_recorded(line)


def test_r17_5_agents_cannot_grant_extra_time(client, fraud_line, agent, sfax_agent, supervisor):
    listing = reverse("admin:subscriptions_line_changelist")
    client.force_login(supervisor)
    assert 'value="grant_extra_time"' in client.get(listing).content.decode()
    client.force_login(agent)  # Tunis Lac, alice's boutique: not a supervisor
    with time_machine.travel(_at(2026, 7, 20, 11, 0), tick=False):
        assert 'value="grant_extra_time"' not in client.get(listing).content.decode()
        _grant(client, fraud_line, until="2026-08-15", reason="Enquête")
        client.force_login(sfax_agent)  # another boutique: the line is not even there
        change = reverse("admin:subscriptions_line_change", args=[fraud_line.pk])
        assert client.get(change).status_code == 404
        _grant(client, fraud_line, until="2026-08-15", reason="Enquête")
    assert fraud_line.suspension_causes.get(cause=Cause.FRAUD).extended_until is None
    assert not _extensions_recorded(fraud_line)
