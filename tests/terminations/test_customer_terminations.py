"""Termination by the customer: the letter prepared in the portal, its receipt recorded by an
agent, the rule that follows for each motive inside and outside its window, before and after
the minimum period (R16.1 to R16.9), and the effective-date sweep (R10.2, R12.2, R17.3).

alice's line (tests/conftest.py): Forfait Liberté 20 (20.000 TND a month from 2026), activated
on 2 March 2026 with 12 months of commitment, so its minimum period ends on 1 March 2027.
"""

import io
import shutil
import subprocess
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from billing.models import Charge, Deposit, Invoice
from billing.payments import account_balance
from catalogue.models import Fee, Offer
from catalogue.selectors import fee_amount
from subscriptions.models import Line, MobileNumber, SubscriptionFile, SuspensionCause
from terminations.conditions import conditions_notices_create, conditions_notices_send_batch
from terminations.models import ConditionsChange, TerminationLine, TerminationRequest
from terminations.services import (
    TerminationRefused,
    termination_request_prepare,
    termination_request_receive,
)
from terminations.tasks import end_due_terminations

Motive = TerminationRequest.Motive
Procedure = TerminationLine.Procedure


def travel(day: date):
    return time_machine.travel(
        timezone.make_aware(datetime.combine(day, datetime.min.time()).replace(hour=9)), tick=False
    )


def line_of(customer) -> Line:
    return Line.objects.get(contract__customer=customer)


def prepare(customer, motive=Motive.ORDINARY) -> TerminationRequest:
    return termination_request_prepare(
        customer=customer, lines=[line_of(customer)], motive=motive, actor=customer.user
    )


def receive(request: TerminationRequest, on: date, agent, **kwargs) -> TerminationLine:
    termination_request_receive(request=request, received_on=on, actor=agent, **kwargs)
    return request.lines.get()


def notify_change(customer, *, raises_price: bool, supervisor) -> ConditionsChange:
    """R5.1: a change of alice's offer, notified to her today by the job's own functions."""
    change = ConditionsChange.objects.create(
        title="Nouveaux tarifs" if raises_price else "Nouvelles conditions",
        text="Le forfait passe à 22 TND." if raises_price else "Nouvelle clause de résiliation.",
        effective_on=timezone.localdate() + timedelta(days=30),
        raises_price=raises_price,
        created_by=supervisor,
        published_at=timezone.now(),
        published_by=supervisor,
    )
    change.offers.add(line_of(customer).offer)
    conditions_notices_create(change=change, job="test")
    conditions_notices_send_batch(change=change)
    return change


def test_r16_1_after_minimum_period_effective_60_days_after_receipt(alice, agent):
    with travel(date(2027, 4, 12)):
        request = prepare(alice)
        assert request.expected_receipt_on == date(2027, 4, 15)
        item = receive(request, date(2027, 4, 10), agent)
    assert item.procedure == Procedure.AFTER_COMMITMENT
    assert item.effective_on == date(2027, 6, 9)
    assert item.fees_owed == 0
    assert line_of(alice).status == Line.Status.ACTIVE  # it runs until its effective date


def test_r16_3_r16_4_before_minimum_period_suspended_on_receipt_ends_first_of_next_month(
    alice, agent
):
    with travel(date(2026, 6, 15)):
        request = prepare(alice)
        item = receive(request, date(2026, 6, 12), agent)
    assert item.procedure == Procedure.BEFORE_COMMITMENT
    assert item.effective_on == date(2026, 7, 1)
    # R16.3: 2 to 31 July (30/31 of 20.000) and August 2026 to 1 March 2027 (7 months + 1/31).
    assert item.fees_owed == Decimal("19.355") + Decimal("140.645")
    line = line_of(alice)
    assert line.status == Line.Status.SUSPENDED
    assert line.suspension_causes.get(lifted_at__isnull=True).cause == "customer_request"
    assert line.status_changes.filter(reason__startswith="Termination letter received").exists()


@pytest.mark.parametrize(
    ("received", "inside"), [(date(2026, 6, 11), True), (date(2026, 6, 12), False)]
)
def test_r16_7_tariff_increase_inside_and_outside_its_window(
    alice, agent, supervisor, received, inside
):
    with travel(date(2026, 6, 1)):
        notify_change(alice, raises_price=True, supervisor=supervisor)
        request = prepare(alice, Motive.TARIFF_INCREASE)
    mail.outbox.clear()
    with travel(date(2026, 6, 13)):
        item = receive(request, received, agent)
    request.refresh_from_db()
    if inside:  # within 10 days of the notice: no notice, no remaining fees
        assert (item.procedure, item.effective_on, item.fees_owed) == (
            Procedure.JUST_MOTIVE,
            received,
            0,
        )
        assert request.motive_note == ""
    else:  # the 11th day: an ordinary termination before the end of the minimum period
        assert item.procedure == Procedure.BEFORE_COMMITMENT
        assert item.effective_on == date(2026, 7, 1)
        assert item.fees_owed > 0
        assert "10" in request.motive_note
    assert request.receipt_notice_sent_at is None or request.receipt_notice_sent_at


def test_r16_7_needs_a_price_increase_not_any_change(alice, agent, supervisor):
    with travel(date(2026, 6, 1)):
        notify_change(alice, raises_price=False, supervisor=supervisor)
        request = prepare(alice, Motive.TARIFF_INCREASE)
        item = receive(request, date(2026, 6, 1), agent)
    request.refresh_from_db()
    assert item.procedure == Procedure.BEFORE_COMMITMENT
    assert "hausse de prix" in request.motive_note  # R16.7: no price increase was notified


@pytest.mark.parametrize(
    ("received", "inside"), [(date(2026, 6, 11), True), (date(2026, 6, 12), False)]
)
def test_r16_9_change_of_conditions_inside_and_outside_its_window(
    alice, agent, supervisor, received, inside
):
    with travel(date(2026, 6, 1)):
        notify_change(alice, raises_price=False, supervisor=supervisor)
        request = prepare(alice, Motive.CONDITIONS_CHANGE)
    with travel(date(2026, 6, 13)):
        item = receive(request, received, agent)
    expected = Procedure.JUST_MOTIVE if inside else Procedure.BEFORE_COMMITMENT
    assert item.procedure == expected
    assert (item.fees_owed == 0) is inside


def test_r16_9_after_the_minimum_period_outside_the_window_gives_60_days(alice, agent, supervisor):
    with travel(date(2027, 4, 1)):
        notify_change(alice, raises_price=False, supervisor=supervisor)
        request = prepare(alice, Motive.CONDITIONS_CHANGE)
    with travel(date(2027, 4, 12)):
        item = receive(request, date(2027, 4, 12), agent)
    assert item.procedure == Procedure.AFTER_COMMITMENT
    assert item.effective_on == date(2027, 6, 11)


@pytest.mark.parametrize(
    ("received", "inside"), [(date(2026, 4, 1), True), (date(2026, 4, 2), False)]
)
def test_r16_8_service_unavailable_within_30_days_refunds_the_subscription_fees(
    alice, agent, received, inside
):
    file = SubscriptionFile.objects.get(line=line_of(alice))
    file.connection_fee, file.connection_fee_paid_at = Decimal("30.000"), timezone.now()
    file.save(update_fields=["connection_fee", "connection_fee_paid_at"])
    with travel(date(2026, 4, 2)):
        request = prepare(alice, Motive.SERVICE_UNAVAILABLE)
        item = receive(request, received, agent)
    request.refresh_from_db()
    if inside:  # activated on 2 March: 30 days later is 1 April
        assert item.procedure == Procedure.JUST_MOTIVE
        assert item.subscription_fees_refund == Decimal("30.000")
        assert item.effective_on == received
    else:
        assert item.procedure == Procedure.BEFORE_COMMITMENT
        assert item.subscription_fees_refund == 0
        assert "30 jours après la souscription" in request.motive_note  # R16.8


def test_r16_outside_the_window_the_customer_is_told_why(
    alice, agent, supervisor, django_capture_on_commit_callbacks
):
    with travel(date(2026, 6, 1)):
        notify_change(alice, raises_price=True, supervisor=supervisor)
        request = prepare(alice, Motive.TARIFF_INCREASE)
    mail.outbox.clear()
    with travel(date(2026, 6, 20)), django_capture_on_commit_callbacks(execute=True):
        receive(request, date(2026, 6, 18), agent)
    (message,) = [m for m in mail.outbox if request.reference in m.subject]
    assert message.to == ["alice@example.tn"]
    request.refresh_from_db()
    assert request.motive_note in message.body
    assert request.receipt_notice_sent_at is not None


def test_r16_one_live_request_per_line_and_only_own_lines(alice, bob):
    with travel(date(2026, 6, 1)):
        prepare(alice)
        with pytest.raises(TerminationRefused):
            prepare(alice)
        with pytest.raises(TerminationRefused):
            termination_request_prepare(
                customer=alice, lines=[line_of(bob)], motive=Motive.ORDINARY, actor=alice.user
            )


def test_r16_receipt_recorded_once(alice, agent):
    with travel(date(2026, 6, 15)):
        request = prepare(alice)
        receive(request, date(2026, 6, 12), agent)
        with pytest.raises(TerminationRefused):
            receive(request, date(2026, 6, 13), agent)


def test_r10_2_r12_2_r17_3_the_effective_date_ends_the_contract(alice, agent):
    contract = line_of(alice).contract
    Deposit.objects.create(
        contract=contract, amount=Decimal("200.000"), received_on=date(2026, 3, 2)
    )
    with travel(date(2026, 6, 15)):
        request = prepare(alice)
        item = receive(request, date(2026, 6, 12), agent, sim_returned=False)
    with travel(date(2026, 6, 30)):
        assert end_due_terminations() == 0  # not yet
    with travel(date(2026, 7, 1)):
        assert end_due_terminations() == 1
        assert end_due_terminations() == 0  # a second run ends nothing twice
    item.refresh_from_db()
    line = line_of(alice)
    assert line.status == Line.Status.TERMINATED
    assert not line.suspension_causes.filter(lifted_at__isnull=True).exists()
    # R17.3: the number waits the grid's quarantine (180 days) before it is reassigned.
    assert line.number.status == MobileNumber.Status.QUARANTINE
    assert line.number.quarantine_until == date(2026, 7, 1) + timedelta(days=180)
    assert line.provisioning_orders.filter(action="release_number").count() == 1
    # R10.2: the final invoice is dated on the effective date and carries the R16.3 fees.
    final = item.final_invoice
    assert final.issued_on == date(2026, 7, 1)
    assert final.period_start == date(2026, 7, 1)
    charge = Charge.objects.get(contract=contract, fee_kind="remaining_commitment")
    assert (charge.amount, charge.charged_on, charge.invoice) == (
        item.fees_owed,
        date(2026, 7, 1),
        final,
    )
    contract.refresh_from_db()
    assert contract.ended_on == date(2026, 7, 1)
    # R12.2: refunded one month after the final invoice, minus the unreturned SIM and what is owed.
    deposit = Deposit.objects.get(contract=contract)
    assert deposit.refund_due_on == date(2026, 8, 1)
    owed = max(account_balance(contract), Decimal(0))
    unreturned = fee_amount(Fee.Kind.UNRETURNED_SIM, on=date(2026, 7, 1))
    assert deposit.refund_amount == max(Decimal("200.000") - unreturned - owed, Decimal(0))
    request.refresh_from_db()
    assert request.status == TerminationRequest.Status.DONE


def test_r16_1_a_line_among_others_ends_without_ending_the_contract(alice, agent):
    from subscriptions.services.records import line_activate
    from tests.factories import LineFactory, SimCardFactory

    first = line_of(alice)
    second = LineFactory(
        contract=first.contract, offer=Offer.objects.get(code="forfait-liberte-20")
    )
    line_activate(line=second, sim=SimCardFactory(), job="test")
    with travel(date(2027, 4, 12)):
        request = termination_request_prepare(
            customer=alice, lines=[first], motive=Motive.ORDINARY, actor=alice.user
        )
        termination_request_receive(request=request, received_on=date(2027, 4, 10), actor=agent)
    with travel(date(2027, 6, 9)):
        end_due_terminations()
    first.refresh_from_db()
    assert first.status == Line.Status.TERMINATED
    assert Line.objects.get(pk=second.pk).status == Line.Status.ACTIVE
    assert first.contract.__class__.objects.get(pk=first.contract_id).ended_on is None
    assert not Invoice.objects.filter(contract=first.contract, issued_on=date(2027, 6, 9)).exists()


def test_r16_just_motive_ends_the_line_when_the_receipt_is_recorded(
    alice, agent, supervisor, django_capture_on_commit_callbacks
):
    with travel(date(2026, 6, 1)):
        notify_change(alice, raises_price=True, supervisor=supervisor)
        request = prepare(alice, Motive.TARIFF_INCREASE)
    with travel(date(2026, 6, 5)), django_capture_on_commit_callbacks(execute=True):
        receive(request, date(2026, 6, 4), agent)
    line = line_of(alice)
    assert line.status == Line.Status.TERMINATED
    assert not Charge.objects.filter(
        contract=line.contract, fee_kind="remaining_commitment"
    ).exists()
    assert request.lines.get().final_invoice.issued_on == date(2026, 6, 4)


def test_r16_the_letter_pdf_names_the_customer_the_lines_and_the_motive(client, alice, tmp_path):
    with travel(date(2026, 6, 1)):
        request = prepare(alice, Motive.SERVICE_UNAVAILABLE)
        client.force_login(alice.user)
        response = client.get(reverse("portal:termination_letter", args=[request.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(response.getvalue())
    text = subprocess.run(  # noqa: S603
        [shutil.which("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert request.reference in text
    assert "Alice Ben Ali" in text
    assert line_of(alice).number.msisdn in text
    assert "30 jours" in text  # R16.8: why the just motive was not retained
    assert line_of(alice).contract.reference in text


def test_r16_dashboard_tracks_the_request_until_it_ends(client, alice, agent):
    client.force_login(alice.user)
    with travel(date(2026, 6, 15)):
        request = prepare(alice)
        page = client.get(reverse("portal:dashboard")).content.decode()
        assert request.reference in page
        receive(request, date(2026, 6, 12), agent)
        detail = client.get(
            reverse("portal:termination_detail", args=[request.pk])
        ).content.decode()
        assert "160,000" in detail  # French number format
    with travel(date(2026, 7, 1)):
        end_due_terminations()
        page = client.get(reverse("portal:dashboard")).content.decode()
    assert request.reference not in page


def test_r16_customer_withdraws_a_letter_not_received(client, alice):
    client.force_login(alice.user)
    with travel(date(2026, 6, 15)):
        request = prepare(alice)
        client.post(reverse("portal:termination_detail", args=[request.pk]), {"withdraw": "1"})
    request.refresh_from_db()
    assert request.status == TerminationRequest.Status.WITHDRAWN
    assert SuspensionCause.objects.filter(line=line_of(alice), lifted_at__isnull=True).count() == 0


def png(name: str) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def test_r16_agent_records_the_receipt_in_the_admin(client, alice, agent):
    with travel(date(2026, 6, 15)):
        request = prepare(alice)
        client.force_login(agent)
        url = reverse("admin:terminations_terminationrequest_change", args=[request.pk])
        assert client.get(url).status_code == 200
        response = client.post(
            url,
            {
                "received_on": "12/06/2026",
                "scan": png("lettre.png"),
                "_save": "1",
                "lines-TOTAL_FORMS": "1",
                "lines-INITIAL_FORMS": "1",
                "lines-MIN_NUM_FORMS": "0",
                "lines-MAX_NUM_FORMS": "1000",
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    request.refresh_from_db()
    assert request.received_on == date(2026, 6, 12)
    assert request.received_by == agent
    assert request.letter_scan.name.endswith(".png")
    assert request.lines.get().effective_on == date(2026, 7, 1)
    client.force_login(agent)  # the session of the travelled day has expired by now
    page = client.get(url).content.decode()  # after the receipt: the scan, through the admin
    document = reverse(
        "admin:terminations_terminationrequest_document", args=[request.pk, "letter_scan"]
    )
    assert document in page
    assert client.get(document).status_code == 200


def test_r17_4_ending_one_option_leaves_the_contract_running(client, alice):
    from billing.invoicing import Period, invoice_issue

    line = line_of(alice)
    taken = line.line_options.get()
    client.force_login(alice.user)
    with travel(date(2026, 6, 10)):
        url = reverse("portal:option_end", args=[taken.pk])
        assert client.get(url).status_code == 200
        client.post(url)
    taken.refresh_from_db()
    assert taken.ended_on == date(2026, 6, 10)
    line.refresh_from_db()
    assert line.status == Line.Status.ACTIVE
    assert line.contract.ended_on is None
    assert line.status_changes.filter(reason__contains="R17.4", actor=alice.user).exists()
    invoice = invoice_issue(
        contract_id=line.contract_id,
        period=Period.month(date(2026, 6, 1)),
        issued_on=date(2026, 7, 1),
    )
    kinds = {row.kind: row.label for row in invoice.lines.all()}
    assert "(01/06 - 10/06 : 10 jours / 30 × 10,000 TND)" in kinds["option"]  # its days (R9.2)
    assert "(01/06 - 30/06)" in kinds["subscription"]  # the line runs on
