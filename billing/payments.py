"""Payments recorded by agents (R10.1), allocated to the oldest invoices due, reversed when a
cheque or a debit bounces (R9.4). Early payment gives no discount (R10.3): an amount received
settles exactly that amount."""

from decimal import Decimal
from typing import TYPE_CHECKING, TypeAlias, TypedDict

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from billing.charges import charges_add
from billing.models import Charge, Invoice, Payment, PaymentAllocation
from billing.signals import payment_recorded
from catalogue.models import Fee
from catalogue.selectors import fee_amount
from lib.money import ZERO, tnd
from subscriptions.models import Contract


class Paid(TypedDict):
    """What invoices_with_balance annotates: the live allocations to the invoice."""

    paid: Decimal


if TYPE_CHECKING:  # django-stubs' helper, installed with the checker only
    from django.db.models import QuerySet
    from django_stubs_ext import WithAnnotations

    PaidInvoice: TypeAlias = WithAnnotations[Invoice, Paid]

LIVE = Q(allocations__payment__reversed_at__isnull=True)


class PaymentRefused(Exception):
    pass


def invoices_with_balance(contract: Contract) -> "QuerySet[PaidInvoice]":
    """The account's invoices with what is still owed on each (`balance`), oldest due first."""
    return (
        Invoice.objects.filter(contract=contract, kind=Invoice.Kind.INVOICE)
        .annotate(paid=Coalesce(Sum("allocations__amount", filter=LIVE), ZERO))
        .order_by("due_on", "number")
    )


def balance_of(invoice: "PaidInvoice") -> Decimal:
    return invoice.total_incl_tax - invoice.paid


def payments_allocate(*, contract: Contract) -> int:
    """Spread the money not yet allocated over the oldest invoices still owed; returns how many
    allocations were made. Under the account's lock, so two agents cannot allocate twice."""
    made = 0
    with transaction.atomic():
        Contract.objects.select_for_update().get(pk=contract.pk)
        owed = [inv for inv in invoices_with_balance(contract) if balance_of(inv) > 0]
        payments = (
            Payment.objects.filter(contract=contract, reversed_at__isnull=True)
            .select_related("credit_note")
            .annotate(used=Coalesce(Sum("allocations__amount"), ZERO))
            .order_by("received_on", "pk")
        )
        for payment in payments:
            available = payment.amount - payment.used
            # R11.2: an advance is deducted from the invoices issued after it, not older debts.
            targets = [
                i for i in owed if not payment.is_advance or i.issued_on >= payment.received_on
            ]
            if payment.credit_note:
                # A credit note settles the invoice it corrects first, then the oldest others.
                corrected = payment.credit_note.corrects_id
                targets.sort(key=lambda invoice: invoice.pk != corrected)
            for invoice in targets:
                if available <= 0:
                    break
                part = min(available, balance_of(invoice))
                if part <= 0:
                    continue
                PaymentAllocation.objects.create(payment=payment, invoice=invoice, amount=part)
                invoice.paid += part
                available -= part
                made += 1
            owed = [i for i in owed if balance_of(i) > 0]
    return made


def payment_record(
    *,
    contract: Contract,
    amount: Decimal | str,
    method: str,
    actor: User,
    reference: str = "",
    received_on=None,
    is_advance: bool = False,
) -> Payment:
    amount = tnd(amount)
    if amount <= 0:
        raise PaymentRefused("A payment is a positive amount.")
    with transaction.atomic():
        payment = Payment.objects.create(
            contract=contract,
            amount=amount,
            method=method,
            reference=reference,
            received_on=received_on or timezone.localdate(),
            recorded_by=actor,
            is_advance=is_advance,
        )
        payments_allocate(contract=contract)
        _receipt_record(payment)
        # R10.4, R11.2: paid in full, the customer's lines suspended for it are restored at once
        # (subscriptions.receivers, after the commit).
        payment_recorded.send(sender=Payment, customer_id=contract.customer_id)
    return payment


def _receipt_record(payment: Payment) -> None:
    """R10.1: the customer's receipt, e-mail and SMS, recorded with the payment, sent after."""
    from billing.notices import payment_receipt_record  # notices reads what this module owes

    payment_receipt_record(payment)


def payment_reverse(*, payment: Payment, actor: User, reason: str) -> Payment:
    """R9.4: a bounced cheque or debit no longer pays anything and adds the grid's fee."""
    if payment.method in (Payment.Method.CREDIT_NOTE, Payment.Method.TRANSFER):
        # The credit note or the carried debt stands: undoing it would bill the customer twice.
        raise PaymentRefused("A credit note or a carried debt is not reversed.")
    with transaction.atomic():
        claimed = Payment.objects.filter(pk=payment.pk, reversed_at__isnull=True).update(
            reversed_at=timezone.now(), reversed_by=actor, reversal_reason=reason
        )
        if not claimed:
            raise PaymentRefused("This payment is already reversed.")
        payment.refresh_from_db()
        if payment.method in (Payment.Method.CHEQUE, Payment.Method.DIRECT_DEBIT):
            today = timezone.localdate()
            with translation.override(payment.contract.customer.language):
                label = _("Unpaid-instrument fee (%(method)s %(reference)s)") % {
                    "method": payment.get_method_display(),
                    "reference": payment.reference,
                }
            charges_add(
                [
                    Charge(
                        contract=payment.contract,
                        fee_kind=Fee.Kind.UNPAID_INSTRUMENT,
                        label=label,
                        amount=fee_amount(Fee.Kind.UNPAID_INSTRUMENT, on=today),
                        charged_on=today,
                    )
                ]
            )
        # The money of other payments that this one had left unused may now settle invoices.
        payments_allocate(contract=payment.contract)
    return payment


def account_balance(contract: Contract) -> Decimal:
    """What the account owes on its invoices (negative when it has money in advance)."""
    invoiced = Invoice.objects.filter(contract=contract, kind=Invoice.Kind.INVOICE).aggregate(
        total=Coalesce(Sum("total_incl_tax"), ZERO)
    )["total"]
    received = Payment.objects.filter(contract=contract, reversed_at__isnull=True).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]
    return tnd(invoiced - received)
