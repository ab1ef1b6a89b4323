"""Partner interruptions: recorded with their scope over time (RK.1), subscribers told (RK.2),
days of full cut credited once (RK.3)."""

from datetime import date, datetime
from decimal import Decimal
from unittest.mock import patch

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from billing.invoicing import Period
from billing.services import billing_run_start
from catalogue.models import GridParameters, Option
from lib import sms
from passes.interruptions import (
    InterruptionRefused,
    interruption_change_credit,
    interruption_record,
    interruption_scope_change,
)
from passes.models import Interruption, InterruptionCredit, PassNotice
from passes.services import passes_renew
from passes.tasks import (
    notify_interruption_change,
    resume_interruption_jobs,
    send_interruption_notices,
)
from subscriptions.models import PrepaidMovement
from tests.billing.helpers import issue
from tests.passes.conftest import at, postpaid, prepaid, take

MAROC = ["maroc-illimite-semaine", "maroc-illimite-mois", "maroc-illimite-annee"]


@pytest.fixture(autouse=True)
def outboxes(settings):
    settings.SMS_BACKEND = "lib.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield
    sms.outbox.clear()


def cut(supervisor, when, scope="full"):
    return interruption_record(
        partner="Wana",
        cause="Rupture unilatérale du contrat",
        options=list(Option.objects.filter(code__in=MAROC)),
        started_at=when,
        scope=scope,
        actor=supervisor,
    )


def test_rk_1_staff_record_a_cut_and_its_changes_of_scope_with_who_and_when(
    grid, supervisor, client, django_capture_on_commit_callbacks
):
    client.force_login(supervisor)
    url = reverse("admin:passes_interruption_add")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "partner": "Wana",
                "cause": "Rupture unilatérale du contrat",
                "options": [o.pk for o in Option.objects.filter(code__in=MAROC)],
                "started_at_0": "07/09/2026",
                "started_at_1": "00:00:00",
                "scope": "full",
                "changes-TOTAL_FORMS": "0",
                "changes-INITIAL_FORMS": "0",
            },
        )
    assert response.status_code == 302, response.content.decode()[:3000]
    interruption = Interruption.objects.get()
    assert interruption.created_by == supervisor
    change_url = reverse("admin:passes_interruption_change", args=[interruption.pk])
    page = client.get(change_url)
    assert page.status_code == 200
    first = interruption.changes.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            change_url,
            {
                "changes-TOTAL_FORMS": "2",
                "changes-INITIAL_FORMS": "1",
                "changes-0-id": first.pk,
                "changes-0-interruption": interruption.pk,
                "changes-1-scope": "partial",
                "changes-1-effective_at_0": "25/09/2026",
                "changes-1-effective_at_1": "00:00:00",
                "changes-1-note": "Ordonnance de référé du 23/09",
                "changes-1-interruption": interruption.pk,
            },
        )
    scopes = list(interruption.changes.values_list("scope", "effective_at", "actor", "note"))
    assert scopes == [
        ("full", at(2026, 9, 7), supervisor.pk, ""),
        ("partial", at(2026, 9, 25), supervisor.pk, "Ordonnance de référé du 23/09"),
    ]
    assert all(change.at for change in interruption.changes.all())
    with pytest.raises(InterruptionRefused):  # a change follows the last one
        interruption_scope_change(
            interruption=interruption,
            scope="degraded",
            effective_at=at(2026, 9, 20),
            actor=supervisor,
        )


def test_rk_3_eighteen_days_of_full_cut_then_a_partial_restoration_are_credited_once(
    grid, supervisor, django_capture_on_commit_callbacks
):
    line = postpaid(activated=datetime(2026, 8, 1, 9, 0))
    take(line, "maroc-illimite-mois", at(2026, 9, 1, 10, 0))  # 01/09 10:00 - 01/10 10:00
    with django_capture_on_commit_callbacks(execute=True):
        interruption = cut(supervisor, at(2026, 9, 7, 0, 0))
    restored = time_machine.travel(at(2026, 9, 25, 8, 0), tick=False)
    with restored, django_capture_on_commit_callbacks(execute=True):
        interruption_scope_change(
            interruption=interruption,
            scope="partial",
            effective_at=at(2026, 9, 25, 0, 0),
            actor=supervisor,
        )
    credit = InterruptionCredit.objects.get()
    # 18 days of a 30-day period at 25.000: 25.000 x 18 / 30 = 15.000, to the millime.
    assert (credit.days, credit.amount) == (18, Decimal("15.000"))
    # The partial restoration is not credited (grid parameter, 0 by default), and running the
    # credit again, or the beat's catch-up job, adds nothing.
    first = interruption.changes.get(scope="full")
    assert interruption_change_credit(first, job="again") == 0
    resume_interruption_jobs()
    assert InterruptionCredit.objects.count() == 1

    september = Period.month(date(2026, 9, 1))
    with django_capture_on_commit_callbacks(execute=True):
        billing_run_start(period=september)
    with django_capture_on_commit_callbacks(execute=True):
        billing_run_start(period=september)  # the second run bills nothing again
    invoice = line.contract.invoices.get(period_start=september.start)
    credit_line = invoice.lines.get(kind="credit")
    assert credit_line.amount_excl_tax == Decimal("-15.000")
    assert "18" in credit_line.label
    assert invoice.lines.get(kind="option").amount_excl_tax == Decimal("25.000")
    october = issue(line, Period.month(date(2026, 10, 1)), date(2026, 11, 1))
    assert not october.lines.filter(kind="credit").exists()


def test_rk_3_partial_days_follow_the_grid_share_and_a_prepaid_credit_goes_to_the_balance(
    grid, supervisor, django_capture_on_commit_callbacks
):
    GridParameters.objects.update(interruption_partial_share=Decimal("0.5"))
    line = prepaid("10")
    take(line, "maroc-illimite-semaine", at(2026, 9, 5, 12, 0))  # 7.000, until 12/09 12:00
    with django_capture_on_commit_callbacks(execute=True):
        interruption = cut(supervisor, at(2026, 9, 7, 0, 0))
        interruption_scope_change(
            interruption=interruption,
            scope="partial",
            effective_at=at(2026, 9, 9),
            actor=supervisor,
        )
        interruption_scope_change(
            interruption=interruption,
            scope="restored",
            effective_at=at(2026, 9, 11),
            actor=supervisor,
        )
    # 2 full days (7.000 x 2 / 7 = 2.000) and 2 partial days at half (7.000 x 2 x 0.5 / 7).
    amounts = sorted(InterruptionCredit.objects.values_list("days", "share", "amount"))
    assert amounts == [(2, Decimal("0.5000"), Decimal("1.000")), (2, 1, Decimal("2.000"))]
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("6.000")  # 10 - 7 + 2 + 1
    movements = PrepaidMovement.objects.filter(account__line=line, kind="credit")
    assert sorted(m.credit_change for m in movements) == [Decimal("1.000"), Decimal("2.000")]
    interruption.refresh_from_db()
    assert interruption.ended_at == at(2026, 9, 11)


def test_rk_2_every_line_holding_the_pass_is_told_at_the_cut_and_the_restoration_once(
    grid, supervisor, django_capture_on_commit_callbacks
):
    holders = [postpaid(), prepaid("30")]
    take(holders[0], "maroc-illimite-mois", at(2026, 9, 1, 10, 0))
    take(holders[1], "maroc-illimite-semaine", at(2026, 9, 5, 10, 0))
    not_holding = postpaid()
    with django_capture_on_commit_callbacks(execute=True):
        interruption = cut(supervisor, at(2026, 9, 7, 0, 0))
        interruption_scope_change(
            interruption=interruption,
            scope="restored",
            effective_at=at(2026, 9, 8),
            actor=supervisor,
        )
    for change in interruption.changes.all():
        assert (change.lines_total, change.notices_total, change.notices_sent) == (2, 4, 4)
        assert change.notified_at is not None
        notify_interruption_change(change.pk)  # again: nobody is told twice
    assert len(mail.outbox) == 4 and len(sms.outbox) == 4
    told = set(PassNotice.objects.values_list("line_id", flat=True))
    assert told == {line.pk for line in holders} and not_holding.pk not in told


def test_rk_2_a_pass_ended_before_the_cut_is_not_told(
    grid, supervisor, django_capture_on_commit_callbacks
):
    line = prepaid("30")
    take(line, "maroc-illimite-semaine", at(2026, 8, 20, 10, 0))
    with time_machine.travel(at(2026, 8, 28), tick=False):
        passes_renew()
    with django_capture_on_commit_callbacks(execute=True):
        cut(supervisor, at(2026, 9, 7, 0, 0))
    assert not PassNotice.objects.filter(kind="interruption").exists()


def test_rk_1_a_cut_of_the_calls_to_morocco_affects_every_pass_including_them(
    grid, supervisor, django_capture_on_commit_callbacks
):
    weekly, monthly = prepaid("30"), postpaid(activated=datetime(2026, 8, 1, 9, 0))
    take(weekly, "maroc-illimite-semaine", at(2026, 9, 5, 10, 0))
    take(monthly, "maroc-illimite-mois", at(2026, 9, 1, 10, 0))
    with django_capture_on_commit_callbacks(execute=True):
        interruption = interruption_record(
            partner="Wana",
            cause="Rupture unilatérale du contrat",
            options=[],
            calls_to="MA",
            started_at=at(2026, 9, 7),
            scope="full",
            actor=supervisor,
        )
    assert sorted(interruption.options.values_list("code", flat=True)) == sorted(MAROC)
    with django_capture_on_commit_callbacks(execute=True):
        interruption_scope_change(
            interruption=interruption,
            scope="restored",
            effective_at=at(2026, 9, 9),
            actor=supervisor,
        )
    told = PassNotice.objects.filter(kind="interruption")
    assert set(told.values_list("line_id", flat=True)) == {weekly.pk, monthly.pk}
    assert told.count() == 8  # two lines, two changes, two channels
    # Both passes credited for their 2 days, the same way as a cut of the passes named.
    credits = dict(
        InterruptionCredit.objects.values_list("period__holding__line_option__line", "amount")
    )
    assert credits == {weekly.pk: Decimal("2.000"), monthly.pk: Decimal("1.667")}


def test_rk_1_a_cut_of_the_calls_to_a_zone_or_a_country_no_pass_reaches(grid, supervisor):
    maghreb = interruption_record(
        partner="Wana",
        cause="Panne",
        options=[],
        calls_to="maghreb",  # the zone: Morocco is in it
        started_at=at(2026, 9, 7),
        scope="degraded",
        actor=supervisor,
    )
    assert maghreb.options.count() == 3
    with pytest.raises(InterruptionRefused):
        interruption_record(
            partner="Orange",
            cause="Panne",
            options=[],
            calls_to="FR",  # no pass includes calls to France
            started_at=at(2026, 9, 7),
            scope="full",
            actor=supervisor,
        )


def test_rk_1_staff_record_a_cut_of_the_calls_to_a_country_in_the_admin(
    grid, supervisor, client, django_capture_on_commit_callbacks
):
    client.force_login(supervisor)
    url = reverse("admin:passes_interruption_add")
    form = {
        "partner": "Wana",
        "cause": "Rupture unilatérale du contrat",
        "started_at_0": "07/09/2026",
        "started_at_1": "00:00:00",
        "scope": "full",
        "changes-TOTAL_FORMS": "0",
        "changes-INITIAL_FORMS": "0",
    }
    refused = client.post(url, form)  # neither passes nor calls: refused with a message
    assert refused.status_code == 200 and not Interruption.objects.exists()
    assert "nothing_interrupted" not in refused.content.decode()
    france = client.post(url, {**form, "calls_to": "FR"})
    assert france.status_code == 200 and not Interruption.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {**form, "calls_to": "MA"})
    assert response.status_code == 302
    interruption = Interruption.objects.get()
    assert interruption.calls_to == "MA" and interruption.options.count() == 3
    listing = client.get(reverse("admin:passes_interruption_changelist"))
    assert listing.status_code == 200 and "MA" in listing.content.decode()


def test_rk_2_the_beat_queues_again_only_the_notices_whose_job_was_lost(grid, supervisor):
    line = postpaid()
    take(line, "maroc-illimite-mois", at(2026, 9, 1, 10, 0))
    recorded = time_machine.travel(at(2026, 9, 7, 8, 0), tick=False)
    with recorded, patch.object(send_interruption_notices, "delay") as queued:
        change = cut(supervisor, at(2026, 9, 7, 0, 0)).changes.get()  # its task not run yet
        resume_interruption_jobs()  # just recorded: left to its own task
        assert not queued.called
        notify_interruption_change(change.pk)  # the recording's task queues the batch
        notify_interruption_change(change.pk)  # delivered twice
        resume_interruption_jobs()  # the beat at once
        assert queued.call_count == 1
    with time_machine.travel(at(2026, 9, 7, 8, 5), tick=False):
        resume_interruption_jobs()  # the batch is still in the queue
    lost = time_machine.travel(at(2026, 9, 7, 8, 11), tick=False)
    with lost, patch.object(send_interruption_notices, "delay") as queued:
        resume_interruption_jobs()  # 11 minutes without progress: the batch was lost
        resume_interruption_jobs()
        assert queued.call_count == 1
        (change_id, first, last), _kwargs = queued.call_args
    send_interruption_notices(change_id, first, last)
    assert len(sms.outbox) == 1 and len(mail.outbox) == 1
