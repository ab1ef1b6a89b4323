"""Warned, then suspended; paid, then told: an e-mail and an SMS a few days (grid) before an
unpaid invoice suspends the customer's lines (R10.4), and a receipt when a payment is recorded
(R10.1); each once, in the customer's language."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from billing.invoicing import Period, invoice_issue
from billing.models import BillingNotice
from billing.notices import billing_notice_send, suspension_warnings_record
from billing.payments import payment_record
from billing.tasks import resend_billing_notices, send_billing_notices, warn_before_suspension
from catalogue.models import GridParameters
from lib import sms
from portal.celery import app


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    settings.SMS_BACKEND = "lib.sms.LocmemSmsBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()


def _at(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def april_invoice(alice):
    """Alice's April invoice, issued on 1 May 2026, due on 16 May, unpaid: the grid's 10 days
    after it, her lines are suspended from 27 May."""
    invoice = invoice_issue(
        contract_id=alice.contracts.get().pk,
        period=Period.month(date(2026, 4, 1)),
        issued_on=date(2026, 5, 1),
    )
    assert invoice.due_on == date(2026, 5, 16)
    mail.outbox.clear()  # the invoice's own e-mail
    return invoice


def _warn(day: date, capture) -> int:
    at = _at(day.year, day.month, day.day, 6, 10)
    with time_machine.travel(at, tick=False), capture(execute=True):
        return warn_before_suspension.apply().get()


def test_r10_4_the_customer_is_warned_3_days_before_the_suspension_once_by_email_and_sms(
    alice, april_invoice, django_capture_on_commit_callbacks
):
    assert _warn(date(2026, 5, 23), django_capture_on_commit_callbacks) == 0  # 4 days before
    assert mail.outbox == [] and sms.outbox == []
    assert _warn(date(2026, 5, 24), django_capture_on_commit_callbacks) == 2
    (email,) = mail.outbox
    assert email.to == ["alice@example.tn"]
    assert april_invoice.number in email.subject and "27/05/2026" in email.body
    (text,) = sms.outbox
    assert april_invoice.number in text.text and "27/05/2026" in text.text
    for day in (24, 25, 26):  # reruns and the following days send nothing more
        assert _warn(date(2026, 5, day), django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1
    sent = BillingNotice.objects.filter(invoice=april_invoice)
    assert sorted(sent.values_list("channel", flat=True)) == ["email", "sms"]
    assert all(notice.sent_at for notice in sent)
    assert send_billing_notices.apply(args=[list(sent.values_list("pk", flat=True))]).get() == 0


def test_r10_4_the_warning_days_come_from_the_grid(
    alice, april_invoice, django_capture_on_commit_callbacks
):
    GridParameters.objects.update(suspension_warning_days=5)
    assert _warn(date(2026, 5, 21), django_capture_on_commit_callbacks) == 0
    assert _warn(date(2026, 5, 22), django_capture_on_commit_callbacks) == 2
    GridParameters.objects.update(suspension_warning_days=0)  # a grid may warn no one
    BillingNotice.objects.all().delete()
    assert suspension_warnings_record(today=date(2026, 5, 26)) == []


def test_r10_4_a_paid_invoice_or_a_suspension_already_come_warns_no_one(
    alice, april_invoice, agent, django_capture_on_commit_callbacks
):
    assert _warn(date(2026, 5, 27), django_capture_on_commit_callbacks) == 0  # suspended today
    payment_record(
        contract=april_invoice.contract,
        amount=april_invoice.total_incl_tax,
        method="cheque",
        actor=agent,
        received_on=date(2026, 5, 20),
    )
    assert not suspension_warnings_record(today=date(2026, 5, 25))


def test_r10_4_the_warning_is_in_the_customers_language(
    alice, april_invoice, django_capture_on_commit_callbacks
):
    alice.user.language = "ar"
    alice.user.save(update_fields=["language"])
    _warn(date(2026, 5, 25), django_capture_on_commit_callbacks)
    (email,) = mail.outbox
    assert "فاتورة" in email.subject and "فاتورة" in sms.outbox[0].text
    assert "unpaid" not in email.body and "impayée" not in email.body


def test_r10_1_a_recorded_payment_sends_a_receipt_once_in_the_customers_language(
    alice, agent, django_capture_on_commit_callbacks
):
    alice.user.language = "en"
    alice.user.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        payment = payment_record(
            contract=alice.contracts.get(),
            amount=Decimal("42.5"),
            method="cash",
            actor=agent,
            reference="R-778",
            received_on=date(2026, 5, 20),
        )
    (email,) = mail.outbox
    assert "42.500 TND" in email.subject and "R-778" in email.body
    assert "20/05/2026" in email.body or "05/20/2026" in email.body
    (text,) = sms.outbox
    assert "42.500 TND" in text.text and alice.contracts.get().reference in text.text
    notices = BillingNotice.objects.filter(payment=payment)
    assert notices.count() == 2 and all(n.sent_at for n in notices)
    assert send_billing_notices.apply(args=[list(notices.values_list("pk", flat=True))]).get() == 0
    assert len(mail.outbox) == 1 and len(sms.outbox) == 1


def test_r10_1_the_receipt_is_in_french_by_default(
    alice, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        payment_record(contract=alice.contracts.get(), amount="10", method="cash", actor=agent)
    assert "10,000 TND" in mail.outbox[0].subject and "10,000 TND" in sms.outbox[0].text


def test_a_receipt_whose_send_failed_is_sent_by_the_retry_once(
    alice, agent, monkeypatch, django_capture_on_commit_callbacks
):
    BillingNotice.objects.update(sent_at=timezone.now())  # those of alice's earlier payments
    with django_capture_on_commit_callbacks(execute=False):  # the queued send is lost
        payment = payment_record(
            contract=alice.contracts.get(), amount="10", method="cash", actor=agent
        )
    sms_row = BillingNotice.objects.get(channel="sms", payment=payment)

    def fail(**kwargs):
        raise ConnectionError("SMS gateway down")

    monkeypatch.setattr("billing.notices.send_sms", fail)
    with pytest.raises(ConnectionError):
        billing_notice_send(sms_row.pk)
    sms_row.refresh_from_db()
    assert sms_row.sent_at is None  # the claim is given back
    monkeypatch.undo()
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert resend_billing_notices.apply().get() == 2
        assert resend_billing_notices.apply().get() == 0
    sms_row.refresh_from_db()
    assert sms_row.sent_at is not None and len(sms.outbox) == 1 and len(mail.outbox) == 1


def test_a_credit_note_or_a_carried_debt_sends_no_receipt(alice, agent):
    payment = payment_record(
        contract=alice.contracts.get(), amount="5", method="transfer", actor=agent
    )
    assert not BillingNotice.objects.filter(payment=payment).exists()


def test_r10_4_the_warning_and_the_redelivery_are_beat_jobs():
    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"billing.tasks.warn_before_suspension", "billing.tasks.resend_billing_notices"} <= tasks


def test_r10_4_the_grid_has_the_warning_days(grid):
    assert GridParameters.objects.get().suspension_warning_days == 3
    assert GridParameters._meta.get_field("suspension_warning_days").default == 3
