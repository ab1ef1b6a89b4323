"""The API in the back office by role: supervisors make and revoke keys, end event
subscriptions and follow deliveries; agents (one boutique's staff) see none of it."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from api.models import ApiKey, EventDelivery, Hub, Scope
from tests.api.conftest import ApiClient

BILLS = "/tmf-api/customerBillManagement/v5"
PAGES = ["apikey", "apiwrite", "hub", "eventdelivery"]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("page", PAGES)
def test_tmf_agents_do_not_see_the_api_in_the_back_office(agent, page):
    assert signed_in(agent).get(f"/admin/api/{page}/").status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_tmf_supervisors_see_the_api_in_the_back_office(supervisor, page):
    assert signed_in(supervisor).get(f"/admin/api/{page}/").status_code == 200


def test_tmf_a_supervisor_makes_a_key_and_revokes_it(alice, supervisor):
    client = signed_in(supervisor)
    answer = client.post(
        "/admin/api/apikey/add/",
        {"name": "Finance", "scopes": '["customerBill:read"]', "rate_per_minute": "60"},
    )
    assert answer.status_code == 302
    [shown] = [str(m) for m in get_messages(answer.wsgi_request) if "tnp_" in str(m)]
    text = shown[shown.index("tnp_") :]
    key = ApiKey.objects.get(name="Finance")
    assert key.created_by == supervisor
    assert ApiClient(text).get(f"{BILLS}/billCycle").status_code == 200
    client.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    key.refresh_from_db()
    assert key.revoked_by == supervisor
    assert ApiClient(text).get(f"{BILLS}/billCycle").status_code == 401
    # A key is never deleted: what it wrote stays attributed to it.
    assert client.get(f"/admin/api/apikey/{key.pk}/delete/").status_code == 403


def test_tmf_a_supervisor_ends_a_subscription_and_its_pending_deliveries(
    alice, supervisor, system_key
):
    _key, text = system_key(scopes=[Scope.BILLS_READ, Scope.EVENTS_WRITE])
    created = ApiClient(text).post(f"{BILLS}/hub", {"callback": "https://crm.example.tn/e"})
    hub = Hub.objects.get(pk=created.json()["id"])
    signed_in(supervisor).post("/admin/api/hub/", {"action": "end", "_selected_action": [hub.pk]})
    hub.refresh_from_db()
    assert hub.deleted_at is not None
    assert not EventDelivery.objects.filter(hub=hub, status="pending").exists()


def test_tmf_an_agent_cannot_make_a_key(agent):
    answer = signed_in(agent).post(
        "/admin/api/apikey/add/",
        {"name": "Mine", "scopes": '["customerBill:read"]', "rate_per_minute": "60"},
    )
    assert answer.status_code == 403
    assert not ApiKey.objects.exists()
