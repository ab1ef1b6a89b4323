"""The dashboard lists the customer's own lines (number, offer, options, status), nothing else."""

from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from subscriptions.models import Line, LineOption, LineStatusChange
from tests.factories import ContractFactory, CustomerFactory, LineFactory, OptionFactory


def test_dashboard_shows_number_offer_options_and_status(client, alice):
    client.force_login(alice.user)
    response = client.get(reverse("portal:dashboard"))
    line = Line.objects.get(contract__customer=alice)
    assert line.number.msisdn in response.text
    assert "Forfait Liberté 20" in response.text
    assert "Option Internet 10 Go" in response.text
    assert response.context["lines"][0].get_status_display() in response.text


def test_dashboard_does_not_show_another_customers_lines(client, alice, bob):
    client.force_login(alice.user)
    response = client.get(reverse("portal:dashboard"))
    assert Line.objects.get(contract__customer=bob).number.msisdn not in response.text


def test_another_customer_gets_404_on_a_line(client, alice, bob):
    client.force_login(bob.user)
    alice_line = Line.objects.get(contract__customer=alice)
    assert client.get(reverse("portal:line_detail", args=[alice_line.pk])).status_code == 404


def test_dashboard_needs_sign_in(client, db):
    response = client.get(reverse("portal:dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))


def _dashboard_queries(client, customer) -> int:
    client.force_login(customer.user)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("portal:dashboard")).status_code == 200
    return len(queries)


def test_dashboard_query_count_is_the_same_with_1_and_20_lines(
    client, alice, django_assert_max_num_queries
):
    one = _dashboard_queries(client, alice)
    many = CustomerFactory(boutique=alice.boutique)
    contract = ContractFactory(customer=many)
    offer = Line.objects.get(contract__customer=alice).offer
    LineFactory.create_batch(20, contract=contract, offer=offer)
    assert _dashboard_queries(client, many) == one
    # Session, user with its customer (one query: EmailOrMobileBackend.get_user), lines,
    # their options, the subscription files, the termination requests.
    with django_assert_max_num_queries(6):
        client.get(reverse("portal:dashboard"))


def _line_page_queries(client, line) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("portal:line_detail", args=[line.pk])).status_code == 200
    return len(queries)


def test_line_page_query_count_is_the_same_with_1_and_20_changes_and_options(
    client, alice, django_assert_max_num_queries
):
    line = Line.objects.get(contract__customer=alice)
    client.force_login(alice.user)
    one = _line_page_queries(client, line)
    LineStatusChange.objects.bulk_create(
        LineStatusChange(
            line=line, from_status="active", to_status="active", reason="test", job="test"
        )
        for _ in range(20)
    )
    LineOption.objects.bulk_create(
        LineOption(line=line, option=OptionFactory(), started_on=date(2026, 1, k + 1))
        for k in range(20)
    )
    page = client.get(reverse("portal:line_detail", args=[line.pk]))
    assert len(page.context["history"]) == 20
    assert len(page.context["line"].current_options) > 20
    assert _line_page_queries(client, line) == one
    with django_assert_max_num_queries(6):
        client.get(reverse("portal:line_detail", args=[line.pk]))
