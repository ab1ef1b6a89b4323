"""Transfer of a line to another holder (R18.1): only after a supervisor's written approval
(a letter), with the new holder's identity checked as at a subscription (R3.1, R3.3)."""

import shutil
import subprocess
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from subscriptions.models import Line, MobileNumber
from terminations.models import LineTransfer
from terminations.transfers import (
    IDENTITY_CHECKS,
    TransferRefused,
    line_transfer_approve,
    line_transfer_request,
)
from tests.factories import CustomerFactory
from tests.terminations.helpers import scan, upload


def travel(day: date):
    return time_machine.travel(
        timezone.make_aware(datetime(day.year, day.month, day.day, 9)), tick=False
    )


def test_r18_1_nothing_moves_before_a_supervisors_written_approval(alice, agent, supervisor):
    line = Line.objects.select_related("number", "sim").get(contract__customer=alice)
    holder = CustomerFactory(boutique=alice.boutique, first_name="Karim", last_name="Trabelsi")
    with travel(date(2026, 6, 10)):
        transfer = line_transfer_request(
            line=line,
            new_holder=holder,
            identity_document=scan(),
            checks=dict.fromkeys(IDENTITY_CHECKS, True),
            actor=agent,
        )
        assert Line.objects.get(pk=line.pk).contract.customer == alice
        with pytest.raises(TransferRefused):
            line_transfer_approve(transfer=transfer, actor=agent, reason="ok")
        line_transfer_approve(transfer=transfer, actor=supervisor, reason="Accord écrit")
    transfer.refresh_from_db()
    old = Line.objects.get(pk=line.pk)
    new = transfer.new_line
    assert old.status == Line.Status.TERMINATED
    assert not old.provisioning_orders.filter(action="release_number").exists()
    assert (new.contract.customer, new.number_id, new.sim_id, new.status) == (
        holder,
        line.number_id,
        line.sim_id,
        Line.Status.ACTIVE,
    )
    assert new.number.status == MobileNumber.Status.ASSIGNED
    assert timezone.localdate(new.activated_at) == date(
        2026, 6, 11
    )  # the new holder's from tomorrow
    assert new.commitment_ends_on == date(2027, 6, 10)  # R4.2: their own minimum period
    assert transfer.decided_by == supervisor
    pdf = transfer.approval_letter.path
    text = subprocess.run(  # noqa: S603
        [shutil.which("pdftotext"), pdf, "-"], capture_output=True, text=True, check=True
    ).stdout
    assert line.number.msisdn in text
    assert "Karim Trabelsi" in text
    assert holder.identity_number in text


def test_r18_1_the_new_holders_identity_is_checked_on_all_five_points(alice, agent):
    line = Line.objects.get(contract__customer=alice)
    holder = CustomerFactory(boutique=alice.boutique)
    with pytest.raises(TransferRefused):
        line_transfer_request(
            line=line,
            new_holder=holder,
            identity_document=scan(),
            checks={**dict.fromkeys(IDENTITY_CHECKS, True), "birth_date_ok": False},
            actor=agent,
        )
    with pytest.raises(IntegrityError):
        LineTransfer.objects.create(
            line=line, new_holder=holder, identity_document="x.png", requested_by=agent
        )


def test_r18_1_agent_records_the_request_in_the_admin(client, alice, agent):
    line = Line.objects.get(contract__customer=alice)
    holder = CustomerFactory(boutique=alice.boutique)
    client.force_login(agent)
    response = client.post(
        reverse("admin:terminations_linetransfer_add"),
        {
            "line": line.pk,
            "new_holder": holder.pk,
            "identity_scan": upload(),
            **dict.fromkeys(IDENTITY_CHECKS, "on"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    transfer = LineTransfer.objects.get(line=line, status="requested")
    assert transfer.requested_by == agent
    assert Line.objects.get(pk=line.pk).status == Line.Status.ACTIVE
    assert timedelta(0) <= timezone.now() - transfer.requested_at < timedelta(minutes=5)
