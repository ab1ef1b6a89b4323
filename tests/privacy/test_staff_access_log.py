"""R6.5: each time staff open a customer's identity documents or personal page, a row says who
and when; supervisors list them per customer, agents cannot."""

import pytest
from django.test import Client
from django.urls import reverse

from privacy.models import StaffAccessLog
from subscriptions.models import FilePiece

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_r6_5_staff_opening_an_identity_document_is_logged(alice, agent):
    piece = FilePiece.objects.get(file__customer=alice, original_name="cin.png")
    url = reverse("portal:piece_download", args=[piece.pk])

    assert signed_in(alice.user).get(url).status_code == 200  # the owner: not a staff access
    assert not StaffAccessLog.objects.exists()
    assert signed_in(agent).get(url).status_code == 200

    log = StaffAccessLog.objects.get()
    assert (log.staff, log.customer, log.what) == (agent, alice, "document")
    assert piece.file.reference in log.detail


def test_r6_5_staff_opening_the_customer_page_is_logged(alice, agent):
    url = reverse("admin:subscriptions_customer_change", args=[alice.pk])
    assert signed_in(agent).get(url).status_code == 200
    log = StaffAccessLog.objects.get()
    assert (log.staff, log.customer, log.what) == (agent, alice, "customer")


def test_r6_5_a_refused_access_is_not_logged_as_an_access(alice, sfax_agent):
    url = reverse("admin:subscriptions_customer_change", args=[alice.pk])
    assert signed_in(sfax_agent).get(url).status_code == 404
    assert not StaffAccessLog.objects.exists()


def test_r6_5_a_supervisor_lists_the_accesses_per_customer(
    alice, bob, agent, sfax_agent, supervisor
):
    signed_in(agent).get(reverse("admin:subscriptions_customer_change", args=[alice.pk]))
    signed_in(sfax_agent).get(reverse("admin:subscriptions_customer_change", args=[bob.pk]))
    changelist = reverse("admin:privacy_staffaccesslog_changelist")

    response = signed_in(supervisor).get(changelist, {"customer__id__exact": alice.pk})

    assert response.status_code == 200
    assert [row.staff for row in response.context["cl"].result_list] == [agent]
    assert signed_in(agent).get(changelist).status_code == 403


def test_r6_5_the_customer_page_links_supervisors_to_its_accesses(alice, agent, supervisor):
    url = reverse("admin:subscriptions_customer_change", args=[alice.pk])
    listing = reverse("admin:privacy_staffaccesslog_changelist")
    assert listing not in signed_in(agent).get(url).text
    page = signed_in(supervisor).get(url).text
    assert f"{listing}?customer__id__exact={alice.pk}" in page
