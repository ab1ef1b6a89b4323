"""Back office of top-ups (R2.3) and lost SIMs (R14.1, R14.3, R14.4)."""

import csv
import io
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from subscriptions.models import Line, RechargeCode, SimLossDeclaration, TopUp
from subscriptions.services.prepaid import top_up_with_code
from tests.factories import SimCardFactory
from tests.subscriptions.prepaid_lines import prepaid_line

S = Line.Status
CHECKS = {
    "last_name_ok": "on",
    "first_name_ok": "on",
    "cin_ok": "on",
    "birth_date_ok": "on",
    "address_ok": "on",
}


@pytest.fixture
def line(new_alice) -> Line:
    return Line.objects.get(contract__customer=new_alice)


def png_upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "PNG")
    return SimpleUploadedFile("pv.png", buffer.getvalue(), content_type="image/png")


def test_r2_3_agent_records_a_banka_top_up_once(client, agent, line):
    client.force_login(agent)
    url = reverse("admin:subscriptions_topup_add")
    data = {"line": line.pk, "channel": "banka", "amount": "12.500", "reference": "BK-2026-1"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, data).status_code == 302
    top_up = TopUp.objects.get(reference="BK-2026-1")
    assert (top_up.amount, top_up.actor) == (Decimal("12.500"), agent)


def test_r2_3_an_agent_cannot_top_up_another_boutiques_line(client, agent, new_bob):
    client.force_login(agent)
    bobs_line = Line.objects.get(contract__customer=new_bob)
    data = {"line": bobs_line.pk, "channel": "light", "amount": "5", "reference": "L-1"}
    response = client.post(reverse("admin:subscriptions_topup_add"), data)
    assert response.status_code == 200
    assert "line" in response.context["adminform"].form.errors
    assert not TopUp.objects.filter(reference="L-1").exists()


def test_r2_3_supervisor_gets_the_codes_once_as_a_csv_and_they_work(client, grid, supervisor, lac):
    # R10.7: a recharge card credits a prepaid (or capped) line, not alice's postpaid one.
    line = prepaid_line(boutique=lac, email="carte@example.tn", activated=datetime(2026, 11, 2, 9))
    client.force_login(supervisor)
    response = client.post(
        reverse("admin:subscriptions_rechargecodebatch_add"),
        {"amount": "5", "quantity": "4", "label": "Kiosques"},
    )
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert len(rows) == 4
    assert RechargeCode.objects.count() == 4
    top_up = top_up_with_code(line=line, code=rows[0]["code"], user=line.contract.customer.user)
    assert top_up.reference == rows[0]["serial"]


def test_r2_3_agents_cannot_generate_recharge_codes(client, agent):
    client.force_login(agent)
    response = client.post(
        reverse("admin:subscriptions_rechargecodebatch_add"), {"amount": "5", "quantity": "1"}
    )
    assert response.status_code == 403
    assert not RechargeCode.objects.exists()


def test_r14_4_agent_declares_a_loss_only_after_the_five_checks(client, agent, line):
    client.force_login(agent)
    url = reverse("admin:subscriptions_simlossdeclaration_add")
    partial = {**CHECKS}
    del partial["cin_ok"]
    response = client.post(url, {"line": line.pk, "channel": "phone", **partial})
    assert "cin_ok" in response.context["adminform"].form.errors
    line.refresh_from_db()
    assert line.status == S.ACTIVE
    assert client.post(url, {"line": line.pk, "channel": "phone", **CHECKS}).status_code == 302
    line.refresh_from_db()
    assert line.status == S.SUSPENDED
    declaration = SimLossDeclaration.objects.get(line=line, status="open")
    assert (declaration.declared_by, declaration.channel) == (agent, "phone")


def test_r14_1_overdue_declarations_are_in_the_staff_queue(client, agent, line):
    client.force_login(agent)
    declared = timezone.make_aware(datetime(2026, 5, 4, 10))
    with time_machine.travel(declared, tick=False):
        client.post(
            reverse("admin:subscriptions_simlossdeclaration_add"),
            {"line": line.pk, "channel": "boutique", **CHECKS},
        )
    declaration = SimLossDeclaration.objects.get(line=line, status="open")
    url = reverse("admin:subscriptions_simlossdeclaration_changelist") + "?police=overdue"
    with time_machine.travel(declared + timedelta(days=3, hours=23)):
        assert list(client.get(url).context["cl"].result_list) == []
    with time_machine.travel(declared + timedelta(days=4, minutes=1)):
        assert list(client.get(url).context["cl"].result_list) == [declaration]


def test_r14_3_agent_receives_the_police_declaration_and_gives_a_new_sim(
    client, agent, sfax_agent, line, django_capture_on_commit_callbacks
):
    client.force_login(agent)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("admin:subscriptions_simlossdeclaration_add"),
            {"line": line.pk, "channel": "phone", **CHECKS},
        )
    declaration = SimLossDeclaration.objects.get(line=line, status="open")
    change = reverse("admin:subscriptions_simlossdeclaration_change", args=[declaration.pk])
    assert client.post(change, {"upload": png_upload()}).status_code == 302
    download = reverse("admin:subscriptions_simlossdeclaration_police", args=[declaration.pk])
    assert client.get(download).status_code == 200
    other = client.__class__()
    other.force_login(sfax_agent)
    assert other.get(download).status_code == 404
    new_sim = SimCardFactory(boutique=agent.boutique)
    changelist = reverse("admin:subscriptions_simlossdeclaration_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            changelist,
            {"action": "replace_sim", ACTION_CHECKBOX_NAME: [declaration.pk], "sim": new_sim.pk},
        )
    line.refresh_from_db()
    assert (line.status, line.sim) == (S.ACTIVE, new_sim)
