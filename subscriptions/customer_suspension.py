"""Suspension at the customer's request (R13.2): everything the customer owes becomes payable at
once; the customer (or an agent for them) lifts it on request."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from billing.invoicing import Period, invoice_issue
from billing.models import Invoice
from subscriptions.models import Line, SuspensionCause
from subscriptions.suspensions import suspension_lift, suspension_open

CUSTOMER_REQUEST = SuspensionCause.Cause.CUSTOMER_REQUEST


class SuspensionRequestRefused(Exception):
    """The request cannot be made; the message is for the person who asked."""


def line_suspension_request(*, line: Line, actor: User, reason: str = "") -> list[Invoice]:
    """R13.2: suspend the line at the customer's request and make every sum owed payable now.

    Decision: the sums owed are those of the months that already started: the month just ended
    if its invoice is not issued yet, and the current month (its fees in full, since the line
    stays subscribed while suspended, its usage so far and its one-off charges). Each is
    invoiced today, due per the grid (R9.3). Prepaid lines owe nothing more: they paid at
    purchase (R10.6). Returns the invoices issued.
    """
    if line.status in (Line.Status.PENDING, Line.Status.TERMINATED):
        raise SuspensionRequestRefused(_("This line is not in service."))
    today = timezone.localdate()
    why = reason or gettext_noop("Suspension asked by the customer (R13.2)")
    with transaction.atomic():
        opened = suspension_open(line=line, cause=CUSTOMER_REQUEST, actor=actor, reason=why)
        if opened is None:
            raise SuspensionRequestRefused(_("The line is already suspended at your request."))
        if not line.offer.is_postpaid:
            return []
        months = [Period.month(today.replace(day=1) - timedelta(days=1)), Period.month(today)]
        issued = [
            invoice_issue(contract_id=line.contract_id, period=period, issued_on=today)
            for period in months
        ]
    return [invoice for invoice in issued if invoice is not None]


def line_suspension_request_lift(*, line: Line, actor: User, reason: str = "") -> None:
    """R13.2: the customer asks for the line back; other causes, if any, stay open (R13.1)."""
    lifted = suspension_lift(
        line=line,
        cause=CUSTOMER_REQUEST,
        actor=actor,
        reason=reason or gettext_noop("Lifted at the customer's request"),
    )
    if lifted is None:
        raise SuspensionRequestRefused(_("The line is not suspended at your request."))
