"""R21.1: the copy of everything held on a customer, as a JSON file and a readable PDF, kept in
private storage for a limited time and served to that customer only."""

import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.files import FieldFile
from django.utils import timezone, translation
from django.utils.formats import date_format, number_format
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from phonenumber_field.phonenumber import PhoneNumber

from accounts.models import User
from billing.models import (
    AdvancePaymentRequest,
    BillingRunAccount,
    Charge,
    CreditLimit,
    DebtTransfer,
    Deposit,
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
    UsageRecord,
)
from lib.pdf import render_pdf
from privacy.models import (
    AccessRequest,
    BankDetails,
    CampaignMessage,
    Consent,
    ObjectionDelivery,
    RectificationRequest,
    ServicePin,
    StaffAccessLog,
    SuppressionEntry,
)
from subscriptions.models import (
    Contract,
    Customer,
    CustomerNotification,
    FilePiece,
    FileStatusChange,
    IdentityCheck,
    Line,
    LineOption,
    LineStatusChange,
    PrepaidAccount,
    PrepaidMovement,
    ProvisioningOrder,
    RechargeCodeFailure,
    SimLossDeclaration,
    SubscriptionFile,
    SuspensionCause,
    TopUp,
)
from terminations.models import (
    ConditionsNotice,
    LineTransfer,
    OperatorTermination,
    PrepaidMigration,
    TerminationLine,
    TerminationRequest,
)

A = AccessRequest.Status


@dataclass(frozen=True)
class Category:
    key: str
    title: str | Promise
    records: list[models.Model]
    in_pdf: bool = True  # usage records are counted in the PDF, listed in the JSON


# Every model holding a customer's data, by category, with its lookup to the customer.
# tests/privacy/test_access.py walks the models to keep this complete.
LINE = "line__contract__customer"
SOURCES: list[tuple[str, str | Promise, list[tuple[type[models.Model], str]]]] = [
    ("identity", _("Identity"), [(Customer, "pk")]),
    ("account", _("Portal account"), [(User, "customer")]),
    ("contracts", _("Contracts"), [(Contract, "customer")]),
    ("lines", _("Lines"), [(Line, "contract__customer")]),
    ("options", _("Options"), [(LineOption, LINE)]),
    (
        "prepaid",
        _("Prepaid credit"),
        [
            (PrepaidAccount, LINE),
            (TopUp, LINE),
            (PrepaidMovement, f"account__{LINE}"),
            (RechargeCodeFailure, "user__customer"),
        ],
    ),
    ("invoices", _("Invoices"), [(Invoice, "contract__customer")]),
    ("invoice_lines", _("Invoice lines"), [(InvoiceLine, "invoice__contract__customer")]),
    ("charges", _("Charges"), [(Charge, "contract__customer")]),
    (
        "payments",
        _("Payments"),
        [(Payment, "contract__customer"), (PaymentAllocation, "payment__contract__customer")],
    ),
    (
        "credit",
        _("Credit limits, advances, deposits and carried debts"),
        [
            (CreditLimit, "contract__customer"),
            (AdvancePaymentRequest, "contract__customer"),
            (Deposit, "contract__customer"),
            (DebtTransfer, "source__customer"),
        ],
    ),
    ("usage", _("Traffic records"), [(UsageRecord, LINE)]),
    ("consents", _("Consents"), [(Consent, "customer")]),
    (
        "objections_told",
        _("Recipients told of your objections"),
        [(ObjectionDelivery, "consent__customer"), (SuppressionEntry, "customer")],
    ),
    ("marketing", _("Marketing messages"), [(CampaignMessage, "customer")]),
    (
        "terminations",
        _("Terminations, migrations, transfers and notices of changes"),
        [
            (TerminationRequest, "customer"),
            (TerminationLine, "request__customer"),
            (OperatorTermination, LINE),
            (PrepaidMigration, LINE),
            (LineTransfer, LINE),
            (LineTransfer, "new_holder"),
            (ConditionsNotice, "customer"),
        ],
    ),
    ("files", _("Subscription files"), [(SubscriptionFile, "customer")]),
    ("documents", _("Documents"), [(FilePiece, "file__customer")]),
    (
        "history",
        _("History"),
        [
            (LineStatusChange, LINE),
            (FileStatusChange, "file__customer"),
            (IdentityCheck, LINE),
            (SuspensionCause, LINE),
            (ProvisioningOrder, LINE),
            (CustomerNotification, LINE),
            (SimLossDeclaration, LINE),
        ],
    ),
    ("rectifications", _("Rectification requests"), [(RectificationRequest, "customer")]),
    ("bank_details", _("Bank details"), [(BankDetails, "customer")]),
    ("access_requests", _("Requests for a copy of your data"), [(AccessRequest, "customer")]),
    ("staff_accesses", _("Staff who opened your data"), [(StaffAccessLog, "customer")]),
]
NOT_EXPORTED = {
    # R7.4: a hash of the customer's own secret, of no use to them; the page shows its date.
    ServicePin: "hash of the service PIN",
    # The run's own bookkeeping (which accounts a monthly run has billed); the invoices it made
    # are in the copy.
    BillingRunAccount: "progress of a billing run",
}
SUMMARISED_IN_PDF = {"usage"}  # thousands of rows: counted in the PDF, listed in the JSON


def customer_data(customer: Customer) -> list[Category]:
    """Every record held on the customer, by category; only theirs."""
    return [
        Category(
            key,
            title,
            [
                record
                for model, path in sources
                for record in model._default_manager.filter(**{path: customer.pk}).order_by("pk")
            ],
            in_pdf=key not in SUMMARISED_IN_PDF,
        )
        for key, title, sources in SOURCES
    ]


HIDDEN_FIELDS = {"password", "pin_hash"}


def _fields(record: models.Model) -> list[models.Field]:
    return [f for f in record._meta.concrete_fields if f.name not in HIDDEN_FIELDS]


def _raw(value):
    return value.name if isinstance(value, FieldFile) else value


def record_as_json(record: models.Model) -> dict:
    """The record's fields, with the kind of record it is (a category may hold several)."""
    return {
        "record": record._meta.label_lower,
        **{f.attname: _raw(getattr(record, f.attname)) for f in _fields(record)},
    }


class ExportEncoder(DjangoJSONEncoder):
    """Every field type held on a customer: a phone number in E.164 (`+21620123456`); dates and
    times in ISO 8601, decimals as strings, UUIDs (DjangoJSONEncoder)."""

    def default(self, o):
        if isinstance(o, PhoneNumber):
            return o.as_e164
        return super().default(o)


def readable(value: object) -> str:
    """A value as the customer reads it, in the active language: dates and times in words and in
    local time (Africa/Tunis), yes or no, amounts with the locale's separators, "—" for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "DATETIME_FORMAT")
    if isinstance(value, date):
        return date_format(value, "DATE_FORMAT")
    if isinstance(value, Decimal | int):
        return number_format(value, use_l10n=True)
    if isinstance(value, PhoneNumber):
        return value.as_e164
    if isinstance(value, dict | list):
        return json.dumps(value, cls=ExportEncoder, ensure_ascii=False)
    return str(value)


def record_as_text(record: models.Model) -> list[tuple[str, str]]:
    """(label, readable value) pairs for the PDF, in the active language."""
    pairs = []
    for field in _fields(record):
        if field.choices:
            value = getattr(record, f"get_{field.name}_display")()
        elif field.is_relation:
            value = getattr(record, field.name)
        else:
            value = _raw(getattr(record, field.attname))
        pairs.append((str(field.verbose_name), readable(value)))
    return pairs


def export_json(customer: Customer, categories: list[Category], at) -> bytes:
    data = {
        "customer": customer.pk,
        "generated_at": at,
        "categories": {
            c.key: {"title": str(c.title), "records": [record_as_json(r) for r in c.records]}
            for c in categories
        },
    }
    return json.dumps(data, cls=ExportEncoder, ensure_ascii=False, indent=2).encode()


def export_pdf(customer: Customer, categories: list[Category], at) -> bytes:
    language = customer.language
    with translation.override(language):
        sections = [
            {
                "title": c.title,
                "count": len(c.records),
                "records": [record_as_text(r) for r in c.records] if c.in_pdf else None,
            }
            for c in categories
        ]
    return render_pdf(
        "privacy/export_pdf.html",
        {"customer": customer, "sections": sections, "at": at, "operator": settings.OPERATOR},
        language=language,
    )


def access_export_build(*, request_id: int) -> AccessRequest:
    """Build the two files once; a second run finds the request ready and does nothing."""
    request = AccessRequest.objects.select_related("customer__user").get(pk=request_id)
    if request.status != A.PENDING:
        return request
    now = timezone.now()
    categories = customer_data(request.customer)
    stem = f"privacy/{uuid.uuid4().hex}"
    json_name = default_storage.save(
        f"{stem}.json", ContentFile(export_json(request.customer, categories, now))
    )
    pdf_name = default_storage.save(
        f"{stem}.pdf", ContentFile(export_pdf(request.customer, categories, now))
    )
    claimed = AccessRequest.objects.filter(pk=request.pk, status=A.PENDING).update(
        status=A.READY,
        json_file=json_name,
        pdf_file=pdf_name,
        ready_at=now,
        expires_at=now + timedelta(days=settings.PRIVACY_EXPORT_DAYS),
    )
    if not claimed:  # another worker finished first: keep its files, drop ours
        default_storage.delete(json_name)
        default_storage.delete(pdf_name)
    request.refresh_from_db()
    return request


def access_export_fail(*, request_id: int, reason: str) -> bool:
    """After its last attempt the copy is marked failed, with why for staff; the customer sees
    it failed and asks again (a new request). False if it was built or marked meanwhile."""
    return bool(
        AccessRequest.objects.filter(pk=request_id, status=A.PENDING).update(
            status=A.FAILED, failed_at=timezone.now(), failure_reason=reason[:2000]
        )
    )


def access_exports_expire() -> int:
    """Delete the files of copies past their date; the request stays, marked expired."""
    expired = 0
    for request in AccessRequest.objects.filter(status=A.READY, expires_at__lte=timezone.now()):
        if AccessRequest.objects.filter(pk=request.pk, status=A.READY).update(
            status=A.EXPIRED, json_file="", pdf_file=""
        ):
            default_storage.delete(request.json_file.name or "")
            default_storage.delete(request.pdf_file.name or "")
            expired += 1
    return expired


def access_file_for(*, request: AccessRequest, kind: str) -> FieldFile | None:
    """The file to serve, while the copy is available."""
    if request.status != A.READY or not request.expires_at or request.expires_at <= timezone.now():
        return None
    return request.json_file if kind == "json" else request.pdf_file
