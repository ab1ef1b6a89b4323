"""Pass periods and renewals (R1.2, R10.6, R9.2, R4.2): prepaid paid from the balance at each
period, postpaid billed by the month each period starts, the customer told once."""

from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail

from billing.invoicing import Period
from billing.models import Charge
from catalogue.models import Option
from lib import sms
from passes.models import PassNotice
from passes.services import PassRefused, pass_renewal_set, passes_renew
from subscriptions.models import PrepaidMovement
from subscriptions.services.records import OptionRefused
from tests.billing.helpers import issue
from tests.passes.conftest import at, postpaid, prepaid, take


@pytest.fixture(autouse=True)
def outboxes(settings):
    settings.SMS_BACKEND = "lib.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def renew(when, django_capture_on_commit_callbacks) -> int:
    with time_machine.travel(when, tick=False), django_capture_on_commit_callbacks(execute=True):
        return passes_renew()


def test_r10_6_a_weekly_prepaid_pass_ends_after_its_week_and_the_customer_is_told_once(
    grid, django_capture_on_commit_callbacks
):
    line = prepaid("20")
    taken = take(line, "maroc-illimite-semaine", at(2026, 10, 3, 10, 0))
    holding = taken.pass_holding
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("13.000")  # 7.000 paid when taken
    assert holding.period_ends_at == at(2026, 10, 10, 10, 0)  # a week from the moment taken

    assert renew(at(2026, 10, 10, 9, 59), django_capture_on_commit_callbacks) == 0
    holding.refresh_from_db()
    assert holding.ended_at is None  # still running a minute before its end

    renew(at(2026, 10, 10, 10, 5), django_capture_on_commit_callbacks)
    renew(at(2026, 10, 10, 10, 10), django_capture_on_commit_callbacks)  # a second run: nothing
    holding.refresh_from_db()
    taken.refresh_from_db()
    assert (holding.ended_at, holding.ending) == (at(2026, 10, 10, 10, 0), "not_renewed")
    assert taken.ended_on == date(2026, 10, 10)
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("13.000")  # nothing more debited
    assert PassNotice.objects.filter(line=line, kind="ended", sent_at__isnull=False).count() == 2
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    assert "Pass Maroc illimité — semaine" in mail.outbox[0].body


def test_r10_6_a_renewed_prepaid_pass_debits_the_balance_then_ends_when_it_is_short(
    grid, django_capture_on_commit_callbacks
):
    line = prepaid("60")
    taken = take(line, "maroc-illimite-mois", at(2026, 10, 31, 18, 0))  # renews (grid)
    holding = taken.pass_holding
    assert holding.renews

    assert renew(at(2026, 11, 30, 18, 1), django_capture_on_commit_callbacks) == 1
    assert renew(at(2026, 11, 30, 18, 2), django_capture_on_commit_callbacks) == 0  # once
    holding.refresh_from_db()
    assert holding.period_ends_at == at(2026, 12, 30, 18, 0)  # from the end of the last one
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("10.000")  # 60 - 25 - 25
    fees = PrepaidMovement.objects.filter(account__line=line, kind="fee")
    assert sorted(f.credit_change for f in fees) == [Decimal("-25.000")] * 2
    assert fees.get(job="passes_renew").reason.startswith("Pass Maroc illimité — mois")

    renew(at(2026, 12, 30, 18, 5), django_capture_on_commit_callbacks)
    holding.refresh_from_db()
    assert holding.ending == "balance_too_low"
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("10.000")
    kinds = sorted(PassNotice.objects.filter(line=line).values_list("kind", "channel"))
    assert kinds == [("ended", "email"), ("ended", "sms"), ("renewed", "email"), ("renewed", "sms")]
    assert len(mail.outbox) == 2 and len(sms.outbox) == 2


def test_r9_2_a_yearly_postpaid_pass_is_billed_in_its_first_and_thirteenth_months(
    grid, django_capture_on_commit_callbacks
):
    line = postpaid()
    take(line, "maroc-illimite-annee", at(2026, 10, 12, 15, 0))
    for day in (date(2026, 11, 12), date(2027, 3, 1), date(2027, 10, 12)):
        renew(at(day.year, day.month, day.day, 15, 30), django_capture_on_commit_callbacks)

    def pass_fees(month: date) -> list[Decimal]:
        month_end = Period.month(month).end
        with time_machine.travel(
            at(month_end.year, month_end.month, month_end.day, 23), tick=False
        ):
            invoice = issue(line, Period.month(month), month_end)
        return [row.amount_excl_tax for row in invoice.lines.filter(kind="option")]

    assert pass_fees(date(2026, 10, 1)) == [Decimal("250.000")]  # month 1
    assert pass_fees(date(2026, 11, 1)) == []
    assert pass_fees(date(2027, 9, 1)) == []
    assert pass_fees(date(2027, 10, 1)) == [Decimal("250.000")]  # month 13
    assert Charge.objects.filter(line=line, fee_kind="pass").count() == 2


def test_r4_2_stopping_the_renewal_stops_the_next_period_never_the_current_one(
    grid, django_capture_on_commit_callbacks
):
    line = postpaid()
    holding = take(line, "maroc-illimite-mois", at(2026, 10, 5, 9, 0)).pass_holding
    with time_machine.travel(at(2026, 10, 20, 9, 0), tick=False):
        pass_renewal_set(holding=holding, renews=False, actor=line.contract.customer.user)
    holding.refresh_from_db()
    assert holding.ended_at is None and holding.renewal_stopped_by == line.contract.customer.user
    renew(at(2026, 11, 5, 9, 1), django_capture_on_commit_callbacks)
    holding.refresh_from_db()
    assert (holding.ended_at, holding.ending) == (at(2026, 11, 5, 9, 0), "not_renewed")
    assert Charge.objects.filter(line=line, fee_kind="pass").count() == 1


def test_r4_2_the_renewal_of_a_committed_pass_is_not_stopped_within_its_commitment(
    grid, django_capture_on_commit_callbacks
):
    Option.objects.filter(code="maroc-illimite-mois").update(minimum_commitment_months=3)
    line = postpaid()
    holding = take(line, "maroc-illimite-mois", at(2026, 10, 5, 9, 0)).pass_holding
    customer = line.contract.customer.user
    with pytest.raises(PassRefused):  # committed until 04/01/2027: months 2 and 3 are due
        pass_renewal_set(holding=holding, renews=False, actor=customer)
    renew(at(2026, 11, 5, 9, 1), django_capture_on_commit_callbacks)
    renew(at(2026, 12, 5, 9, 1), django_capture_on_commit_callbacks)
    holding.refresh_from_db()
    pass_renewal_set(holding=holding, renews=False, actor=customer)  # the third month runs
    renew(at(2027, 1, 5, 9, 1), django_capture_on_commit_callbacks)
    holding.refresh_from_db()
    assert holding.ending == "not_renewed"
    assert Charge.objects.filter(line=line, fee_kind="pass").count() == 3


def test_r10_7_a_capped_line_pays_its_pass_from_its_top_up_balance_when_the_grid_says_so(grid):
    from datetime import datetime

    from catalogue.models import GridParameters
    from subscriptions.models import TopUp
    from subscriptions.services.prepaid import top_up_record
    from tests.billing.helpers import account

    capped = account(offer_code="plafonne-15", activated=datetime(2026, 9, 1, 9, 0))
    top_up_record(
        line=capped, channel=TopUp.Channel.BANKA, amount=Decimal("10"), reference="C1", job="t"
    )
    take(capped, "maroc-illimite-semaine", at(2026, 10, 3, 10, 0))  # the grid says no: billed
    assert Charge.objects.filter(line=capped, fee_kind="pass").count() == 1

    GridParameters.objects.update(capped_balance_pays_passes=True)
    other = account(offer_code="plafonne-15", activated=datetime(2026, 9, 1, 9, 0))
    top_up_record(
        line=other, channel=TopUp.Channel.BANKA, amount=Decimal("10"), reference="C2", job="t"
    )
    take(other, "maroc-illimite-semaine", at(2026, 10, 3, 10, 0))
    other.prepaid_account.refresh_from_db()
    assert other.prepaid_account.credit == Decimal("3.000")  # 10 - 7, nothing on the invoice
    assert not Charge.objects.filter(line=other).exists()
    poor = account(offer_code="plafonne-15", activated=datetime(2026, 9, 1, 9, 0))
    with pytest.raises(OptionRefused):  # no balance: refused, never put on the capped invoice
        take(poor, "maroc-illimite-semaine", at(2026, 10, 3, 10, 0))
    assert not Charge.objects.filter(line=poor).exists()
