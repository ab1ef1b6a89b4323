"""What follows a termination letter for one line, from the day the operator receives it:
the rule applied, the effective date, the fees still owed and the refund due (R16.1 to R16.9).

The same function gives the customer's preview (from the expected receipt date) and the terms
frozen when the agent records the real receipt, so the two never disagree.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter

from dateutil.relativedelta import relativedelta
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from billing.recovery import line_fees_owed_after
from catalogue.models import GridParameters
from catalogue.selectors import grid_parameters
from lib.bidi import ltr
from lib.money import ZERO, tnd
from subscriptions.models import Line, SubscriptionFile
from terminations.models import ConditionsNotice, TerminationLine, TerminationRequest

Motive = TerminationRequest.Motive
Procedure = TerminationLine.Procedure


@dataclass(frozen=True)
class Terms:
    procedure: str
    effective_on: date
    fees_owed: Decimal
    subscription_fees_refund: Decimal
    motive_retained: bool
    # Why a just motive was not retained, in the active language ("" when it was, or ordinary).
    motive_note: str = ""

    @property
    def procedure_display(self) -> str:
        return str(Procedure(self.procedure).label)


def subscription_fees_paid(line: Line) -> Decimal:
    """R16.8: the connection fee paid for the line's subscription file."""
    file = SubscriptionFile.objects.filter(line=line, connection_fee_paid_at__isnull=False).first()
    return tnd(file.connection_fee) if file and file.connection_fee else ZERO


def notice_for(
    line: Line, motive: str, notices: Iterable[ConditionsNotice]
) -> ConditionsNotice | None:
    """The latest change notified to the customer that concerns the line's offer (a price
    increase for R16.7)."""
    matching = [
        notice
        for notice in notices
        if notice.notified_at
        and line.offer_id in {offer.pk for offer in notice.change.offers.all()}
        and (motive != Motive.TARIFF_INCREASE or notice.change.raises_price)
    ]
    return max(matching, key=attrgetter("notified_at"), default=None)


def _just_motive_refusal(
    line: Line,
    motive: str,
    received_on: date,
    notices: Iterable[ConditionsNotice],
    parameters: GridParameters,
) -> str:
    """ "" when the just motive holds on `received_on`, else why not (for the customer)."""
    if motive == Motive.SERVICE_UNAVAILABLE:
        # R16.8: within the grid's days (30) of the subscription, i.e. the line's activation (R4.1).
        start = timezone.localdate(line.activated_at)
        last = start + timedelta(days=parameters.just_motive_subscription_days)
        if received_on <= last:
            return ""
        return _(
            "The letter was received on %(received)s, more than %(days)s days after the "
            "subscription of %(number)s on %(start)s."
        ) % {
            "received": date_format(received_on),
            "days": parameters.just_motive_subscription_days,
            "number": ltr(line.number),
            "start": date_format(start),
        }
    notice = notice_for(line, motive, notices)
    if notice is None:
        if motive == Motive.TARIFF_INCREASE:
            return _("No price increase of the offer of %(number)s was notified to you.") % {
                "number": ltr(line.number)
            }
        return _("No change of the conditions of %(number)s was notified to you.") % {
            "number": ltr(line.number)
        }
    # R16.7, R16.9: within the grid's days (10) of the notification, kept per customer (R5.1).
    notified = timezone.localdate(notice.notified_at)
    last = notified + timedelta(days=parameters.just_motive_notification_days)
    if received_on <= last:
        return ""
    return _(
        "The letter was received on %(received)s, more than %(days)s days after the notice "
        "of %(notified)s about “%(change)s”."
    ) % {
        "received": date_format(received_on),
        "days": parameters.just_motive_notification_days,
        "notified": date_format(notified),
        "change": notice.change.title,
    }


def line_termination_terms(
    *, line: Line, motive: str, received_on: date, notices: Iterable[ConditionsNotice] = ()
) -> Terms:
    """The terms of terminating `line` for `motive` by a letter received on `received_on`.

    A just motive inside its window ends the line on receipt with nothing more owed (R16.7 to
    R16.9) and, for R16.8, the subscription fees refunded. Outside its window, or for an
    ordinary letter: after the minimum period, 60 days after receipt (R16.1); before its end,
    the line is suspended on receipt and ends on the 1st of the next month, the monthly fees
    left until the end of the minimum period owed (R16.3, R16.4).
    """
    parameters = grid_parameters(on=received_on)
    note = ""
    if motive != Motive.ORDINARY:
        note = _just_motive_refusal(line, motive, received_on, list(notices), parameters)
        if not note:
            refund = subscription_fees_paid(line) if motive == Motive.SERVICE_UNAVAILABLE else ZERO
            return Terms(Procedure.JUST_MOTIVE, received_on, ZERO, refund, True)
    if line.commitment_ends_on and received_on <= line.commitment_ends_on:
        effective = received_on.replace(day=1) + relativedelta(months=1)  # R16.4
        fees = line_fees_owed_after(line, day=effective)  # R16.3
        return Terms(Procedure.BEFORE_COMMITMENT, effective, fees, ZERO, False, note)
    effective = received_on + timedelta(days=parameters.termination_notice_days)  # R16.1
    return Terms(Procedure.AFTER_COMMITMENT, effective, ZERO, ZERO, False, note)
