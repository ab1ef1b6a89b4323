"""Options taken later (R3.3 identity checks, R4.2 their own commitment), portal and phone."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from catalogue.models import Option
from subscriptions.models import IdentityCheck, Line, PrepaidMovement, TopUp
from subscriptions.services.prepaid import top_up_record
from subscriptions.services.records import IDENTITY_CHECKS, OptionRefused, line_option_add
from tests.subscriptions.prepaid_lines import prepaid_line


@pytest.fixture
def alice_line(new_alice):
    return Line.objects.get(contract__customer=new_alice)


def test_r3_3_an_option_needs_the_five_identity_checks(alice_line, agent):
    sms = Option.objects.get(code="sms-illimites")
    checks = dict.fromkeys(IDENTITY_CHECKS, True) | {"birth_date_ok": False}
    with pytest.raises(OptionRefused):
        line_option_add(line=alice_line, option=sms, actor=agent, channel="phone", checks=checks)
    assert not alice_line.line_options.filter(option=sms).exists()


def test_r4_2_an_option_commitment_starts_the_day_it_is_taken(alice_line, agent):
    year_pass = Option.objects.get(code="maroc-illimite-annee")
    with time_machine.travel(date(2026, 11, 23), tick=False):
        taken = line_option_add(
            line=alice_line,
            option=year_pass,
            actor=agent,
            channel="phone",
            checks=dict.fromkeys(IDENTITY_CHECKS, True),
        )
    assert taken.started_on == date(2026, 11, 23)
    assert taken.commitment_ends_on == date(2027, 11, 22)
    check = IdentityCheck.objects.get(line_option=taken)
    assert check.checked_by == agent and check.channel == "phone"


def test_an_option_not_sold_on_the_offer_is_refused(new_alice, agent):
    line = Line.objects.get(contract__customer=new_alice)
    week = Option.objects.get(code="maroc-illimite-annee")
    week.offers.clear()
    with pytest.raises(OptionRefused):
        line_option_add(
            line=line,
            option=week,
            actor=agent,
            channel="phone",
            checks=dict.fromkeys(IDENTITY_CHECKS, True),
        )


def test_r3_3_customer_confirms_identity_in_the_portal_before_the_option(
    client, new_alice, alice_line
):
    client.force_login(new_alice.user)
    url = reverse("portal:line_option_add", args=[alice_line.pk])
    sms = Option.objects.get(code="sms-illimites")
    base = {"option": sms.pk, "last_name_ok": "on", "first_name_ok": "on", "address_ok": "on"}
    wrong = client.post(url, {**base, "cin": "99999999", "birth_date": new_alice.birth_date})
    assert wrong.context["form"].has_error("__all__", "identity_mismatch")
    assert not alice_line.line_options.filter(option=sms).exists()
    right = client.post(url, {**base, "cin": new_alice.cin, "birth_date": new_alice.birth_date})
    assert right.status_code == 302
    taken = alice_line.line_options.get(option=sms)
    assert IdentityCheck.objects.get(line_option=taken).channel == "portal"


def test_r3_3_phone_path_in_the_admin_records_who_checked(client, alice_line, agent):
    client.force_login(agent)
    url = reverse("admin:subscriptions_line_changelist")
    sms = Option.objects.get(code="sms-illimites")
    form = client.post(url, {"action": "add_option_by_phone", "_selected_action": [alice_line.pk]})
    assert form.status_code == 200
    partial = {
        "action": "add_option_by_phone",
        "_selected_action": [alice_line.pk],
        "option": sms.pk,
    }
    client.post(url, {**partial, "last_name_ok": "on"})
    assert not alice_line.line_options.filter(option=sms).exists()
    client.post(url, {**partial, **{name: "on" for name in IDENTITY_CHECKS}})
    taken = alice_line.line_options.get(option=sms)
    assert IdentityCheck.objects.get(line_option=taken).checked_by == agent


def test_r10_6_a_prepaid_option_is_paid_from_the_credit_when_taken(grid, lac, agent):
    line = prepaid_line(boutique=lac, email="carla@example.tn", activated=datetime(2026, 4, 30, 9))
    top_up_record(
        line=line, channel=TopUp.Channel.BANKA, amount=Decimal("10"), reference="B1", job="t"
    )
    checks = dict.fromkeys(IDENTITY_CHECKS, True)
    week = Option.objects.get(code="maroc-illimite-semaine")  # 7.000 TND
    line_option_add(line=line, option=week, actor=agent, channel="phone", checks=checks)
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("3.000")
    fee = line.prepaid_account.movements.get(kind=PrepaidMovement.Kind.FEE)
    assert (fee.credit_change, fee.actor) == (Decimal("-7.000"), agent)

    month = Option.objects.get(code="maroc-illimite-mois")  # 25.000 TND: the credit is short
    with translation.override("en"), pytest.raises(OptionRefused, match="top up the line first"):
        line_option_add(line=line, option=month, actor=agent, channel="phone", checks=checks)
    assert not line.line_options.filter(option=month).exists()
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("3.000")
