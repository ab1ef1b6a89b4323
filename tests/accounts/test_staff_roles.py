"""Staff groups come from a migration; agents work on their boutique, supervisors on all."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from subscriptions.models import Customer, Line
from tests.factories import MobileNumberFactory


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
    found = set(response.context["cl"].result_list)
    # Every customer of every boutique (the personas' boutiques also hold former customers).
    assert {alice, bob} <= found
    assert found == set(Customer.objects.all())


def test_a_customer_cannot_enter_the_admin(client, alice):
    client.force_login(alice.user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_agent_cannot_attach_a_line_to_another_boutiques_contract(client, alice, bob, agent):
    client.force_login(agent)
    bob_contract = bob.contracts.get()
    number = MobileNumberFactory()
    response = client.post(
        reverse("admin:subscriptions_line_add"),
        {
            "contract": bob_contract.pk,
            "offer": bob_contract.lines.get().offer_id,
            "number": number.pk,
            "line_options-TOTAL_FORMS": 0,
            "line_options-INITIAL_FORMS": 0,
            "status_changes-TOTAL_FORMS": 0,
            "status_changes-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("contract", "invalid_choice")
    assert not Line.objects.filter(number=number).exists()


def test_a_customer_added_by_an_agent_belongs_to_the_agents_boutique(client, grid, sfax, agent):
    client.force_login(agent)
    response = client.post(
        reverse("admin:subscriptions_customer_add"),
        {
            "kind": "individual",
            "boutique": sfax.pk,
            "last_name": "Mejri",
            "first_name": "Sana",
            "birth_date": "1980-01-02",
            "cin": "01234567",
            "street": "3 rue de Sfax",
            "postal_code": "3000",
            "city": "Sfax",
            "contracts-TOTAL_FORMS": 0,
            "contracts-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Customer.objects.get(cin="01234567").boutique == agent.boutique


def test_agent_cannot_move_a_customer_to_another_boutique(client, alice, sfax, agent):
    client.force_login(agent)
    page = client.get(reverse("admin:subscriptions_customer_change", args=[alice.pk]))
    assert "boutique" not in page.context["adminform"].form.fields
