"""What accounts owe for a calendar month, and the invoices that freeze it (R9.1 to R9.3).

A billing batch reads what it needs for all its accounts at once (one query per kind of data),
prices them in memory against one snapshot of the grid, and writes the invoices, their lines and
a block of numbers in one transaction. `invoices_issue` is safe to call twice or at once for the
same accounts and month: the account rows are locked, "already invoiced" is checked under those
locks, and a unique constraint backs it up.
"""

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, TypeAlias, TypedDict, cast

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Prefetch, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from billing.models import Charge, Invoice, InvoiceCounter, InvoiceLine, Payment, UsageRecord
from billing.payments import payments_allocate
from billing.rating import (
    PassWindow,
    fees_paid_from_balance,
    pass_windows,
    usage_paid_from_balance,
    usage_split,
)
from billing.signals import invoices_issued
from catalogue.models import Option
from catalogue.selectors import GridSnapshot
from lib.bulk import bulk_insert, rows_insert
from lib.money import ZERO, format_tnd, tnd
from lib.tasks import enqueue
from passes.models import OptionMonthPaid
from subscriptions.models import Contract, Line, LineOption, LineStatusChange


class OptionRead(TypedDict):
    """What contracts_for_billing reads onto each option taken: the month paid from the
    balance, if any (R10.7)."""

    month_paid: list[OptionMonthPaid]


class LineRead(TypedDict):
    """What contracts_for_billing reads onto each line."""

    msisdn: str
    activated_on: date | None  # the local day of `activated_at`
    terminations: list[LineStatusChange]
    options_taken: "list[OptionTaken]"
    # (kind, quantity, unit price, start, country), the start only when a pass ran (R1.2)
    period_usage: list[Any]
    pass_windows: list[PassWindow]


class ContractRead(TypedDict):
    """What contracts_for_billing reads onto each contract: its lines, as read."""

    billed_lines: "list[BilledLine]"


if TYPE_CHECKING:  # django-stubs' helper, installed with the checker only
    from django.db.models import QuerySet
    from django_stubs_ext import WithAnnotations

    OptionTaken: TypeAlias = WithAnnotations[LineOption, OptionRead]
    BilledLine: TypeAlias = WithAnnotations[Line, LineRead]
    BilledContract: TypeAlias = WithAnnotations[Contract, ContractRead]

K = InvoiceLine.Kind
INVOICE_LINE_FIELDS = [
    "invoice_id",
    "kind",
    "taxable",
    "line_id",
    "label",
    "quantity",
    "unit_price",
    "amount_excl_tax",
    "position",
]


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

    def bounds(self) -> tuple[datetime, datetime]:
        """The period as [first instant, instant after the last day[ in local time."""
        return (
            timezone.make_aware(datetime.combine(self.start, time.min)),
            timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min)),
        )


@dataclass(frozen=True)
class DraftLine:
    kind: str
    label: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    line: Line | None = None
    taxable: bool = True

    @property
    def amounts(self) -> tuple[Decimal, Decimal, Decimal]:
        return self.quantity, self.unit_price, self.amount


# Dates are Africa/Tunis: a timestamp's day is `timezone.localdate(ts)`, never `ts.date()` (the
# UTC day, which puts an activation or a termination at 00:30 on the day before).
def _ended_on(line: "BilledLine") -> date | None:
    ends = [timezone.localdate(change.at) for change in line.terminations]
    return min(ends) if ends else None


LABEL_LENGTH = cast(int, InvoiceLine._meta.get_field("label").max_length)  # a CharField


def _label(name: str, details: str) -> str:
    """A line's label: a service's name, then its details; a name too long is cut, never the
    details (the computation of a prorated fee)."""
    return name[: max(0, LABEL_LENGTH - len(details))] + details


def _prorated(
    name: str, msisdn: str, fee: Decimal, first: date, last: date, period: Period
) -> tuple[str, Decimal]:
    """R9.1 decision: a recurring fee for part of a month is prorated by day. Returns the label
    and the amount; the label of a part of the month says the computation that gives the amount
    ("01/11 - 15/11 : 15 jours / 30 × 30,000 TND"), the line's quantity is 1 and its unit price
    the amount, so that every figure printed multiplies to the amount printed (a share rounded
    to a quantity, 0.484 × 45.000, would not: 15/31 × 45.000 is 21.774, not 21.780)."""
    days = (last - first).days + 1
    if days == period.days:
        return _label(name, f" — {msisdn} ({first:%d/%m} - {last:%d/%m})"), fee
    computation = ngettext(
        "%(start)s - %(end)s: %(days)s day / %(month_days)s × %(fee)s",
        "%(start)s - %(end)s: %(days)s days / %(month_days)s × %(fee)s",
        days,
    ) % {
        "start": f"{first:%d/%m}",
        "end": f"{last:%d/%m}",
        "days": days,
        "month_days": period.days,
        "fee": format_tnd(fee),
    }
    return _label(name, f" — {msisdn} ({computation})"), tnd(fee * days / period.days)


def _recurring(
    line: "BilledLine", period: Period, until: date, grid: GridSnapshot
) -> list[DraftLine]:
    activated = cast(date, line.activated_on)  # a postpaid line billed is activated
    ended = _ended_on(line)
    first, last = max(activated, period.start), min(ended or period.end, period.end, until)
    if first > last:
        return []
    drafts = []
    # R1.3: each day is billed at the price in force that day; a price that changes during
    # the month cuts the prorated fee in two lines, each at its price.
    for begin, end, fee in grid.offer_fees(line.offer, first=first, last=last):
        label, amount = _prorated(line.offer.label, line.msisdn, fee, begin, end, period)
        drafts.append(DraftLine(K.SUBSCRIPTION, label, Decimal(1), amount, amount, line))
    from_balance = fees_paid_from_balance(line.offer, grid.grid_parameters(on=period.end))
    for taken in line.options_taken:
        option = taken.option
        if hasattr(taken, "pass_holding"):
            continue  # R1.2: a pass's periods are billed as they start, by their charges
        start = max(taken.started_on, first)
        stop = min(taken.ended_on or last, last)
        if start > stop:
            continue
        if option.period == Option.Period.MONTH and (taken.month_paid or from_balance):
            # R10.7: a month paid in advance from the balance (passes/option_fees.py) is shown
            # paid, whatever the grid says now; while the grid says the balance pays, a month
            # not paid (the option ended for it) is never billed on the capped invoice.
            for paid in taken.month_paid:
                label = FEE_FROM_BALANCE_LABEL % {
                    "option": option.label,
                    "fee": format_tnd(paid.fee),
                }
                drafts.append(
                    DraftLine(K.INCLUDED, f"{label} - {line.msisdn}", Decimal(1), ZERO, ZERO, line)
                )
        elif option.period == Option.Period.MONTH:
            # R9.2: an option taken or left during the month is billed for its days.
            for begin, end, price in grid.option_fees(option, first=start, last=stop):
                label, amount = _prorated(option.label, line.msisdn, price, begin, end, period)
                drafts.append(DraftLine(K.OPTION, label, Decimal(1), amount, amount, line))
        elif period.start <= taken.started_on <= period.end:
            price = grid.option_fee(option, on=start)
            # A pass by the week or the year is billed in full for the month it is taken in.
            label = _label(option.label, f" — {line.msisdn}")
            drafts.append(DraftLine(K.OPTION, label, Decimal(1), price, price, line))
    return drafts


# Labels are written in the invoice's language when it is issued (invoices_issue).
USAGE_LABELS: dict[str, Any] = {
    UsageRecord.Kind.VOICE: gettext_lazy("National calls beyond allowances (min)"),
    UsageRecord.Kind.SMS: gettext_lazy("SMS beyond allowances"),
    UsageRecord.Kind.DATA: gettext_lazy("Data beyond allowances (MB)"),
    UsageRecord.Kind.INTERNATIONAL: gettext_lazy("International calls (min)"),
}
INCLUDED_LABELS: dict[str, Any] = {
    UsageRecord.Kind.VOICE: gettext_lazy("National calls included in %(pass)s (min)"),
    UsageRecord.Kind.SMS: gettext_lazy("SMS included in %(pass)s"),
    UsageRecord.Kind.DATA: gettext_lazy("Data included in %(pass)s (MB)"),
    UsageRecord.Kind.INTERNATIONAL: gettext_lazy("International calls included in %(pass)s (min)"),
}

FROM_BALANCE_LABEL = gettext_lazy("%(usage)s, paid from the top-up balance (capped invoice)")
FEE_FROM_BALANCE_LABEL = gettext_lazy(
    "%(option)s, %(fee)s paid from the top-up balance (capped invoice)"
)


def _usage(line: "BilledLine", period: Period, grid: GridSnapshot) -> list[DraftLine]:
    """Usage beyond the offer's allowances: the allowance covers the month's first units, each
    record beyond it is billed at the price of its own day (R1.3). One line per kind and unit
    price, so that its quantity × its unit price gives its amount (an average price of two
    would not)."""
    terms = grid.offer_terms(line.offer, on=max(cast(date, line.activated_on), period.start))
    remaining: dict[str, Decimal] = {
        UsageRecord.Kind.VOICE: Decimal(terms.voice_minutes_included),
        UsageRecord.Kind.SMS: Decimal(terms.sms_included),
        UsageRecord.Kind.DATA: Decimal(terms.data_mb_included),
        UsageRecord.Kind.INTERNATIONAL: ZERO,
    }
    billed: dict[str, dict[Decimal, Decimal]] = {}
    included: dict[tuple[str, str], Decimal] = {}
    # R1.2: usage a pass running at its time includes is rated zero and shown as included;
    # only the rest meets the offer's allowances and its rates. Never both.
    for rated in usage_split(line.period_usage, line.pass_windows):
        kind = rated.kind
        if rated.window is not None:
            key = (kind, rated.window.name)  # in the invoice's language (invoices_issue)
            included[key] = included.get(key, ZERO) + rated.included
        free = min(remaining[kind], rated.charged)
        remaining[kind] -= free
        beyond = rated.charged - free
        if beyond:
            by_price = billed.setdefault(kind, {})
            by_price[rated.unit_price] = by_price.get(rated.unit_price, ZERO) + beyond
    drafts = [
        DraftLine(
            K.INCLUDED,
            f"{INCLUDED_LABELS[kind] % {'pass': name}} - {line.msisdn}",
            quantity,
            ZERO,
            ZERO,
            line,
        )
        for (kind, name), quantity in included.items()
    ]
    if usage_paid_from_balance(line.offer):  # R1.1, R10.7: the capped invoice bills none of it
        return drafts + [
            DraftLine(
                K.INCLUDED,
                f"{FROM_BALANCE_LABEL % {'usage': USAGE_LABELS[kind]}} - {line.msisdn}",
                sum(by_price.values(), ZERO),
                ZERO,
                ZERO,
                line,
            )
            for kind, by_price in billed.items()
        ]
    return drafts + [
        DraftLine(
            K.USAGE,
            f"{USAGE_LABELS[kind]} - {line.msisdn}",
            quantity,
            unit_price,
            tnd(quantity * unit_price),
            line,
        )
        for kind, by_price in billed.items()
        for unit_price, quantity in by_price.items()
    ]


CHARGE_KINDS = {"pass": K.OPTION, "pass_credit": K.CREDIT}  # passes/services, interruptions


def _charge_draft(charge: Charge) -> DraftLine:
    if not charge.taxable:  # R10.4: a debt carried from another account was taxed there
        return DraftLine(
            K.CARRIED_DEBT, charge.label, Decimal(1), charge.amount, charge.amount, None, False
        )
    kind = CHARGE_KINDS.get(charge.fee_kind, K.ONE_OFF)
    return DraftLine(kind, charge.label, Decimal(1), charge.amount, charge.amount, charge.line)


def draft_lines(
    contract: "BilledContract",
    period: Period,
    charges: list[Charge],
    *,
    until: date | None = None,
    grid: GridSnapshot | None = None,
) -> list[DraftLine]:
    """The lines of the period's invoice of a contract read by `contracts_for_billing`; with
    `until`, only what is due up to that day (fees are still prorated on the whole month)."""
    until = until or period.end
    grid = grid or GridSnapshot()
    drafts: list[DraftLine] = []
    for line in contract.billed_lines:
        if line.offer.is_postpaid and line.activated_on and line.activated_on <= until:
            drafts += _recurring(line, period, until, grid)
            drafts += _usage(line, period, grid)
    return drafts + [_charge_draft(charge) for charge in charges]


def _minimum_complement(
    contract: "BilledContract", drafts: list[DraftLine], minimum: Decimal, invoiced_before: bool
) -> DraftLine | None:
    """R9.1: from the second invoice, flagged offers are billed at least the grid's minimum
    (a debt carried from another account is not a sale of the month and does not count)."""
    flagged = any(line.offer.minimum_invoice_applies for line in contract.billed_lines)
    if not flagged or not invoiced_before:
        return None
    subtotal = sum((d.amount for d in drafts if d.taxable), ZERO)
    if subtotal >= minimum:
        return None
    gap = tnd(minimum - subtotal)
    return DraftLine(K.MINIMUM, _("Minimum invoice complement"), Decimal(1), gap, gap)


def numbers_take(*, series: str, year: int, count: int) -> list[str]:
    """The next `count` numbers of a series, without gap or duplicate: call it inside the
    transaction that creates the invoices, so that a failed batch gives its numbers back."""
    try:
        with transaction.atomic():
            InvoiceCounter.objects.get_or_create(series=series, year=year)
    except IntegrityError:  # another run created the counter at the same moment
        pass
    counter = InvoiceCounter.objects.select_for_update().get(series=series, year=year)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return [f"{series}{year}-{n:06d}" for n in range(first, first + count)]


def next_number(*, series: str, year: int) -> str:
    return numbers_take(series=series, year=year, count=1)[0]


def contracts_for_billing(
    contract_ids: list[int], period: Period, grid: GridSnapshot | None = None
) -> "list[BilledContract]":
    """The accounts with what their invoice needs, in one query per kind of data: lines
    (`billed_lines`) with their offer (from the grid snapshot), `msisdn`, `terminations` and
    `options_taken`, and the period's usage as (kind, quantity, unit price) in time order on each
    line's `period_usage`."""
    grid = grid or GridSnapshot()
    ids = contract_ids
    contracts = cast(  # given their billed_lines below
        "list[BilledContract]",
        list(
            Contract.objects.filter(pk__in_ids=ids).select_related("customer__user").order_by("pk")
        ),
    )
    lines: dict[int, list[BilledLine]] = defaultdict(list)
    by_pk: dict[int, BilledLine] = {}
    read = Line.objects.filter(contract_id__in_ids=ids).annotate(msisdn=F("number__msisdn"))
    zone = timezone.get_current_timezone()  # once: each lookup of the active zone costs
    for line in cast("QuerySet[BilledLine]", read):  # given the rest of LineRead below
        line.offer = grid.offers[line.offer_id]
        line.activated_on = line.activated_at and timezone.localdate(line.activated_at, zone)
        line.terminations, line.options_taken, line.period_usage = [], [], []
        line.pass_windows = []
        lines[line.contract_id].append(line)
        by_pk[line.pk] = line
    for change in LineStatusChange.objects.filter(
        line__contract_id__in_ids=ids, to_status=Line.Status.TERMINATED
    ):
        by_pk[change.line_id].terminations.append(change)
    paid = Prefetch(  # R10.7: the months paid from a capped line's balance
        "months_paid", OptionMonthPaid.objects.filter(month=period.start), to_attr="month_paid"
    )
    for taken in (
        LineOption.objects.filter(line__contract_id__in_ids=ids)
        .select_related("option", "pass_holding")
        .prefetch_related(paid)
    ):
        by_pk[taken.line_id].options_taken.append(taken)
    start, end = period.bounds()
    _pass_windows(ids, start, end, by_pk)
    _period_usage(by_pk, start, end)
    for contract in contracts:
        contract.billed_lines = lines[contract.pk]
    return contracts


def _period_usage(by_pk: "dict[int, BilledLine]", start: datetime, end: datetime) -> None:
    """The usage of [start, end[ on each line's `period_usage`, in time order (by line: the
    index on (line, started_at)); its start read only for the lines a pass ran on, the only
    ones rated by the time of each record (R1.2): most lines are rated in order alone."""
    untimed = [pk for pk, line in by_pk.items() if not line.pass_windows]
    timed = [pk for pk, line in by_pk.items() if line.pass_windows]
    for lines, fields in ((untimed, ()), (timed, ("started_at",))):
        if not lines:
            continue
        for line_id, kind, quantity, unit_price, *at, country in (
            UsageRecord.objects.filter(
                line_id__in_ids=lines, started_at__gte=start, started_at__lt=end
            )
            .order_by("line_id", "started_at", "pk")
            .values_list("line_id", "kind", "quantity", "unit_price", *fields, "country")
        ):
            by_pk[line_id].period_usage.append(
                (kind, quantity, unit_price, at[0] if at else None, country)
            )


def _pass_windows(ids, start: datetime, end: datetime, by_pk: "dict[int, BilledLine]") -> None:
    """R1.2: the periods of passes running during [start, end[ on each line's `pass_windows`."""

    for line_id, windows in pass_windows(list(by_pk), start, end).items():
        by_pk[line_id].pass_windows = windows


def contract_for_billing(contract_id: int, period: Period) -> "BilledContract":
    return contracts_for_billing([contract_id], period)[0]


def _invoice_for(
    contract: "BilledContract", drafts: list[DraftLine], period: Period, issued_on: date, grid
) -> Invoice:
    parameters = grid.grid_parameters(on=issued_on)
    excl = sum((d.amount for d in drafts), ZERO)
    # R9.1: VAT applies to the whole, complement included; a carried debt (R10.4) was taxed.
    vat = tnd(sum((d.amount for d in drafts if d.taxable), ZERO) * parameters.vat_rate)
    customer = contract.customer
    commitments = [
        line.commitment_ends_on for line in contract.billed_lines if line.commitment_ends_on
    ]
    return Invoice(
        contract=contract,
        period_start=period.start,
        period_end=period.end,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=parameters.invoice_due_days),  # R9.3
        customer_name=customer.display_name,
        customer_identity=customer.identity_number,
        customer_address=f"{customer.street}, {customer.postal_code} {customer.city}",
        language=customer.language,
        total_excl_tax=excl,
        vat_rate=parameters.vat_rate,
        vat_amount=vat,
        stamp_duty=parameters.stamp_duty,
        total_incl_tax=excl + vat + parameters.stamp_duty,
        commitment_ends_on=max(commitments) if commitments else None,
    )


def _money_waiting(contract_ids: list[int]) -> set[int]:
    """Accounts holding money not yet allocated (an advance, an overpayment)."""
    return set(
        Payment.objects.filter(contract_id__in_ids=contract_ids, reversed_at__isnull=True)
        .annotate(used=Coalesce(Sum("allocations__amount"), ZERO))
        .filter(amount__gt=F("used"))
        .values_list("contract_id", flat=True)
    )


def invoices_issue(*, contract_ids: list[int], period: Period, issued_on: date) -> list[Invoice]:
    """Issue the month's invoices of a batch of accounts, each once; accounts with nothing to
    bill or already invoiced are skipped. All or nothing: a failure leaves no invoice and no
    number taken, and the caller may retry the accounts one by one."""
    grid = GridSnapshot()
    with transaction.atomic():
        locked = list(  # one biller per account, locked in one order so that batches never deadlock
            Contract.objects.select_for_update()
            .filter(pk__in_ids=contract_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        invoiced_on = set(  # (account, month) of the accounts' earlier invoices
            Invoice.objects.filter(contract_id__in_ids=locked, kind=Invoice.Kind.INVOICE)
            .values_list("contract_id", "period_start")
            .distinct()
        )
        invoiced = {pk for pk, start in invoiced_on if start == period.start}
        invoiced_before = {pk for pk, _ in invoiced_on}
        todo = [pk for pk in locked if pk not in invoiced]
        # A charge goes on the invoice of the month of its local date (`charged_on`), or on the
        # next one when that month's was issued before the charge was made (R9.5, R1.3): every
        # charge not yet billed and dated up to the period's end. It is marked with its invoice
        # under the account's lock, so a rerun or a concurrent batch never bills it twice.
        charges = defaultdict(list)
        for charge in Charge.objects.filter(
            contract_id__in_ids=todo, invoice__isnull=True, charged_on__lte=period.end
        ).select_related("line"):
            charges[charge.contract_id].append(charge)
        minimum = grid.grid_parameters(on=period.end).minimum_invoice_excl_tax
        issued: list[Issued] = []
        by_language = defaultdict(list)
        for contract in contracts_for_billing(todo, period, grid):
            by_language[contract.customer.language].append(contract)
        for language, contracts in by_language.items():
            with translation.override(language):  # the lines' labels, once per language
                for contract in contracts:
                    drafts = draft_lines(contract, period, charges[contract.pk], grid=grid)
                    if not drafts:
                        continue
                    complement = _minimum_complement(
                        contract, drafts, minimum, contract.pk in invoiced_before
                    )
                    drafts += [complement] if complement else []
                    invoice = _invoice_for(contract, drafts, period, issued_on, grid)
                    issued.append((invoice, drafts, charges[contract.pk]))
        issued.sort(key=lambda each: each[0].contract_id)  # numbered in the accounts' order
        return _invoices_write(issued, issued_on)


Issued = tuple[Invoice, list[DraftLine], list[Charge]]


def _invoices_write(issued: list[Issued], issued_on: date) -> list[Invoice]:
    """Number and write the invoices with their lines, mark their charges billed, settle them
    with money waiting, and mail them after commit. In the caller's transaction, under the
    accounts' locks."""
    if not issued:
        return []
    numbers = numbers_take(series="F", year=issued_on.year, count=len(issued))
    for (invoice, _drafts, _charges), number in zip(issued, numbers, strict=True):
        invoice.number = number
    invoices = bulk_insert([invoice for invoice, _drafts, _charges in issued])
    rows_insert(
        InvoiceLine,
        INVOICE_LINE_FIELDS,
        (
            (invoice.pk, d.kind, d.taxable, d.line and d.line.pk, d.label[:200], *d.amounts, i)
            for invoice, drafts, _charges in issued
            for i, d in enumerate(drafts)
        ),
    )
    billed = []
    for invoice, _drafts, account_charges in issued:
        for charge in account_charges:
            charge.invoice = invoice
            billed.append(charge)
    Charge.objects.bulk_update(billed, ["invoice"])
    waiting = _money_waiting([invoice.contract_id for invoice in invoices])
    for invoice in invoices:
        if invoice.contract_id in waiting:
            payments_allocate(contract=invoice.contract)  # money received in advance settles it
    ids = [invoice.pk for invoice in invoices]
    invoices_issued.send(sender=Invoice, invoices=invoices)  # e-invoices to TTN (einvoicing)
    # Robust: the invoices are committed whatever happens to their mail (a PDF is rendered
    # on its first download anyway). One message per batch: its task renders and mails each.
    enqueue("billing.tasks.send_invoices", ids, robust=True)
    return invoices


def invoice_issue(*, contract_id: int, period: Period, issued_on: date) -> Invoice | None:
    """Issue the month's invoice of one account, once; None when there is nothing to bill or
    when it was already issued."""
    issued = invoices_issue(contract_ids=[contract_id], period=period, issued_on=issued_on)
    return issued[0] if issued else None


def final_invoice_issue(*, contract_id: int, on: date) -> Invoice | None:
    """R10.2: the contract's final invoice, dated `on` (the termination date), its period ending
    that day: the month's fees prorated up to `on`, the usage until then and every charge not
    yet billed. When a monthly invoice already covers `on` (the month was billed before the
    termination was processed), the final invoice bills what it did not: the charges. None when
    nothing is left to bill. In the caller's transaction; the caller ends the contract once."""
    grid = GridSnapshot()
    month = Period.month(on)
    with transaction.atomic():
        list(Contract.objects.select_for_update().filter(pk=contract_id).values_list("pk"))
        invoices = Invoice.objects.filter(contract_id=contract_id, kind=Invoice.Kind.INVOICE)
        covered = invoices.filter(is_final=False, period_end__gte=on).exists()
        period = Period(on, on) if covered else Period(month.start, on)
        charges = list(
            Charge.objects.filter(
                contract_id=contract_id, invoice__isnull=True, charged_on__lte=on
            ).select_related("line")
        )
        (contract,) = contracts_for_billing([contract_id], period, grid)
        with translation.override(contract.customer.language):  # the lines' labels
            if covered:
                drafts = [_charge_draft(charge) for charge in charges]
            else:
                drafts = draft_lines(contract, month, charges, until=on, grid=grid)
            if not drafts:
                return None
            minimum = grid.grid_parameters(on=on).minimum_invoice_excl_tax
            complement = None
            if not covered:
                complement = _minimum_complement(contract, drafts, minimum, invoices.exists())
        drafts += [complement] if complement else []
        invoice = _invoice_for(contract, drafts, period, on, grid)
        invoice.is_final = True
        return _invoices_write([(invoice, drafts, charges)], on)[0]


def accounts_to_bill(period: Period):
    """Accounts with a postpaid line open during the period and no invoice for it yet. A
    contract that ended before the period had its final invoice (R10.2): it is queued again only
    for a charge made since that no invoice holds yet."""
    open_in_period = Q(
        lines__activated_at__date__lte=period.end,  # the local date (USE_TZ, Africa/Tunis)
    ) & ~Q(lines__offer__kind="prepaid")
    unbilled = Charge.objects.filter(
        contract=OuterRef("pk"), invoice__isnull=True, charged_on__lte=period.end
    )
    still_billed = Q(ended_on__isnull=True) | Q(ended_on__gte=period.start) | Exists(unbilled)
    return (
        Contract.objects.filter(open_in_period, still_billed)
        .exclude(invoices__period_start=period.start, invoices__kind=Invoice.Kind.INVOICE)
        .order_by("pk")
        .values_list("pk", flat=True)
        .distinct()
    )
