"""R7.7: a line reported for advertising SMS is suspended as fraud, the evidence attached."""

from django.urls import reverse

from abuse.models import AdvertisingSmsReport
from subscriptions.models import Line, ProvisioningOrder
from tests.subscriptions.helpers import one_page_writer, pypdf_bytes, upload


def test_r7_7_a_supervisor_suspends_a_line_for_advertising_sms_with_the_evidence(
    client, new_alice, supervisor
):
    line = Line.objects.get(contract__customer=new_alice)
    client.force_login(supervisor)
    evidence = upload(pypdf_bytes(one_page_writer()), name="captures-sms.pdf")
    response = client.post(
        reverse("admin:abuse_advertisingsmsreport_add"),
        {
            "number": line.number.msisdn.removeprefix("+216"),  # as the report writes it
            "reported_by": "Tunisie Télécom, plainte de 40 abonnés",
            "description": "« Promo -50 % » envoyé à 12 000 numéros le 02/10",
            "evidence_file": evidence,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    report = AdvertisingSmsReport.objects.get()
    line.refresh_from_db()
    assert line.status == Line.Status.SUSPENDED
    cause = report.suspension
    assert (cause.cause, cause.opened_by, cause.lifted_at) == ("fraud", supervisor, None)
    assert f"report {report.pk}" in cause.reason and "R7.7" in cause.reason
    assert report.evidence_name == "captures-sms.pdf"
    assert report.evidence.read().startswith(b"%PDF")
    assert report.evidence.name.startswith("documents/")  # a generated name
    assert ProvisioningOrder.objects.filter(line=line, action="block").exists()


def test_r7_7_an_agent_cannot_suspend_for_advertising_sms(client, new_alice, agent):
    client.force_login(agent)
    response = client.get(reverse("admin:abuse_advertisingsmsreport_add"))
    assert response.status_code == 403
