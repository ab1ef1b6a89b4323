"""What an account owes for a calendar month, and the invoice that freezes it (R9.1 to R9.3).

`invoice_issue` is safe to call twice or at once for the same account and month: the account row
is locked, "already invoiced" is checked under that lock, and a unique constraint backs it up.
"""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from billing.models import Charge, Invoice, InvoiceCounter, InvoiceLine, UsageRecord
from billing.money import ZERO, tnd
from billing.payments import payments_allocate
from catalogue.models import Option
from catalogue.selectors import grid_parameters, offer_terms, option_fee
from subscriptions.models import Contract, Line, LineOption

K = InvoiceLine.Kind


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @classmethod
    def month(cls, any_day: date) -> "Period":
        last = calendar.monthrange(any_day.year, any_day.month)[1]
        return cls(any_day.replace(day=1), any_day.replace(day=last))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class DraftLine:
    kind: str
    label: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    line: Line | None = None


def _ended_on(line: Line) -> date | None:
    ends = [c.at.date() for c in line.status_changes.all() if c.to_status == Line.Status.TERMINATED]
    return min(ends) if ends else None


def _share(first: date, last: date, period: Period) -> Decimal:
    """R9.1 decision: a recurring fee for part of a month is prorated by day."""
    return Decimal((last - first).days + 1) / Decimal(period.days)


def _recurring(line: Line, period: Period, until: date) -> list[DraftLine]:
    activated = line.activated_at.date()
    ended = _ended_on(line)
    first, last = max(activated, period.start), min(ended or period.end, period.end, until)
    if first > last:
        return []
    drafts = []
    fee = offer_terms(line.offer, on=first).monthly_fee
    share = _share(first, last, period)
    drafts.append(
        DraftLine(
            K.SUBSCRIPTION,
            f"{line.offer.name} — {line.number} ({first:%d/%m} - {last:%d/%m})",
            share.quantize(Decimal("0.001")),
            fee,
            tnd(fee * share),
            line,
        )
    )
    for taken in line.line_options.all():
        option = taken.option
        start = max(taken.started_on, first)
        stop = min(taken.ended_on or last, last)
        if start > stop:
            continue
        price = option_fee(option, on=start)
        if option.period == Option.Period.MONTH:
            # R9.2: an option taken or left during the month is billed for its days.
            part = _share(start, stop, period)
            drafts.append(
                DraftLine(
                    K.OPTION,
                    f"{option.name} — {line.number} ({start:%d/%m} - {stop:%d/%m})",
                    part.quantize(Decimal("0.001")),
                    price,
                    tnd(price * part),
                    line,
                )
            )
        elif period.start <= taken.started_on <= period.end:
            # A pass by the week or the year is billed in full for the month it is taken in.
            drafts.append(
                DraftLine(
                    K.OPTION, f"{option.name} — {line.number}", Decimal(1), price, price, line
                )
            )
    return drafts


USAGE_LABELS = {
    UsageRecord.Kind.VOICE: "Appels nationaux hors forfait (min)",
    UsageRecord.Kind.SMS: "SMS hors forfait",
    UsageRecord.Kind.DATA: "Données hors forfait (Mo)",
    UsageRecord.Kind.INTERNATIONAL: "Appels internationaux (min)",
}


def _usage(line: Line, period: Period) -> list[DraftLine]:
    """Usage beyond the offer's allowances: the allowance covers the month's first units, each
    record beyond it is billed at the price of its own day (R1.3)."""
    terms = offer_terms(line.offer, on=max(line.activated_at.date(), period.start))
    remaining = {
        UsageRecord.Kind.VOICE: Decimal(terms.voice_minutes_included),
        UsageRecord.Kind.SMS: Decimal(terms.sms_included),
        UsageRecord.Kind.DATA: Decimal(terms.data_mb_included),
        UsageRecord.Kind.INTERNATIONAL: ZERO,
    }
    billed: dict[str, list[Decimal]] = {}
    for record in line.period_usage:
        free = min(remaining[record.kind], record.quantity)
        remaining[record.kind] -= free
        beyond = record.quantity - free
        if beyond:
            quantity, amount = billed.setdefault(record.kind, [ZERO, ZERO])
            billed[record.kind] = [quantity + beyond, amount + beyond * record.unit_price]
    return [
        DraftLine(
            K.USAGE,
            f"{USAGE_LABELS[kind]} - {line.number}",
            quantity,
            tnd(amount / quantity),
            tnd(amount),
            line,
        )
        for kind, (quantity, amount) in billed.items()
    ]


def draft_lines(
    contract: Contract, period: Period, charges: list[Charge], *, until: date | None = None
) -> list[DraftLine]:
    """The lines of the period's invoice; with `until`, only what is due up to that day (fees
    are still prorated on the whole month)."""
    until = until or period.end
    drafts: list[DraftLine] = []
    for line in contract.lines.all():
        if line.offer.is_postpaid and line.activated_at and line.activated_at.date() <= until:
            drafts += _recurring(line, period, until)
            drafts += _usage(line, period)
    drafts += [
        DraftLine(K.ONE_OFF, charge.label, Decimal(1), charge.amount, charge.amount, charge.line)
        for charge in charges
    ]
    return drafts


def _minimum_complement(contract: Contract, drafts: list[DraftLine], on: date) -> DraftLine | None:
    """R9.1: from the second invoice, flagged offers are billed at least the grid's minimum."""
    flagged = any(line.offer.minimum_invoice_applies for line in contract.lines.all())
    if not flagged or not contract.invoices.filter(kind=Invoice.Kind.INVOICE).exists():
        return None
    minimum = grid_parameters(on=on).minimum_invoice_excl_tax
    subtotal = sum((d.amount for d in drafts), ZERO)
    if subtotal >= minimum:
        return None
    gap = tnd(minimum - subtotal)
    return DraftLine(K.MINIMUM, "Complément minimum de facturation", Decimal(1), gap, gap)


def next_number(*, series: str, year: int) -> str:
    """The next number of a series, without gap or duplicate: call it inside the transaction
    that creates the invoice, so that a failed invoice gives its number back."""
    try:
        with transaction.atomic():
            InvoiceCounter.objects.get_or_create(series=series, year=year)
    except IntegrityError:  # another run created the counter at the same moment
        pass
    counter = InvoiceCounter.objects.select_for_update().get(series=series, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{series}{year}-{counter.last_number:06d}"


def contract_for_billing(contract_id: int, period: Period) -> Contract:
    start = timezone.make_aware(datetime.combine(period.start, time.min))
    end = timezone.make_aware(datetime.combine(period.end + timedelta(days=1), time.min))
    usage = UsageRecord.objects.filter(started_at__gte=start, started_at__lt=end).order_by(
        "started_at", "pk"
    )
    lines = Line.objects.select_related("offer", "number").prefetch_related(
        "status_changes",
        Prefetch("line_options", queryset=LineOption.objects.select_related("option")),
        Prefetch("usage_records", queryset=usage, to_attr="period_usage"),
    )
    return (
        Contract.objects.select_related("customer")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .get(pk=contract_id)
    )


def invoice_issue(*, contract_id: int, period: Period, issued_on: date) -> Invoice | None:
    """Issue the month's invoice of an account, once; None when there is nothing to bill or
    when it was already issued."""
    with transaction.atomic():
        Contract.objects.select_for_update().get(pk=contract_id)  # one biller per account
        if Invoice.objects.filter(
            contract_id=contract_id, period_start=period.start, kind=Invoice.Kind.INVOICE
        ).exists():
            return None
        contract = contract_for_billing(contract_id, period)
        charges = list(
            Charge.objects.filter(
                contract=contract, invoice__isnull=True, charged_on__lte=period.end
            )
        )
        drafts = draft_lines(contract, period, charges)
        if not drafts:
            return None
        complement = _minimum_complement(contract, drafts, period.end)
        if complement:
            drafts.append(complement)
        parameters = grid_parameters(on=issued_on)
        excl = sum((d.amount for d in drafts), ZERO)
        vat = tnd(excl * parameters.vat_rate)  # R9.1: VAT applies to the whole, complement included
        customer = contract.customer
        commitments = [
            line.commitment_ends_on for line in contract.lines.all() if line.commitment_ends_on
        ]
        invoice = Invoice.objects.create(
            contract=contract,
            period_start=period.start,
            period_end=period.end,
            number=next_number(series="F", year=issued_on.year),
            issued_on=issued_on,
            due_on=issued_on + timedelta(days=parameters.invoice_due_days),  # R9.3
            customer_name=customer.display_name,
            customer_identity=customer.identity_number,
            customer_address=f"{customer.street}, {customer.postal_code} {customer.city}",
            language=(customer.user.language if customer.user_id else "fr"),
            total_excl_tax=excl,
            vat_rate=parameters.vat_rate,
            vat_amount=vat,
            stamp_duty=parameters.stamp_duty,
            total_incl_tax=excl + vat + parameters.stamp_duty,
            commitment_ends_on=max(commitments) if commitments else None,
        )
        InvoiceLine.objects.bulk_create(
            InvoiceLine(
                invoice=invoice,
                kind=d.kind,
                line=d.line,
                label=d.label[:200],
                quantity=d.quantity,
                unit_price=d.unit_price,
                amount_excl_tax=d.amount,
                position=i,
            )
            for i, d in enumerate(drafts)
        )
        Charge.objects.filter(pk__in=[c.pk for c in charges]).update(invoice=invoice)
        payments_allocate(contract=contract)  # money received in advance settles it at once
        from billing.tasks import render_and_send_invoice  # the tasks module imports this one

        # Robust: the invoice is committed whatever happens to its mail (the PDF is rendered on
        # the first download anyway).
        transaction.on_commit(lambda: render_and_send_invoice.delay(invoice.pk), robust=True)
    return invoice


def accounts_to_bill(period: Period):
    """Accounts with a postpaid line open during the period and no invoice for it yet."""
    open_in_period = Q(
        lines__activated_at__date__lte=period.end,
    ) & ~Q(lines__offer__kind="prepaid")
    return (
        Contract.objects.filter(open_in_period)
        .exclude(invoices__period_start=period.start, invoices__kind=Invoice.Kind.INVOICE)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
