"""Migration of a postpaid line to prepaid (R15.1): the number and the SIM stay, the grid's
migration fee is charged, and the postpaid part of the month is billed."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone, translation

from billing.models import Charge
from catalogue.models import Fee, Offer
from catalogue.selectors import fee_amount
from subscriptions.models import Line
from terminations.models import PrepaidMigration
from terminations.prepaid_migration import MigrationRefused, line_migrate_to_prepaid


def travel(day: date):
    return time_machine.travel(
        timezone.make_aware(datetime(day.year, day.month, day.day, 9)), tick=False
    )


def test_r15_1_migration_keeps_the_number_charges_the_fee_and_bills_the_postpaid_days(alice, agent):
    line = Line.objects.select_related("number", "sim").get(contract__customer=alice)
    number, sim = line.number_id, line.sim_id
    prepaid = Offer.objects.get(code="carte-libre")
    with travel(date(2026, 6, 10)):
        migration = line_migrate_to_prepaid(line=line, offer=prepaid, actor=agent)
    line.refresh_from_db()
    assert (line.offer, line.number_id, line.sim_id, line.status) == (
        prepaid,
        number,
        sim,
        Line.Status.ACTIVE,
    )
    assert line.commitment_ends_on is None
    fee = fee_amount(Fee.Kind.MIGRATION, on=date(2026, 6, 10))
    assert migration.fee == fee
    charges = {c.fee_kind: c for c in Charge.objects.filter(contract=line.contract)}
    assert charges["migration"].amount == fee
    # The postpaid fees of 1 to 10 June: 10/30 of 20.000.
    postpaid = Charge.objects.filter(
        contract=line.contract, fee_kind="postpaid_until_migration", label__contains="01/06 - 10/06"
    )
    assert Decimal("6.667") in set(postpaid.values_list("amount", flat=True))
    # No postpaid line is left: the contract's last postpaid invoice is issued today with them.
    final = migration.final_invoice
    assert final.issued_on == date(2026, 6, 10)
    assert set(Charge.objects.filter(contract=line.contract).values_list("invoice", flat=True)) == {
        final.pk
    }
    assert not line.line_options.filter(ended_on__isnull=True).exists()
    assert line.status_changes.filter(reason__contains="R15.1", actor=agent).exists()


def test_r15_1_only_a_postpaid_line_to_a_prepaid_offer(alice, agent):
    line = Line.objects.get(contract__customer=alice)
    with pytest.raises(MigrationRefused):
        line_migrate_to_prepaid(
            line=line, offer=Offer.objects.get(code="forfait-pro-45"), actor=agent
        )
    line_migrate_to_prepaid(line=line, offer=Offer.objects.get(code="carte-libre"), actor=agent)
    with pytest.raises(MigrationRefused):
        line_migrate_to_prepaid(line=line, offer=Offer.objects.get(code="carte-libre"), actor=agent)


def test_r15_1_agent_migrates_in_the_admin(client, alice, agent):
    line = Line.objects.get(contract__customer=alice)
    client.force_login(agent)
    response = client.post(
        reverse("admin:terminations_prepaidmigration_add"),
        {"line": line.pk, "to_offer": Offer.objects.get(code="carte-libre").pk},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PrepaidMigration.objects.get(line=line).decided_by == agent


def test_r15_1_the_migration_charges_are_labelled_in_the_customers_language(alice, agent):
    """The agent works in French; the customer reads Arabic: the fee and the postpaid days on
    their final invoice are in Arabic."""
    alice.user.language = "ar"
    alice.user.save(update_fields=["language"])
    line = Line.objects.get(contract__customer=alice)
    with travel(date(2026, 6, 10)), translation.override("fr"):
        line_migrate_to_prepaid(line=line, offer=Offer.objects.get(code="carte-libre"), actor=agent)
    fee = Charge.objects.get(contract=line.contract, fee_kind="migration")
    assert fee.label.startswith("معلوم التحويل إلى ")
    assert fee.invoice.language == "ar"
