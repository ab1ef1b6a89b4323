"""The line's state machine, first activation (R4.1, R4.2) and the number pool (R17.3)."""

from datetime import date, datetime

import pytest
import time_machine
from django.utils import timezone

from catalogue.models import Offer
from subscriptions.lifecycle.records import (
    ALLOWED_MOVES,
    TransitionRefused,
    line_transition,
    number_release_quarantined,
)
from subscriptions.models import Line, LineStatusChange, MobileNumber, SimCard
from subscriptions.services.ending import line_end
from subscriptions.services.records import ActivationRefused, commitment_end, line_activate
from tests.factories import ContractFactory, LineFactory, SimCardFactory


def _end(line: Line, agent) -> None:
    line_end(line=line, on=timezone.localdate(), reason="Test", sim_returned=True, actor=agent)


@pytest.fixture
def pending_line(grid):
    return LineFactory(offer=Offer.objects.get(code="forfait-liberte-20"))


def test_r4_1_contract_takes_effect_on_the_first_activation(pending_line, agent):
    at = timezone.make_aware(datetime(2026, 5, 14, 16, 30))
    line_activate(line=pending_line, sim=SimCardFactory(), actor=agent, at=at)
    pending_line.contract.refresh_from_db()
    assert pending_line.contract.starts_on == date(2026, 5, 14)
    second = LineFactory(contract=pending_line.contract, offer=pending_line.offer)
    line_activate(line=second, sim=SimCardFactory(), actor=agent, at=at.replace(month=7))
    pending_line.contract.refresh_from_db()
    assert pending_line.contract.starts_on == date(2026, 5, 14)


def test_r4_2_minimum_commitment_runs_from_activation(pending_line, agent):
    at = timezone.make_aware(datetime(2026, 5, 14, 9, 0))
    line_activate(line=pending_line, sim=SimCardFactory(), actor=agent, at=at)
    assert pending_line.commitment_ends_on == date(2027, 5, 13)


def test_r4_2_commitment_end_of_month_edge_and_no_commitment():
    assert commitment_end(start=date(2026, 1, 31), months=1) == date(2026, 2, 27)
    assert commitment_end(start=date(2026, 3, 1), months=12) == date(2027, 2, 28)
    assert commitment_end(start=date(2026, 3, 1), months=0) is None


def test_activation_assigns_the_sim_and_the_number(pending_line, agent):
    sim = SimCardFactory()
    line_activate(line=pending_line, sim=sim, actor=agent)
    sim.refresh_from_db()
    pending_line.number.refresh_from_db()
    assert sim.status == SimCard.Status.ASSIGNED
    assert pending_line.number.status == MobileNumber.Status.ASSIGNED


def test_every_move_is_recorded_with_who_when_and_why(pending_line, agent):
    with time_machine.travel(timezone.make_aware(datetime(2026, 6, 1, 8, 0)), tick=False):
        line_activate(line=pending_line, sim=SimCardFactory(), actor=agent)
        line_transition(line=pending_line, to="suspended", job="sweep", reason="Unpaid invoice")
    changes = list(LineStatusChange.objects.filter(line=pending_line))
    assert [(c.from_status, c.to_status) for c in changes] == [
        ("pending", "active"),
        ("active", "suspended"),
    ]
    assert changes[0].actor == agent
    assert changes[1].actor is None and changes[1].job == "sweep"
    assert changes[1].reason == "Unpaid invoice"
    assert changes[1].at == timezone.make_aware(datetime(2026, 6, 1, 8, 0))


def test_a_forbidden_move_is_refused_and_leaves_no_trace(pending_line, agent):
    with pytest.raises(TransitionRefused):
        line_transition(line=pending_line, to="suspended", actor=agent, reason="x")
    assert Line.objects.get(pk=pending_line.pk).status == "pending"
    assert not LineStatusChange.objects.filter(line=pending_line).exists()


def test_a_terminated_line_never_moves_again(pending_line, agent):
    assert ALLOWED_MOVES[Line.Status.TERMINATED] == frozenset()
    line_activate(line=pending_line, sim=SimCardFactory(), actor=agent)
    line_transition(line=pending_line, to="terminated", actor=agent, reason="End")
    for target in Line.Status:
        with pytest.raises(TransitionRefused):
            line_transition(line=pending_line, to=target, actor=agent, reason="again")
    assert LineStatusChange.objects.filter(line=pending_line).count() == 2


def test_two_actors_racing_on_one_line_make_one_move(pending_line, agent):
    line_activate(line=pending_line, sim=SimCardFactory(), actor=agent)
    stale_copy = Line.objects.get(pk=pending_line.pk)
    line_transition(line=pending_line, to="suspended", job="sweep", reason="first")
    with pytest.raises(TransitionRefused):
        line_transition(line=stale_copy, to="suspended", job="sweep", reason="second")
    assert LineStatusChange.objects.filter(line=pending_line, to_status="suspended").count() == 1


def test_a_move_needs_a_person_or_a_job(pending_line):
    with pytest.raises(ValueError):
        line_transition(line=pending_line, to="active", reason="nobody")


def test_r17_3_terminated_number_goes_to_quarantine_for_the_grid_duration(pending_line, agent):
    line_activate(line=pending_line, sim=SimCardFactory(), actor=agent)
    with time_machine.travel(date(2026, 7, 1), tick=False):
        _end(pending_line, agent)
    number = MobileNumber.objects.get(pk=pending_line.number_id)
    assert number.status == MobileNumber.Status.QUARANTINE
    assert number.quarantine_until == date(2026, 12, 28)  # 180 days (grid parameter)


def test_r17_3_quarantined_number_is_released_once_when_due(pending_line, agent):
    line_activate(line=pending_line, sim=SimCardFactory(), actor=agent)
    with time_machine.travel(date(2026, 7, 1), tick=False):
        _end(pending_line, agent)
    assert number_release_quarantined(today=date(2026, 12, 27)) == 0
    assert number_release_quarantined(today=date(2026, 12, 28)) == 1
    assert number_release_quarantined(today=date(2026, 12, 28)) == 0
    number = MobileNumber.objects.get(pk=pending_line.number_id)
    assert (number.status, number.quarantine_until) == (MobileNumber.Status.AVAILABLE, None)


def test_r17_3_a_number_in_quarantine_cannot_be_activated_again(pending_line, agent):
    line_activate(line=pending_line, sim=SimCardFactory(), actor=agent)
    _end(pending_line, agent)
    again = LineFactory(offer=pending_line.offer, number=pending_line.number)
    with pytest.raises(ActivationRefused):
        line_activate(line=again, sim=SimCardFactory(), actor=agent)
    assert Line.objects.get(pk=again.pk).status == Line.Status.PENDING


def test_a_sim_already_assigned_cannot_be_given_to_another_line(pending_line, agent):
    sim = SimCardFactory()
    line_activate(line=pending_line, sim=sim, actor=agent)
    other = LineFactory(offer=pending_line.offer)
    with pytest.raises(ActivationRefused):
        line_activate(line=other, sim=sim, actor=agent)


def test_r17_3_a_released_number_can_serve_a_new_line(pending_line, agent):
    line_activate(line=pending_line, sim=SimCardFactory(), actor=agent)
    _end(pending_line, agent)
    number_release_quarantined(today=date(2099, 1, 1))
    again = LineFactory(
        contract=ContractFactory(), offer=pending_line.offer, number=pending_line.number
    )
    line_activate(line=again, sim=SimCardFactory(), actor=agent)
    assert again.status == Line.Status.ACTIVE
