"""The customer's passes page: passes held, taken and renewal stopped, this month's consumption
so far (R1.2, R9.2), an interrupted pass and its credit (RK.1, RK.3)."""

from decimal import Decimal

import time_machine
from django.urls import reverse

from catalogue.models import Option
from passes.interruptions import interruption_record, interruption_scope_change
from passes.models import PassHolding
from subscriptions.models import Line
from tests.billing.helpers import csv_of, usage_import
from tests.passes.conftest import at


def test_r1_2_the_customer_takes_a_pass_and_sees_it_included_in_the_consumption_so_far(
    client, alice, django_assert_max_num_queries
):
    line = Line.objects.get(contract__customer=alice)
    client.force_login(alice.user)
    url = reverse("portal:line_passes", args=[line.pk])
    week = Option.objects.get(code="maroc-illimite-semaine")
    with time_machine.travel(at(2026, 10, 3, 10, 0), tick=False):
        assert client.post(url, {"take": week.pk}).status_code == 302
    holding = PassHolding.objects.get(line_option__line=line)
    assert holding.period_ends_at == at(2026, 10, 10, 10, 0)
    n = line.number.msisdn
    usage_import(
        name="cdr.csv",
        content=csv_of(
            f"{n},2026-10-04T20:00:00,international,+212661000000,30",
            f"{n},2026-10-04T21:00:00,international,+33612345678,4",
        ),
    )
    with time_machine.travel(at(2026, 10, 5, 12), tick=False), django_assert_max_num_queries(20):
        page = client.get(url)
    consumption = page.context["consumption"].by_kind["international"]
    assert (consumption.used, consumption.included, consumption.charged) == (
        Decimal("34.000"),
        Decimal("30.000"),
        Decimal("4.000"),
    )
    assert consumption.amount == Decimal("3.600")  # 4 min to France at 0.900
    assert "Pass Maroc illimité — semaine" in page.content.decode()


def test_r9_2_the_customer_stops_the_renewal_and_sees_the_interruption_and_its_credit(
    client, alice, supervisor, django_capture_on_commit_callbacks
):
    line = Line.objects.get(contract__customer=alice)
    client.force_login(alice.user)
    url = reverse("portal:line_passes", args=[line.pk])
    month = Option.objects.get(code="maroc-illimite-mois")
    with time_machine.travel(at(2026, 9, 1, 10, 0), tick=False):
        client.post(url, {"take": month.pk})
    holding = PassHolding.objects.get(line_option__line=line)
    with time_machine.travel(at(2026, 9, 2, 10, 0), tick=False):
        client.post(url, {"holding": holding.pk, "renews": "0"})
    holding.refresh_from_db()
    assert not holding.renews and holding.renewal_stopped_by == alice.user
    interruption = interruption_record(
        partner="Wana",
        cause="Rupture du contrat",
        options=[month],
        started_at=at(2026, 9, 7),
        scope="full",
        actor=supervisor,
    )
    with time_machine.travel(at(2026, 9, 10, 10, 0), tick=False):
        page = client.get(url).content.decode()
    assert "Wana" in page and "sans renouvellement" in page
    with django_capture_on_commit_callbacks(execute=True):  # the credit's job
        interruption_scope_change(
            interruption=interruption,
            scope="degraded",
            effective_at=at(2026, 9, 25),
            actor=supervisor,
        )
    with time_machine.travel(at(2026, 9, 26, 10, 0), tick=False):
        page = client.get(url).content.decode()
    assert "15,000 TND" in page  # 18 days of 30 at 25.000
