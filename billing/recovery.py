"""R19.1: what a debtor owes when the operator goes to court for non-payment.

Administrative fees, the minimum-period fees not yet billed, lawyer fees per instance and late
interest on each unpaid invoice from its due date: simple interest, actual days / 365 (decision
of RULES.md). Every amount and the rate are grid parameters.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings

from billing.models import Invoice
from billing.money import ZERO, tnd
from billing.payments import balance_of, invoices_with_balance
from catalogue.selectors import grid_parameters, offer_terms
from portal.pdf import render_pdf
from subscriptions.models import Contract, Line


@dataclass(frozen=True)
class InterestLine:
    invoice: Invoice
    unpaid: Decimal
    days: int
    interest: Decimal


@dataclass
class RecoveryStatement:
    contract: Contract
    on: date
    instances: int
    unpaid_invoices: Decimal = ZERO
    interest_lines: list[InterestLine] = field(default_factory=list)
    admin_fee: Decimal = ZERO
    lawyer_fees: Decimal = ZERO
    unbilled_commitment: Decimal = ZERO
    rate: Decimal = ZERO

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


def line_remaining_commitment_fees(line: Line, *, on: date) -> Decimal:
    """The line's monthly fees from the month after `on` to the end of its commitment; a last
    partial month counts for its days (R17.5, R19.1)."""
    start = on.replace(day=1) + relativedelta(months=1)
    end = line.commitment_ends_on
    if not end or end < start or not line.offer.is_postpaid:
        return ZERO
    fee = offer_terms(line.offer, on=on).monthly_fee
    span = relativedelta(end + timedelta(days=1), start)
    months = Decimal(span.years * 12 + span.months)
    if span.days:
        last = (end.replace(day=1) + relativedelta(months=1) - timedelta(days=1)).day
        months += Decimal(span.days) / Decimal(last)
    return tnd(fee * months)


def remaining_commitment_fees(contract: Contract, *, on: date) -> Decimal:
    """The monthly fees from the month after `on` to the end of each line's commitment."""
    lines = contract.lines.select_related("offer")
    return tnd(sum((line_remaining_commitment_fees(line, on=on) for line in lines), ZERO))


def recovery_statement(*, contract: Contract, on: date, instances: int = 1) -> RecoveryStatement:
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
    statement.lawyer_fees = tnd(parameters.legal_lawyer_fee * instances)
    statement.unbilled_commitment = remaining_commitment_fees(contract, on=on)
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
