"""One way to end a line (subscriptions.services.ending.lines_end), by every path that ends one: the
customer's letter (R16), the operator (R17.1), the sweeps by right (R17.5; R17.1 and R13.1 for
an incomplete file), the loss of a prepaid number (R2.9), a transfer (R18.1), and the migration
to prepaid (R15.1) whose end of postpaid billing is the same. Each test asserts every effect:
the line terminated with its history row (who or which job, why), its causes closed, the
contract ended with its last line, the final invoice dated that day (R10.2), the deposit refund
scheduled (R12.2), the number in quarantine (R17.3) with the network's release order, and the
SIM back in stock or retired.

alice's line (tests/conftest.py): Forfait Liberté 20 (20.000 TND a month), activated on 2 March
2026 with 12 months of commitment (until 1 March 2027); her March invoice is issued and paid.
"""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from billing.documents import invoice_pdf_document
from billing.invoicing import Period, invoice_issue
from billing.models import Charge, Deposit, Invoice
from billing.payments import account_balance
from catalogue.models import Fee, Offer
from catalogue.selectors import fee_amount
from subscriptions.models import (
    Line,
    LineStatusChange,
    MobileNumber,
    ProvisioningOrder,
    SimCard,
    SubscriptionFile,
    SuspensionCause,
    TopUp,
)
from subscriptions.services.prepaid import JOB as PREPAID_JOB
from subscriptions.services.prepaid import prepaid_sweep, top_up_record
from subscriptions.services.records import line_activate
from subscriptions.services.suspensions import suspension_open
from subscriptions.services.sweeps import incomplete_files_sweep, terminations_sweep
from terminations.models import OperatorTermination, TerminationRequest
from terminations.operator import operator_termination_decide
from terminations.prepaid_migration import line_migrate_to_prepaid
from terminations.services import termination_request_prepare, termination_request_receive
from terminations.tasks import JOB as LETTER_JOB
from terminations.tasks import end_due_terminations
from terminations.transfers import IDENTITY_CHECKS, line_transfer_approve, line_transfer_request
from tests.factories import ContractFactory, CustomerFactory, LineFactory, SimCardFactory
from tests.subscriptions.prepaid_lines import prepaid_line
from tests.terminations.helpers import scan

S = Line.Status
DEPOSIT = Decimal("200.000")


def at(day: date, hour: int = 9) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def travel(day: date, hour: int = 9):
    return time_machine.travel(at(day, hour), tick=False)


def line_of(customer) -> Line:
    return Line.objects.select_related("number", "sim").get(contract__customer=customer)


def with_deposit(line: Line) -> Line:
    Deposit.objects.create(
        contract_id=line.contract_id, amount=DEPOSIT, received_on=date(2026, 3, 2)
    )
    return line


def letter_ended(
    alice, agent, line: Line, *, prepared, received, sim_returned, swept
) -> TerminationRequest:
    """The customer's letter prepared, its receipt recorded by the agent, then the effective-date
    sweep on `swept`, which ends the line."""
    with travel(prepared):
        request = termination_request_prepare(
            customer=alice,
            lines=[line],
            motive=TerminationRequest.Motive.ORDINARY,
            actor=alice.user,
        )
        termination_request_receive(
            request=request, received_on=received, actor=agent, sim_returned=sim_returned
        )
    with travel(swept):
        assert end_due_terminations() == 1
    return request


def assert_line_ended(
    line: Line,
    *,
    on: date,
    reason: str,
    actor=None,
    job: str = "",
    sim: str = SimCard.Status.RETIRED,
) -> None:
    """The line's own effects: terminated with its history row, causes closed, number in
    quarantine with the network's release order (R17.3), SIM back in stock or retired."""
    line = Line.objects.select_related("number", "sim").get(pk=line.pk)
    assert line.status == S.TERMINATED
    change = LineStatusChange.objects.get(line=line, to_status=S.TERMINATED)
    assert (change.actor, change.job) == (actor, job)
    assert reason in change.reason
    assert not SuspensionCause.objects.filter(line=line, lifted_at__isnull=True).exists()
    assert line.number.status == MobileNumber.Status.QUARANTINE
    assert line.number.quarantine_until == on + timedelta(days=180)
    assert (
        line.provisioning_orders.filter(action=ProvisioningOrder.Action.RELEASE_NUMBER).count() == 1
    )
    assert line.sim.status == sim


def assert_contract_closed(line: Line, *, on: date, sim_returned: bool) -> Invoice:
    """The contract's effects: ended with its last line, final invoice dated `on` and its
    period ending then (R10.2), deposit refund one month later (R12.2)."""
    contract = line.contract.__class__.objects.get(pk=line.contract_id)
    assert contract.ended_on == on
    final = Invoice.objects.get(contract=contract, is_final=True)
    assert (final.issued_on, final.period_end) == (on, on)
    assert not Charge.objects.filter(contract=contract, invoice__isnull=True).exists()
    deposit = Deposit.objects.get(contract=contract)
    assert deposit.refund_due_on == on + relativedelta(months=1)
    # Minus the unreturned SIM's fee and what is owed: the final invoice, unpaid.
    unreturned = Decimal(0) if sim_returned else fee_amount(Fee.Kind.UNRETURNED_SIM, on=on)
    owed = account_balance(contract)
    assert owed >= final.total_incl_tax > 0
    assert deposit.refund_amount == max(DEPOSIT - unreturned - owed, Decimal(0))
    return final


def test_r16_4_r10_2_r12_2_r17_3_the_letter_ends_the_line_and_the_contract(alice, agent):
    line = with_deposit(line_of(alice))
    request = letter_ended(
        alice,
        agent,
        line,
        prepared=date(2026, 6, 15),
        received=date(2026, 6, 12),
        sim_returned=True,
        swept=date(2026, 7, 1),
    )
    on = date(2026, 7, 1)  # R16.4: before the end of the minimum period, the 1st of next month
    assert_line_ended(
        line, on=on, reason="customer's request", job=LETTER_JOB, sim=SimCard.Status.IN_STOCK
    )
    final = assert_contract_closed(line, on=on, sim_returned=True)
    fees = Charge.objects.get(line=line, fee_kind="remaining_commitment")  # R16.3
    assert (fees.charged_on, fees.invoice) == (on, final)
    assert request.lines.get().final_invoice == final


def test_r17_1_r17_5_r10_2_the_operator_ends_the_line_and_the_contract(alice, supervisor):
    line = with_deposit(line_of(alice))
    with travel(date(2026, 6, 8)):
        suspension_open(line=line, cause="fraud", reason="Usage illicite", actor=supervisor)
    with travel(date(2026, 6, 10)):
        termination = operator_termination_decide(
            line=line,
            cause=OperatorTermination.Cause.FRAUD,
            reason="Fraude avérée",
            actor=supervisor,
        )
    on = date(2026, 6, 10)
    assert_line_ended(line, on=on, reason="Fraude avérée", actor=supervisor)
    final = assert_contract_closed(line, on=on, sim_returned=False)
    assert termination.final_invoice == final
    # R10.2: the period ends on the termination date, the monthly fee prorated up to it.
    assert final.period_start == date(2026, 6, 1)
    fee = final.lines.get(kind="subscription")
    assert fee.amount_excl_tax == Decimal("6.667")  # 20.000 x 10 / 30
    assert "01/06 - 10/06" in fee.label
    # R17.5: the monthly fees left until 1 March 2027 are on it.
    assert final.lines.filter(kind="one_off", label__contains="01/03/2027").exists()


def test_r17_5_r10_2_r12_2_the_by_right_sweep_issues_the_final_invoice_and_the_refund(
    alice, supervisor
):
    line = with_deposit(line_of(alice))
    with travel(date(2026, 6, 1)):
        suspension_open(line=line, cause="fraud", reason="Usage illicite", actor=supervisor)
    with travel(date(2026, 7, 31)):
        assert terminations_sweep(now=timezone.now())["terminated"] == 1
    on = date(2026, 7, 31)
    assert_line_ended(line, on=on, reason="R17.5", job="sweep: termination by right")
    final = assert_contract_closed(line, on=on, sim_returned=False)
    fees = Charge.objects.get(line=line, fee_kind="remaining_commitment")
    assert (fees.amount, fees.invoice) == (Decimal("140.645"), final)


def test_r17_1_r13_1_r10_2_an_incomplete_file_ends_by_right_with_the_final_invoice(alice):
    activated = at(date(2026, 6, 2), 10)
    line = LineFactory(
        contract=ContractFactory(customer=alice), offer=Offer.objects.get(code="forfait-pro-45")
    )
    line_activate(line=line, sim=SimCardFactory(), job="test", at=activated)
    SubscriptionFile.objects.create(
        applicant=alice.user,
        customer=alice,
        status=SubscriptionFile.Status.ACTIVE,
        channel=SubscriptionFile.Channel.BOUTIQUE,
        line=line,
        documents_due_at=activated + timedelta(days=3),
    )
    with_deposit(line)
    with travel(date(2026, 6, 5), 10):
        incomplete_files_sweep(now=timezone.now())  # R13.1: suspended at the deadline
    with travel(date(2026, 7, 5), 10):
        assert incomplete_files_sweep(now=timezone.now())["terminated"] == 1  # R17.1
    on = date(2026, 7, 5)
    assert_line_ended(line, on=on, reason="file still incomplete", job="sweep: incomplete files")
    final = assert_contract_closed(line, on=on, sim_returned=False)
    assert final.period_start == date(2026, 7, 1)
    assert final.lines.filter(kind="subscription", label__contains="01/07 - 05/07").exists()


def test_r2_9_r17_3_a_lost_prepaid_number_ends_its_line_and_contract(grid, lac):
    line = prepaid_line(boutique=lac, email="carla@example.tn", activated=datetime(2026, 4, 30, 9))
    with time_machine.travel(datetime(2026, 5, 1, 10), tick=False):
        top_up_record(
            line=line, channel=TopUp.Channel.BANKA, amount=Decimal("10"), reference="B1", job="t"
        )
    # R2.7 to R2.9: valid until 29 June, then 90 days of grace and 90 of preservation.
    on = date(2026, 6, 29) + timedelta(days=181)
    with travel(on, 3):
        assert prepaid_sweep(today=on).terminated == 1
    assert_line_ended(line, on=on, reason="number lost", job=PREPAID_JOB)
    line.contract.refresh_from_db()
    assert line.contract.ended_on == on
    assert not Invoice.objects.filter(contract=line.contract).exists()  # nothing to bill


def test_r15_1_r10_2_r12_2_migration_closes_the_postpaid_billing_with_a_final_invoice(alice, agent):
    line = with_deposit(line_of(alice))
    with travel(date(2026, 6, 10)):
        migration = line_migrate_to_prepaid(
            line=line, offer=Offer.objects.get(code="carte-libre"), actor=agent
        )
    on = date(2026, 6, 10)
    line = line_of(alice)
    # R15.1: the line lives on, prepaid, with its number and SIM; nothing is released.
    assert line.status == S.ACTIVE and not line.offer.is_postpaid
    assert line.status_changes.filter(reason__contains="R15.1", actor=agent).exists()
    assert line.number.status == MobileNumber.Status.ASSIGNED
    assert line.sim.status == SimCard.Status.ASSIGNED
    assert not line.provisioning_orders.filter(action="release_number").exists()
    line.contract.refresh_from_db()
    assert line.contract.ended_on is None  # its prepaid line lives on
    final = migration.final_invoice
    assert final.is_final
    assert (final.issued_on, final.period_start, final.period_end) == (
        on,
        date(2026, 6, 1),
        on,
    )
    deposit = Deposit.objects.get(contract=line.contract)
    assert deposit.refund_due_on == date(2026, 7, 10)
    assert deposit.refund_amount == max(DEPOSIT - final.total_incl_tax, Decimal(0))


def test_r18_1_r10_2_r12_2_a_transfer_ends_the_line_but_keeps_the_number_and_sim(
    alice, agent, supervisor
):
    line = with_deposit(line_of(alice))
    holder = CustomerFactory(boutique=alice.boutique)
    with travel(date(2026, 6, 10)):
        transfer = line_transfer_request(
            line=line,
            new_holder=holder,
            identity_document=scan(),
            checks=dict.fromkeys(IDENTITY_CHECKS, True),
            actor=agent,
        )
        line_transfer_approve(transfer=transfer, actor=supervisor, reason="Accord écrit")
    on = date(2026, 6, 10)
    old = Line.objects.select_related("number", "sim").get(pk=line.pk)
    assert old.status == S.TERMINATED
    change = LineStatusChange.objects.get(line=old, to_status=S.TERMINATED)
    assert change.actor == supervisor and "R18.1" in change.reason
    final = assert_contract_closed(old, on=on, sim_returned=True)
    deposit = Deposit.objects.get(contract=old.contract)
    assert deposit.refund_amount == max(DEPOSIT - final.total_incl_tax, Decimal(0))
    # The number and the SIM stay in service, on the new holder's line.
    assert old.number.status == MobileNumber.Status.ASSIGNED
    assert old.sim.status == SimCard.Status.ASSIGNED
    assert not old.provisioning_orders.filter(action="release_number").exists()
    transfer.refresh_from_db()
    assert (transfer.new_line.number_id, transfer.new_line.sim_id) == (old.number_id, old.sim_id)


def test_r10_2_the_final_invoice_follows_a_month_already_invoiced(alice, agent):
    """R16.4: a letter received in May ends the line on 1 June; the sweep runs late, after the
    June invoice: the final invoice is still issued, dated 1 June, with what June's did not
    bill (the remaining fees, R16.3)."""
    line = line_of(alice)
    with travel(date(2026, 5, 22)):
        request = termination_request_prepare(
            customer=alice,
            lines=[line],
            motive=TerminationRequest.Motive.ORDINARY,
            actor=alice.user,
        )
        termination_request_receive(request=request, received_on=date(2026, 5, 20), actor=agent)
    june = Period.month(date(2026, 6, 1))
    with travel(date(2026, 7, 1), 2):
        monthly = invoice_issue(
            contract_id=line.contract_id, period=june, issued_on=date(2026, 7, 1)
        )
    with travel(date(2026, 7, 2)):
        assert end_due_terminations() == 1
    on = date(2026, 6, 1)
    final = Invoice.objects.get(contract_id=line.contract_id, is_final=True)
    assert final.pk != monthly.pk
    assert (final.issued_on, final.period_start, final.period_end) == (on, on, on)
    assert [(item.kind, item.amount_excl_tax) for item in final.lines.all()] == [
        ("one_off", request.lines.get().fees_owed)
    ]
    assert Invoice.objects.filter(contract_id=line.contract_id, period_start=on).count() == 2


def test_r10_2_the_final_invoice_says_so_on_its_pdf_and_in_the_list(alice, supervisor, client):
    line = line_of(alice)
    with travel(date(2026, 6, 10)):
        termination = operator_termination_decide(
            line=line,
            cause=OperatorTermination.Cause.FRAUD,
            reason="Fraude",
            actor=supervisor,
        )
    final = termination.final_invoice
    for language, title in (
        ("fr", "Facture de clôture"),
        ("ar", "الفاتورة النهائية"),
        ("en", "Final invoice"),
    ):
        Invoice.objects.filter(pk=final.pk).update(language=language)
        final.refresh_from_db()
        text = " ".join(
            page.extract_text() for page in PdfReader(io.BytesIO(invoice_pdf_document(final))).pages
        )
        assert title in text, language
        # The contract has ended: no commitment left to warn of, its fees are on the invoice.
        assert "commitment" not in text or language != "en", text
    client.force_login(alice.user)
    with travel(date(2026, 6, 11)):
        page = client.get(reverse("portal:invoice_list"), HTTP_ACCEPT_LANGUAGE="fr")
    assert page.status_code == 200
    assert page.content.decode().count("Facture de clôture") == 1


@pytest.mark.parametrize("returned", [True, False])
def test_r12_2_r17_3_a_returned_sim_goes_back_in_stock_else_it_is_retired(alice, agent, returned):
    line = line_of(alice)
    letter_ended(
        alice,
        agent,
        line,
        prepared=date(2027, 4, 12),
        received=date(2027, 4, 10),
        sim_returned=returned,
        swept=date(2027, 6, 9),
    )
    expected = SimCard.Status.IN_STOCK if returned else SimCard.Status.RETIRED
    assert SimCard.objects.get(pk=line.sim_id).status == expected


def test_r10_2_the_monthly_run_after_the_final_invoice_bills_the_month_no_more(alice, supervisor):
    line = line_of(alice)
    with travel(date(2026, 6, 10)):
        operator_termination_decide(
            line=line, cause=OperatorTermination.Cause.FRAUD, reason="Fraude", actor=supervisor
        )
    with travel(date(2026, 7, 1), 2):
        june = invoice_issue(
            contract_id=line.contract_id,
            period=Period.month(date(2026, 6, 1)),
            issued_on=date(2026, 7, 1),
        )
    assert june is None
    assert Invoice.objects.filter(contract_id=line.contract_id, period_start=date(2026, 6, 1)).get(
        is_final=True
    )
