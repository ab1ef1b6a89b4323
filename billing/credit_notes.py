"""Credit notes: the only correction of an issued invoice, which itself never changes.

A credit note is an `Invoice` of kind credit note with positive amounts, numbered in its own
continuous series. It is frozen like an invoice (lines, customer snapshot, VAT at the corrected
invoice's rate) and settles what the customer owes like money received: a `Payment` of method
credit note, allocated to the corrected invoice first, then to the oldest others; what is left
over is a credit that the next invoices use (billing/payments.py).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from billing.invoicing import next_number
from billing.models import Invoice, InvoiceLine, Payment
from billing.payments import payments_allocate
from lib.money import ZERO, tnd
from subscriptions.models import Contract

# Credit notes are numbered apart from invoices: A2026-000001, A2026-000002, ...
SERIES = "A"


class CreditNoteRefused(Exception):
    pass


@dataclass(frozen=True)
class _Credited:
    """What the credit notes of an invoice already gave back."""

    taxable: Decimal
    untaxed: Decimal
    vat: Decimal
    stamp_duty: Decimal


def _credited(invoice: Invoice) -> _Credited:
    lines = InvoiceLine.objects.filter(
        invoice__corrects=invoice, invoice__kind=Invoice.Kind.CREDIT_NOTE
    ).aggregate(
        taxed=Coalesce(Sum("amount_excl_tax", filter=Q(taxable=True)), ZERO),
        untaxed=Coalesce(Sum("amount_excl_tax", filter=Q(taxable=False)), ZERO),
    )
    notes = invoice.credit_notes.aggregate(
        vat=Coalesce(Sum("vat_amount"), ZERO), stamp=Coalesce(Sum("stamp_duty"), ZERO)
    )
    return _Credited(lines["taxed"], lines["untaxed"], notes["vat"], notes["stamp"])


def _line(source: InvoiceLine | None, **fields) -> InvoiceLine:
    if source is None:
        return InvoiceLine(quantity=Decimal(1), unit_price=fields["amount_excl_tax"], **fields)
    return InvoiceLine(
        kind=source.kind,
        taxable=source.taxable,
        line_id=source.line_id,
        label=source.label,
        quantity=source.quantity,
        unit_price=source.unit_price,
        amount_excl_tax=source.amount_excl_tax,
    )


def _lines_credited(
    invoice: Invoice,
    credited: _Credited,
    lines: Iterable[InvoiceLine] | None,
    amount_excl_tax: Decimal | None,
) -> list[InvoiceLine]:
    """The credit note's lines: the chosen lines, an amount, or else all that is left."""
    if lines is not None:
        chosen = list(lines)
        if not chosen or any(line.invoice_id != invoice.pk for line in chosen):
            raise CreditNoteRefused("Choose lines of the invoice being corrected.")
        return [_line(line) for line in chosen]
    with translation.override(invoice.language):
        label = _("Credit on invoice %(number)s") % {"number": invoice.number}
        balance = _("Balance of invoice %(number)s") % {"number": invoice.number}
    if amount_excl_tax is not None:
        if amount_excl_tax <= 0:
            raise CreditNoteRefused("A credit note is a positive amount.")
        # An amount given back is a reduction of the service, taxed like it.
        return [
            _line(None, kind=InvoiceLine.Kind.ONE_OFF, label=label, amount_excl_tax=amount_excl_tax)
        ]
    if credited == _Credited(ZERO, ZERO, ZERO, ZERO):
        return [_line(line) for line in invoice.lines.all()]
    taxable = sum((li.amount_excl_tax for li in invoice.lines.all() if li.taxable), ZERO)
    untaxed = invoice.total_excl_tax - taxable
    rest = [
        (True, taxable - credited.taxable),
        (False, untaxed - credited.untaxed),
    ]
    return [
        _line(
            None,
            kind=InvoiceLine.Kind.ONE_OFF if is_taxable else InvoiceLine.Kind.CARRIED_DEBT,
            taxable=is_taxable,
            label=balance,
            amount_excl_tax=amount,
        )
        for is_taxable, amount in rest
        if amount > 0
    ]


def credit_note_issue(
    *,
    invoice: Invoice,
    actor: User,
    reason: str,
    lines: Iterable[InvoiceLine] | None = None,
    amount_excl_tax: Decimal | str | None = None,
    issued_on: date | None = None,
) -> Invoice:
    """Issue a credit note against an invoice: for some of its lines, for an amount excl. tax,
    or (neither given) for all that its earlier credit notes left. Refused when the credit
    notes of the invoice would give back more than its total."""
    if not reason.strip():
        raise CreditNoteRefused("Say why the invoice is corrected.")
    if lines is not None and amount_excl_tax is not None:
        raise CreditNoteRefused("Credit either lines or an amount, not both.")
    amount = tnd(amount_excl_tax) if amount_excl_tax is not None else None
    issued_on = issued_on or timezone.localdate()
    with transaction.atomic():
        # One correction of an account at a time: the cap below is read under this lock.
        contract = Contract.objects.select_for_update().get(pk=invoice.contract_id)
        invoice = Invoice.objects.get(pk=invoice.pk)
        if invoice.kind != Invoice.Kind.INVOICE:
            raise CreditNoteRefused("Only an invoice is corrected by a credit note.")
        credited = _credited(invoice)
        drafts = _lines_credited(invoice, credited, lines, amount)
        if not drafts:
            raise CreditNoteRefused("This invoice is credited in full already.")
        taxable = sum((d.amount_excl_tax for d in drafts if d.taxable), ZERO)
        untaxed = sum((d.amount_excl_tax for d in drafts if not d.taxable), ZERO)
        invoice_taxable = sum(
            (li.amount_excl_tax for li in invoice.lines.all() if li.taxable), ZERO
        )
        invoice_untaxed = invoice.total_excl_tax - invoice_taxable
        if (
            credited.taxable + taxable > invoice_taxable
            or credited.untaxed + untaxed > invoice_untaxed
        ):
            raise CreditNoteRefused("The credit notes would exceed the invoice's total.")
        if (
            credited.taxable + taxable == invoice_taxable
            and credited.untaxed + untaxed == invoice_untaxed
        ):
            # The last credit note gives back exactly what is left, stamp duty included, so
            # that all of them together equal the invoice to the millime.
            vat = invoice.vat_amount - credited.vat
            stamp_duty = invoice.stamp_duty - credited.stamp_duty
        else:
            vat, stamp_duty = tnd(taxable * invoice.vat_rate), ZERO
        excl = taxable + untaxed
        note = Invoice.objects.create(
            kind=Invoice.Kind.CREDIT_NOTE,
            contract=contract,
            corrects=invoice,
            reason=reason.strip()[:255],
            issued_by=actor,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            number=next_number(series=SERIES, year=issued_on.year),
            issued_on=issued_on,
            due_on=issued_on,
            customer_name=invoice.customer_name,
            customer_identity=invoice.customer_identity,
            customer_address=invoice.customer_address,
            language=invoice.language,
            total_excl_tax=excl,
            vat_rate=invoice.vat_rate,
            vat_amount=vat,
            stamp_duty=stamp_duty,
            total_incl_tax=excl + vat + stamp_duty,
        )
        for position, draft in enumerate(drafts):
            draft.invoice, draft.position = note, position
        InvoiceLine.objects.bulk_create(drafts)
        Payment.objects.create(
            contract=contract,
            amount=note.total_incl_tax,
            method=Payment.Method.CREDIT_NOTE,
            reference=note.number,
            received_on=issued_on,
            recorded_by=actor,
            credit_note=note,
        )
        payments_allocate(contract=contract)
        from billing.tasks import render_document  # the tasks module imports billing modules

        # Robust: the credit note stands whatever happens to its PDF (rendered on download too).
        transaction.on_commit(lambda: render_document.delay(note.pk), robust=True)
    return note
