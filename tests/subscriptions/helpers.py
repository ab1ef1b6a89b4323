"""Helpers shared by several test modules of this folder."""

import io
import itertools
import re
from datetime import date, datetime, timedelta
from decimal import Decimal

import time_machine
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from pypdf import PdfWriter

from accounts.models import Boutique, User
from billing.models import AdvancePaymentRequest, Invoice
from catalogue.models import Offer, RequiredDocument
from subscriptions.models import (
    Contract,
    Customer,
    FilePiece,
    Line,
    MobileNumber,
    SubscriptionFile,
)
from subscriptions.services.files import (
    file_submit,
    piece_review,
)
from tests.factories import (
    UserFactory,
)

STEP = "portal:subscribe_step"


def png(name="cin.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def fill_until_documents(client, lac):
    offer = Offer.objects.get(code="forfait-liberte-20")
    client.post(
        reverse(STEP, args=["offer"]),
        {"customer_kind": "individual", "offer": offer.pk, "boutique": lac.pk},
    )
    client.post(reverse(STEP, args=["options"]), {})
    client.post(
        reverse(STEP, args=["identity"]),
        {
            "last_name": "Trabelsi",
            "first_name": "Nour",
            "birth_date": "1992-03-04",
            "id_kind": "cin",
            "cin": "07 654 321",
        },
    )
    client.post(
        reverse(STEP, args=["address"]),
        {"street": "5 rue de Rome", "postal_code": "1000", "city": "Tunis"},
    )


def submit_online(client, lac, newcomer):
    fill_until_documents(client, lac)
    identity = RequiredDocument.objects.get(customer_kind="individual", code="identity")
    client.post(reverse(STEP, args=["documents"]), {f"piece_{identity.pk}": png()})
    link = re.search(r"(/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    client.get(link)
    return client.post(reverse(STEP, args=["summary"]), {"accept_conditions": "on"})


QUEUE = "admin:subscriptions_subscriptionfile_changelist"


def _mark_all_received(client, file):
    url = reverse("admin:subscriptions_subscriptionfile_change", args=[file.pk])
    page = client.get(url)
    formset = next(
        f.formset for f in page.context["inline_admin_formsets"] if f.formset.model is FilePiece
    )
    data = {
        f"{formset.prefix}-TOTAL_FORMS": len(formset.forms),
        f"{formset.prefix}-INITIAL_FORMS": len(formset.forms),
        "status_changes-TOTAL_FORMS": 0,
        "status_changes-INITIAL_FORMS": 0,
    }
    for i, form in enumerate(formset.forms):
        data[f"{formset.prefix}-{i}-id"] = form.instance.pk
        data[f"{formset.prefix}-{i}-file"] = file.pk
        data[f"{formset.prefix}-{i}-status"] = "received"
    return client.post(url, data)


MONDAY_9 = timezone.make_aware(datetime(2026, 11, 2, 9, 0))


CINS = itertools.count(7654321)


def submitted_file(*, boutique, kind="individual", offer="forfait-liberte-20", at=MONDAY_9):
    """A file sent online by a new customer, as the form leaves it."""
    applicant = UserFactory(email_confirmed_at=at)
    cin = f"{next(CINS):08d}"
    identity = (
        {
            "last_name": "Trabelsi",
            "first_name": "Nour",
            "birth_date": "1992-03-04",
            "cin": cin,
        }
        if kind == "individual"
        else {
            "last_name": "Ayari",
            "first_name": "Karim",
            "company_name": "Olivier SARL",
            "trade_register_number": "B1234562020",
            "tax_id": f"{cin[1:]}A/A/M/000",
        }
    )
    file = SubscriptionFile.objects.create(
        applicant=applicant,
        boutique=boutique,
        customer_kind=kind,
        offer=Offer.objects.get(code=offer),
        draft={
            "identity": identity,
            "address": {"street": "5 rue de Rome", "postal_code": "1000", "city": "Tunis"},
        },
    )
    with time_machine.travel(at, tick=False):
        file_submit(file=file, actor=applicant)
    return file


def review_all(file, agent, *, except_code=None):
    for piece in file.pieces.select_related("required_document"):
        status = "missing" if piece.required_document.code == except_code else "received"
        piece_review(piece=piece, status=status, actor=agent)
    file.refresh_from_db()


LINES = 1000


OVERDUE = range(0, 300)  # an invoice unpaid for 40 days (R10.4)


INCOMPLETE = range(200, 500)  # pieces due a day ago (R13.1)


OVER_LIMIT = range(400, 600)  # an advance asked for the credit limit (R11.2)


NOT_YET_DUE = range(600, 700)  # an invoice unpaid but due only in 5 days


def _generate(boutique: Boutique, applicant: User) -> list[int]:
    """1,000 customers with one active postpaid line each; returns the line ids in order."""
    today = timezone.localdate()
    offer = Offer.objects.get(code="forfait-liberte-20")
    activated = timezone.now() - timedelta(days=60)
    customers = Customer.objects.bulk_create(
        Customer(
            kind="individual",
            boutique=boutique,
            last_name=f"S{i}",
            first_name="S",
            cin=f"{50000000 + i:08d}",
            street="1 rue",
            postal_code="1000",
            city="Tunis",
        )
        for i in range(LINES)
    )
    contracts = Contract.objects.bulk_create(
        Contract(customer=c, reference=f"S{i:06d}") for i, c in enumerate(customers)
    )
    numbers = MobileNumber.objects.bulk_create(
        MobileNumber(msisdn=f"+2165{i:07d}", status="assigned") for i in range(LINES)
    )
    lines = Line.objects.bulk_create(
        Line(contract=c, offer=offer, number=n, status="active", activated_at=activated)
        for c, n in zip(contracts, numbers, strict=True)
    )

    def invoice(i: int, due_on: date) -> Invoice:
        return Invoice(
            contract=contracts[i],
            period_start=date(2026, 1, 1),
            period_end=date(2026, 1, 31),
            number=f"S-{i:06d}",
            issued_on=due_on - timedelta(days=15),
            due_on=due_on,
            customer_name="S",
            customer_identity=customers[i].cin,
            customer_address="1 rue, 1000 Tunis",
            total_excl_tax=Decimal("20.000"),
            vat_rate=Decimal("0.1900"),
            vat_amount=Decimal("3.800"),
            stamp_duty=Decimal("1.000"),
            total_incl_tax=Decimal("24.800"),
        )

    Invoice.objects.bulk_create(
        [invoice(i, today - timedelta(days=40)) for i in OVERDUE]
        + [invoice(i, today + timedelta(days=5)) for i in NOT_YET_DUE]
    )
    SubscriptionFile.objects.bulk_create(
        SubscriptionFile(
            applicant=applicant,
            customer=customers[i],
            status=SubscriptionFile.Status.ACTIVE,
            line=lines[i],
            documents_due_at=timezone.now() - timedelta(days=1),
        )
        for i in INCOMPLETE
    )
    AdvancePaymentRequest.objects.bulk_create(
        AdvancePaymentRequest(
            contract=contracts[i], reason="credit_limit", amount="30", requested_on=today
        )
        for i in OVER_LIMIT
    )
    return [line.pk for line in lines]


def pypdf_bytes(writer: PdfWriter) -> bytes:
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def one_page_writer() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    return writer


def upload(content: bytes, name: str = "scan.pdf", content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)
