"""R19.1: what a debtor owes when the operator goes to court for non-payment.

Administrative fees, the minimum-period fees not yet billed, lawyer fees per instance (the
agent who prepares the statement says how many) and late interest on each unpaid invoice from
its due date: simple interest, actual days / 365 (decision of RULES.md). Every amount and the
rate are grid parameters. The statement prints the figures each amount is computed from, so
that it adds up as printed.
"""

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils.translation import ngettext

from billing.models import Invoice
from billing.payments import balance_of, invoices_with_balance
from catalogue.selectors import grid_parameters, offer_terms
from lib.money import ZERO, format_tnd, tnd
from lib.pdf import render_pdf
from subscriptions.models import Contract, Line


@dataclass(frozen=True)
class InterestLine:
    invoice: Invoice
    unpaid: Decimal
    days: int
    interest: Decimal


@dataclass(frozen=True)
class CommitmentFees:
    """A line's monthly fees left until the end of its minimum period: the days left in the
    current month out of its days (when the line ends before the month's end), whole months,
    then the days of a last partial month out of that month's days."""

    fee: Decimal
    months: int
    days: int
    month_days: int
    msisdn: str = ""  # the line's number, on a statement
    lead_days: int = 0
    lead_month_days: int = 0

    @property
    def amount(self) -> Decimal:
        # Whole months are exact in millimes: only the days' parts are rounded, as printed.
        lead = tnd(self.fee * self.lead_days / self.lead_month_days) if self.lead_days else ZERO
        last = tnd(self.fee * self.days / self.month_days) if self.days else ZERO
        return tnd(lead + self.fee * self.months + last)

    def _days(self, days: int, month_days: int, fee: str) -> str:
        return ngettext(
            "%(days)s day / %(month_days)s × %(fee)s",
            "%(days)s days / %(month_days)s × %(fee)s",
            days,
        ) % {"days": days, "month_days": month_days, "fee": fee}

    @property
    def computation(self) -> str:
        """The computation that gives `amount`, in the active language."""
        fee = format_tnd(self.fee)
        parts = []
        if self.lead_days:
            parts.append(self._days(self.lead_days, self.lead_month_days, fee))
        if self.months:
            parts.append(
                ngettext("%(months)s month × %(fee)s", "%(months)s months × %(fee)s", self.months)
                % {"months": self.months, "fee": fee}
            )
        if self.days:
            parts.append(self._days(self.days, self.month_days, fee))
        return " + ".join(parts)


@dataclass
class RecoveryStatement:
    contract: Contract
    on: date
    instances: int
    unpaid_invoices: Decimal = ZERO
    interest_lines: list[InterestLine] = field(default_factory=list)
    admin_fee: Decimal = ZERO
    lawyer_fee: Decimal = ZERO  # per instance
    lawyer_fees: Decimal = ZERO
    commitment_lines: list[CommitmentFees] = field(default_factory=list)
    unbilled_commitment: Decimal = ZERO
    rate: Decimal = ZERO

    @property
    def rate_percent(self) -> Decimal:
        """The yearly rate as printed: 13 for 0.1300."""
        return self.rate * 100

    @property
    def interest(self) -> Decimal:
        return sum((line.interest for line in self.interest_lines), ZERO)

    @property
    def total(self) -> Decimal:
        return tnd(
            self.unpaid_invoices
            + self.interest
            + self.admin_fee
            + self.lawyer_fees
            + self.unbilled_commitment
        )


def line_remaining_commitment(line: Line, *, on: date) -> CommitmentFees | None:
    """The line's monthly fees from the month after `on` to the end of its commitment, with
    what they are computed from; a last partial month counts for its days (R17.5, R19.1).
    None when nothing is left."""
    start = on.replace(day=1) + relativedelta(months=1)
    end = line.commitment_ends_on
    if not end or end < start or not line.offer.is_postpaid:
        return None
    span = relativedelta(end + timedelta(days=1), start)
    return CommitmentFees(
        fee=offer_terms(line.offer, on=on).monthly_fee,
        months=span.years * 12 + span.months,
        days=span.days,
        month_days=(end.replace(day=1) + relativedelta(months=1) - timedelta(days=1)).day,
    )


def line_fees_after(line: Line, *, day: date) -> CommitmentFees | None:
    """R16.3, R17.5: the line's monthly fees from the day after `day`, the last day its final
    invoice bills, to the end of its minimum period: the days left in `day`'s month count by
    day (R9.1 decision), then as `line_remaining_commitment`. None when nothing is left."""
    end = line.commitment_ends_on
    if not line.offer.is_postpaid or not end or end <= day:
        return None
    month_end = day.replace(day=1) + relativedelta(months=1) - timedelta(days=1)
    lead_days = (min(end, month_end) - day).days
    later = line_remaining_commitment(line, on=day)
    if later is None:
        later = CommitmentFees(
            fee=offer_terms(line.offer, on=day).monthly_fee, months=0, days=0, month_days=0
        )
    return replace(later, lead_days=lead_days, lead_month_days=month_end.day)


def line_fees_owed_after(line: Line, *, day: date) -> Decimal:
    """The amount of `line_fees_after` (ZERO when nothing is left)."""
    remaining = line_fees_after(line, day=day)
    return remaining.amount if remaining else ZERO


def _commitments(contract: Contract, on: date) -> list[CommitmentFees]:
    found = []
    for line in contract.lines.select_related("offer", "number").order_by("pk"):
        remaining = line_remaining_commitment(line, on=on)
        if remaining and remaining.amount:
            found.append(replace(remaining, msisdn=line.number.msisdn if line.number else ""))
    return found


def recovery_statement(*, contract: Contract, on: date, instances: int) -> RecoveryStatement:
    """The statement as of `on`, for a procedure through `instances` legal instances (first
    instance, appeal...): the lawyer fees are due per instance (R19.1)."""
    if instances < 1:
        raise ValueError("A legal action goes through one instance at least.")
    parameters = grid_parameters(on=on)
    statement = RecoveryStatement(contract=contract, on=on, instances=instances)
    statement.rate = parameters.late_interest_rate
    for invoice in invoices_with_balance(contract):
        unpaid = balance_of(invoice)
        if unpaid <= 0:
            continue
        statement.unpaid_invoices += unpaid
        days = max((on - invoice.due_on).days, 0)
        interest = tnd(unpaid * parameters.late_interest_rate * days / Decimal(365))
        statement.interest_lines.append(InterestLine(invoice, unpaid, days, interest))
    # R10.5: the costs of the legal procedure are charged to the debtor with what they owe.
    statement.admin_fee = parameters.legal_admin_fee
    statement.lawyer_fee = parameters.legal_lawyer_fee
    statement.lawyer_fees = tnd(parameters.legal_lawyer_fee * instances)
    statement.commitment_lines = _commitments(contract, on)
    statement.unbilled_commitment = tnd(
        sum((remaining.amount for remaining in statement.commitment_lines), ZERO)
    )
    return statement


def recovery_statement_pdf(statement: RecoveryStatement) -> bytes:
    """The statement as a PDF, in French (the language of the court file)."""
    return render_pdf(
        "pdf/recovery_statement.html",
        {
            "statement": statement,
            "customer": statement.contract.customer,
            "operator": settings.OPERATOR,
        },
        language="fr",
    )
