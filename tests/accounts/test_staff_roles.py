"""Staff groups come from a migration; agents work on their boutique, supervisors on all."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from subscriptions.models import Line


def test_groups_and_permissions_are_created_by_migration(db):
    agents = set(Group.objects.get(name="Agents").permissions.values_list("codename", flat=True))
    supervisors = set(
        Group.objects.get(name="Supervisors").permissions.values_list("codename", flat=True)
    )
    assert {"view_customer", "change_line", "view_offer"} <= agents
    assert "change_offerterms" not in agents
    assert {"change_offerterms", "add_gridparameters", "change_simcard"} <= supervisors


@pytest.mark.parametrize("query", ["Ben Ali", "Alice", "CIN", "MSISDN"])
def test_admin_customer_list_is_searchable_by_name_cin_and_msisdn(client, alice, agent, query):
    line = Line.objects.select_related("number").get(contract__customer=alice)
    term = {"CIN": alice.cin, "MSISDN": line.number.msisdn}.get(query, query)
    client.force_login(agent)
    response = client.get(reverse("admin:subscriptions_customer_changelist"), {"q": term})
    assert list(response.context["cl"].result_list) == [alice]


def test_admin_line_list_is_searchable_by_msisdn_and_cin(client, alice, supervisor):
    line = Line.objects.select_related("number").get(contract__customer=alice)
    client.force_login(supervisor)
    url = reverse("admin:subscriptions_line_changelist")
    for term in (line.number.msisdn, alice.cin, "Ben Ali"):
        assert list(client.get(url, {"q": term}).context["cl"].result_list) == [line]


def test_agent_does_not_find_another_boutiques_customer(client, alice, bob, agent):
    client.force_login(agent)
    response = client.get(reverse("admin:subscriptions_customer_changelist"), {"q": bob.cin})
    assert list(response.context["cl"].result_list) == []


def test_supervisor_finds_customers_of_every_boutique(client, alice, bob, supervisor):
    client.force_login(supervisor)
    response = client.get(reverse("admin:subscriptions_customer_changelist"))
    assert set(response.context["cl"].result_list) == {alice, bob}


def test_a_customer_cannot_enter_the_admin(client, alice):
    client.force_login(alice.user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
