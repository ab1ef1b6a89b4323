"""The subscription file: pieces (R3.1), deadlines (R3.2, R6.2), acceptance (R4.1), refusal,
boutique sale (R13.1), charges (R12.1)."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone
from pypdf import PdfReader

from catalogue.models import Offer, Option, RequiredDocument
from subscriptions.lifecycle.files import FileTransitionRefused
from subscriptions.models import FilePiece, FileStatusChange, Line, SubscriptionFile
from subscriptions.selectors.files import breached, breached_count_by_boutique, files_in_queue
from subscriptions.services.files import (
    FileRefused,
    boutique_sale,
    file_accept,
    file_charges,
    file_record_connection_fee,
    file_refuse,
    piece_review,
    required_documents,
)
from subscriptions.tasks import send_refusal_letter
from tests.factories import (
    CustomerFactory,
    MobileNumberFactory,
    SimCardFactory,
)
from tests.subscriptions.helpers import MONDAY_9, review_all, submitted_file


@pytest.fixture
def stock(lac):
    MobileNumberFactory.create_batch(3)
    SimCardFactory.create_batch(3, boutique=lac)


def test_r3_1_pieces_asked_follow_the_customer_type(grid):
    individual = set(required_documents("individual").values_list("code", flat=True))
    company = set(required_documents("company").values_list("code", flat=True))
    assert individual == {"identity", "signed_form"}
    assert {"trade_register", "tax_id", "signed_form"} <= company


def test_r3_1_a_sent_file_holds_every_piece_of_its_customer_type(grid, lac):
    file = submitted_file(boutique=lac, kind="company")
    assert {p.required_document.code for p in file.pieces.all()} == set(
        RequiredDocument.objects.filter(customer_kind="company").values_list("code", flat=True)
    )
    assert file.customer.tax_id.endswith("A/A/M/000")
    assert file.status == "received"


def test_r3_1_a_missing_piece_makes_the_file_incomplete_and_says_which(grid, lac, agent):
    file = submitted_file(boutique=lac)
    file_record_connection_fee(file=file, actor=agent)
    review_all(file, agent, except_code="signed_form")
    assert file.status == "incomplete"
    change = (
        file.status_changes.filter(to_status="incomplete").exclude(from_status="incomplete").get()
    )
    assert "Formulaire d'abonnement signé" in change.reason and change.actor == agent


def test_r3_1_unpaid_connection_fee_blocks_the_contract(grid, lac, agent):
    file = submitted_file(boutique=lac)
    review_all(file, agent)
    assert file.status == "incomplete"
    with pytest.raises(FileRefused):
        file_accept(file=file, actor=agent)
    file_record_connection_fee(file=file, actor=agent)
    file.refresh_from_db()
    assert file.status == "complete"


def test_r3_1_a_rejected_piece_needs_a_reason(grid, lac, agent):
    file = submitted_file(boutique=lac)
    piece = file.pieces.first()
    with pytest.raises(FileRefused):
        piece_review(piece=piece, status="rejected", reason=" ", actor=agent)
    piece_review(piece=piece, status="rejected", reason="Photo illisible", actor=agent)
    assert FilePiece.objects.get(pk=piece.pk).rejection_reason == "Photo illisible"


def test_r3_2_a_complete_file_must_be_opened_within_24_hours(grid, lac, agent):
    file = submitted_file(boutique=lac)
    completed = MONDAY_9 + timedelta(hours=3)
    with time_machine.travel(completed, tick=False):
        file_record_connection_fee(file=file, actor=agent)
        review_all(file, agent)
    assert file.status == "complete"
    assert file.completed_at == completed
    assert file.activation_due_at == completed + timedelta(hours=24)
    queue = files_in_queue(SubscriptionFile.objects.all())
    assert queue.get().deadline == completed + timedelta(hours=24)
    assert not breached(
        SubscriptionFile.objects.all(), now=completed + timedelta(hours=23, minutes=59)
    ).exists()
    assert breached(
        SubscriptionFile.objects.all(), now=completed + timedelta(hours=24, seconds=1)
    ).exists()


def test_r3_2_breached_deadlines_are_counted_per_boutique(grid, lac, sfax, agent):
    late = submitted_file(boutique=lac)
    file_record_connection_fee(file=late, actor=agent)
    with time_machine.travel(MONDAY_9, tick=False):
        review_all(late, agent)
    submitted_file(boutique=sfax, at=MONDAY_9 + timedelta(days=1))
    counts = {
        b.code: (b.open_files, b.breached_files)
        for b in breached_count_by_boutique(now=MONDAY_9 + timedelta(hours=30))
    }
    assert counts["tunis-lac"] == (1, 1)
    assert counts["sfax-centre"] == (1, 0)


def test_r6_2_the_answer_is_due_15_days_after_the_request(grid, lac):
    file = submitted_file(boutique=lac)
    assert file.submitted_at == MONDAY_9
    assert file.decision_due_at == MONDAY_9 + timedelta(days=15)
    deadline = files_in_queue(SubscriptionFile.objects.all()).get().deadline
    assert deadline == MONDAY_9 + timedelta(days=15)


def test_r6_2_refusal_is_written_motivated_and_sent_once(
    grid, lac, agent, django_capture_on_commit_callbacks
):
    file = submitted_file(boutique=lac)
    with django_capture_on_commit_callbacks(execute=True):
        file_refuse(file=file, actor=agent, motive="Couverture réseau indisponible à votre adresse")
    file.refresh_from_db()
    assert file.status == "refused" and file.refusal_letter_sent_at is not None
    assert len(mail.outbox) == 1
    ((_name, _content, mimetype),) = mail.outbox[0].attachments
    assert mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(file.refusal_letter.open("rb")).pages)
    assert "Couverture réseau indisponible" in text and file.reference in text
    assert send_refusal_letter.apply(args=[file.pk]).get() is False  # a retried task sends nothing
    assert len(mail.outbox) == 1


def test_r6_2_a_refusal_needs_its_motive(grid, lac, agent):
    file = submitted_file(boutique=lac)
    with pytest.raises(FileRefused):
        file_refuse(file=file, actor=agent, motive="  ")


def test_r4_1_accepting_a_complete_file_opens_the_line_and_the_contract(
    grid, lac, agent, stock, django_capture_on_commit_callbacks
):
    file = submitted_file(boutique=lac)
    file_record_connection_fee(file=file, actor=agent)
    review_all(file, agent)
    file.options.set([Option.objects.get(code="internet-10go")])
    accepted_at = MONDAY_9 + timedelta(hours=5)
    with (
        time_machine.travel(accepted_at, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        file_accept(file=file, actor=agent)
    file.refresh_from_db()
    assert file.status == "active"
    line = file.line
    assert line.status == Line.Status.ACTIVE and line.sim.boutique == lac
    assert line.contract.starts_on == date(2026, 11, 2)
    assert line.contract.deposit.amount == Decimal("50.000")  # R12.1, held from activation
    assert line.commitment_ends_on == date(2027, 11, 1)
    option = line.line_options.get()
    assert option.commitment_ends_on == date(2027, 2, 1)  # R4.2: 3 months from the day taken
    statuses = list(file.status_changes.order_by("pk").values_list("to_status", flat=True))
    assert statuses[-2:] == ["accepted", "active"]
    assert len(mail.outbox) == 1 and line.number.msisdn in mail.outbox[0].subject


def test_only_a_complete_file_can_be_accepted(grid, lac, agent, stock):
    file = submitted_file(boutique=lac)
    with pytest.raises(FileRefused):
        file_accept(file=file, actor=agent)


def test_a_refused_file_never_moves_again(grid, lac, agent):
    file = submitted_file(boutique=lac)
    file_refuse(file=file, actor=agent, motive="Fausse déclaration")
    from subscriptions.lifecycle.files import file_transition

    with pytest.raises(FileTransitionRefused):
        file_transition(file=file, to="complete", actor=agent, reason="x")


def test_r12_1_connection_fee_and_deposit_come_from_the_grid_and_are_kept_on_the_file(grid, lac):
    charges = file_charges(offer=Offer.objects.get(code="forfait-liberte-20"))
    assert (charges.connection_fee, charges.deposit) == (Decimal("10.000"), Decimal("50.000"))
    file = submitted_file(boutique=lac)
    assert (file.connection_fee, file.deposit) == (Decimal("10.000"), Decimal("50.000"))
    prepaid = file_charges(offer=Offer.objects.get(code="carte-libre"))
    assert prepaid.deposit == Decimal("0.000")


def test_r13_1_boutique_sale_opens_the_line_at_once_with_3_days_for_the_pieces(
    grid, lac, agent, stock
):
    customer = CustomerFactory(boutique=lac)
    sold_at = timezone.make_aware(datetime(2026, 11, 5, 17, 0))
    with time_machine.travel(sold_at, tick=False):
        file = boutique_sale(
            agent=agent,
            applicant=customer.user,
            customer=customer,
            offer=Offer.objects.get(code="forfait-liberte-20"),
            options=[],
        )
    assert file.status == "active" and file.line.status == Line.Status.ACTIVE
    assert file.documents_due_at == sold_at + timedelta(days=3)
    assert file.completed_at is None
    assert files_in_queue(SubscriptionFile.objects.all()).get().deadline == sold_at + timedelta(
        days=3
    )
    file_record_connection_fee(file=file, actor=agent)
    review_all(file, agent)
    assert file.completed_at is not None
    assert not files_in_queue(SubscriptionFile.objects.all()).get().deadline


def test_every_move_of_a_file_is_recorded(grid, lac, agent):
    file = submitted_file(boutique=lac)
    review_all(file, agent, except_code="identity")
    rows = list(FileStatusChange.objects.filter(file=file))
    assert rows[0].from_status == "draft" and rows[0].to_status == "received"
    assert any(row.piece is not None and row.actor == agent for row in rows)
    assert all(row.at and row.reason for row in rows)
