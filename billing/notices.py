"""Telling the customer about money, by e-mail and SMS, once each, in their language: a warning
a few days (grid) before their lines are suspended for an unpaid invoice (R10.4), and a receipt
when a payment is recorded (R10.1).

Rows are recorded first (the warning by the daily sweep, the receipt in the transaction that
records the payment); their unique key makes each exist once. They are sent after commit, and
`sent_at`, claimed by a conditional update, makes each go out once."""

from collections.abc import Iterable
from datetime import date, timedelta

from django.conf import settings
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone, translation

from billing.models import BillingNotice, Invoice, Payment
from billing.payments import LIVE
from catalogue.selectors import grid_parameters
from lib.emails import send_templated
from lib.money import ZERO
from lib.sms import send_sms
from lib.tasks import enqueue
from subscriptions.models import Customer, Line

Kind = BillingNotice.Kind
Channel = BillingNotice.Channel
# Receipts are for money received, not for a credit note or a debt carried between accounts.
RECEIPT_METHODS = (Payment.Method.CASH, Payment.Method.CHEQUE, Payment.Method.DIRECT_DEBIT)
TEMPLATES = {Kind.SUSPENSION_WARNING: "suspension-warning", Kind.PAYMENT_RECEIPT: "payment-receipt"}


def suspension_day(invoice: Invoice, *, overdue_days: int) -> date:
    """R10.4: the first day the sweep suspends for this invoice if it is still unpaid (it
    suspends once the due date plus the grid's delay has passed)."""
    return invoice.due_on + timedelta(days=overdue_days + 1)


def invoices_to_warn(*, today: date):
    """R10.4: invoices still owed whose suspension comes within the grid's warning days (and
    has not come yet), of customers with a line still in service."""
    parameters = grid_parameters(on=today)
    overdue, warning = parameters.overdue_suspension_days, parameters.suspension_warning_days
    if warning == 0:
        return Invoice.objects.none()
    # suspension_day - warning <= today < suspension_day
    first_due = today - timedelta(days=overdue)
    last_due = today - timedelta(days=overdue + 1 - warning)
    in_service = Line.objects.exclude(status__in=[Line.Status.PENDING, Line.Status.TERMINATED])
    customers = in_service.values("contract__customer_id")
    return (
        Invoice.objects.filter(
            kind=Invoice.Kind.INVOICE,
            due_on__gte=first_due,
            due_on__lte=last_due,
            contract__customer_id__in=customers,
        )
        .annotate(paid=Coalesce(Sum("allocations__amount", filter=LIVE), ZERO))
        .filter(paid__lt=F("total_incl_tax"))
        .select_related("contract")
    )


def suspension_warnings_record(*, today: date) -> list[int]:
    """R10.4: an e-mail and an SMS for each invoice due to suspend the customer's lines soon;
    an invoice warned about already is not warned about again (a rerun records nothing)."""
    overdue = grid_parameters(on=today).overdue_suspension_days
    return _record(
        (
            invoice.contract.customer_id,
            Kind.SUSPENSION_WARNING,
            f"warning:{invoice.pk}",
            {
                "invoice_id": invoice.pk,
                "suspension_on": suspension_day(invoice, overdue_days=overdue),
            },
        )
        for invoice in invoices_to_warn(today=today)
    )


def payment_receipt_record(payment: Payment) -> list[int]:
    """R10.1: the receipt of money received, recorded with the payment (in its transaction)."""
    if payment.method not in RECEIPT_METHODS:
        return []
    return _record(
        [
            (
                payment.contract.customer_id,
                Kind.PAYMENT_RECEIPT,
                f"receipt:{payment.pk}",
                {"payment_id": payment.pk},
            )
        ]
    )


def _record(events: Iterable[tuple[int, str, str, dict]]) -> list[int]:
    now = timezone.now()
    rows = [
        BillingNotice(
            customer_id=customer_id,
            kind=kind,
            channel=channel,
            key=f"{event}:{channel}",
            created_at=now,
            **fields,
        )
        for customer_id, kind, event, fields in events
        for channel in (Channel.EMAIL, Channel.SMS)
    ]
    if not rows:
        return []
    # A key recorded already (a rerun, two runs at once) is left as it is.
    BillingNotice.objects.bulk_create(rows, ignore_conflicts=True)
    ids = list(
        BillingNotice.objects.filter(
            key__in=[row.key for row in rows], sent_at__isnull=True
        ).values_list("pk", flat=True)
    )
    if ids:
        enqueue("billing.tasks.send_billing_notices", ids)
    return ids


def billing_notice_send(notice_id: int) -> bool:
    """Send one notice unless it went out already; False when there was nothing to send."""
    claimed = BillingNotice.objects.filter(pk=notice_id, sent_at__isnull=True).update(
        sent_at=timezone.now()
    )
    if not claimed:
        return False
    notice = BillingNotice.objects.select_related(
        "customer__user", "invoice", "payment__contract"
    ).get(pk=notice_id)
    customer = notice.customer
    language = customer.language
    context = _context(notice)
    template = TEMPLATES[Kind(notice.kind)]
    try:
        if notice.channel == Channel.SMS:
            if to := _mobile(customer):
                with translation.override(language):
                    text = render_to_string(f"emails/{template}-sms.txt", context)
                send_sms(to=to, text=text)
        elif to := customer.email or (customer.user.email if customer.user else ""):
            send_templated(to=to, template=template, context=context, language=language)
    except Exception:
        # Nothing went out: give the claim back so that the retry sends it.
        BillingNotice.objects.filter(pk=notice_id).update(sent_at=None)
        raise
    return True


def _context(notice: BillingNotice) -> dict:
    context: dict = {
        "customer": notice.customer,
        "operator": settings.OPERATOR,
        "suspension_on": notice.suspension_on,
    }
    if notice.invoice is not None:
        invoice = Invoice.objects.annotate(
            paid=Coalesce(Sum("allocations__amount", filter=LIVE), ZERO)
        ).get(pk=notice.invoice.pk)
        context.update(invoice=invoice, amount_due=invoice.total_incl_tax - invoice.paid)
    if notice.payment is not None:
        context.update(payment=notice.payment, account=notice.payment.contract.reference)
    return context


def _mobile(customer: Customer) -> str:
    """The customer's own mobile number, else their first line in service."""
    if customer.user and customer.user.mobile:
        return str(customer.user.mobile)
    line = (
        Line.objects.filter(contract__customer=customer)
        .exclude(status__in=[Line.Status.PENDING, Line.Status.TERMINATED])
        .select_related("number")
        .order_by("pk")
        .first()
    )
    return line.number.msisdn if line else ""


def billing_notices_to_send(*, created_before) -> list[int]:
    """Notices recorded before `created_before` and not sent: their queued send was lost or is
    still being retried."""
    return list(
        BillingNotice.objects.filter(
            sent_at__isnull=True, created_at__lt=created_before
        ).values_list("pk", flat=True)
    )
