"""Termination by the customer (R16.1 to R16.9): the letter prepared in the portal, its receipt
recorded by an agent, and the effective-date sweep that ends the lines (R10.2, R12.2, R17.3)."""

from collections.abc import Iterable
from datetime import date, timedelta
from typing import cast

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from catalogue.selectors import grid_parameters
from lib.bidi import ltr
from lib.tasks import enqueue
from lib.uploads import CleanDocument, stored_name
from subscriptions.lifecycle.records import line_record
from subscriptions.models import Customer, Line, SuspensionCause
from subscriptions.services.suspensions import SUSPENDABLE, locked_lines, suspension_open
from terminations.ending import line_end
from terminations.models import TerminationLine, TerminationRequest
from terminations.notices import customer_language
from terminations.rules import Terms, line_termination_terms, notice_for
from terminations.selectors import LIVE_REQUEST, customer_notices

R = TerminationRequest.Status
Motive = TerminationRequest.Motive
Procedure = TerminationLine.Procedure


class TerminationRefused(Exception):
    """The request cannot be made or recorded; the message is for the person who acted."""


def termination_request_prepare(
    *, customer: Customer, lines: Iterable[Line], motive: str, actor: User
) -> TerminationRequest:
    """The customer prepares a termination letter for some of their live lines; the receipt is
    expected after the grid's delay of a registered letter."""
    today = timezone.localdate()
    with transaction.atomic():
        locked = locked_lines([line.pk for line in lines])
        if not locked:
            raise TerminationRefused(_("Choose at least one line."))
        for line in locked:
            if line.contract.customer_id != customer.pk or line.status in (
                Line.Status.PENDING,
                Line.Status.TERMINATED,
            ):
                raise TerminationRefused(
                    _("Line %(number)s cannot be terminated.") % {"number": ltr(line.number)}
                )
        if TerminationLine.objects.filter(
            line__in=locked, request__status__in=LIVE_REQUEST
        ).exists():
            raise TerminationRefused(_("A termination of one of these lines is already under way."))
        notices = customer_notices(customer)
        invoked = [notice_for(line, motive, notices) for line in locked]
        request = TerminationRequest.objects.create(
            customer=customer,
            motive=motive,
            conditions_notice=next((notice for notice in invoked if notice), None),
            prepared_by=actor,
            expected_receipt_on=today
            + timedelta(days=grid_parameters(on=today).registered_letter_days),
        )
        TerminationLine.objects.bulk_create(
            TerminationLine(request=request, line=line) for line in locked
        )
        for line in locked:
            line_record(line=line, actor=actor, reason=gettext_noop("Termination letter prepared"))
    return request


def termination_request_withdraw(*, request: TerminationRequest, actor: User) -> TerminationRequest:
    """The customer gives up a letter the operator has not received."""
    with transaction.atomic():
        if not TerminationRequest.objects.filter(pk=request.pk, status=R.PREPARED).update(
            status=R.WITHDRAWN, finished_at=timezone.now()
        ):
            raise TerminationRefused(_("This letter was received already: call customer service."))
        for item in request.lines.select_related("line"):
            line_record(
                line=item.line, actor=actor, reason=gettext_noop("Termination letter withdrawn")
            )
    request.status = R.WITHDRAWN
    return request


def termination_request_receive(
    *,
    request: TerminationRequest,
    received_on: date,
    actor: User,
    sim_returned: bool = False,
    letter_scan: CleanDocument | None = None,
) -> TerminationRequest:
    """An agent records the registered letter's receipt (the date on the acknowledgement): the
    terms of each line are computed and frozen (R16.1 to R16.9); a line before the end of its
    minimum period is suspended at once (R16.4). The customer is told, with the reason when a
    just motive is not retained; lines effective already are ended without waiting for the
    sweep."""
    if received_on > timezone.localdate():
        raise TerminationRefused(_("The date of receipt cannot be in the future."))
    with transaction.atomic():
        if not TerminationRequest.objects.filter(pk=request.pk, status=R.PREPARED).update(
            status=R.RECEIVED,
            received_on=received_on,
            received_by=actor,
            received_recorded_at=timezone.now(),
            sim_returned=sim_returned,
        ):
            raise TerminationRefused(_("The receipt of this letter is recorded already."))
        request.refresh_from_db()
        notices = customer_notices(request.customer)
        notes = []
        with translation.override(customer_language(request.customer)):
            for item in request.lines.select_related("line__offer", "line__number"):
                terms = line_termination_terms(
                    line=item.line, motive=request.motive, received_on=received_on, notices=notices
                )
                _freeze(item, terms, actor)
                if terms.motive_note:
                    notes.append(terms.motive_note)
        request.motive_note = " ".join(notes)[:255]
        request.save(update_fields=["motive_note"])
        enqueue("terminations.tasks.send_receipt_notice", request.pk)
        if request.lines.filter(effective_on__lte=timezone.localdate()).exists():
            enqueue("terminations.tasks.end_due_terminations")
    if letter_scan is not None:
        # Stored after the commit: no file storage inside the transaction.
        request.letter_scan.save(stored_name(letter_scan), ContentFile(letter_scan.content))
    return request


def _freeze(item: TerminationLine, terms: Terms, actor: User) -> None:
    item.procedure, item.effective_on = terms.procedure, terms.effective_on
    item.fees_owed, item.subscription_fees_refund = terms.fees_owed, terms.subscription_fees_refund
    item.save(update_fields=["procedure", "effective_on", "fees_owed", "subscription_fees_refund"])
    line = item.line
    line_record(
        line=line,
        actor=actor,
        reason=gettext_noop("Termination letter received"),
    )
    if terms.procedure == Procedure.BEFORE_COMMITMENT and line.status in SUSPENDABLE:
        # R16.4: suspended on receipt of the letter until the contract ends.
        suspension_open(
            line=line,
            cause=SuspensionCause.Cause.CUSTOMER_REQUEST,
            actor=actor,
            reason=gettext_noop(
                "Termination letter received before the end of the minimum period (R16.4)"
            ),
        )


def termination_lines_due(*, today: date, limit: int) -> list[int]:
    return list(
        TerminationLine.objects.filter(
            effective_on__lte=today, ended_at__isnull=True, request__status=R.RECEIVED
        )
        .order_by("effective_on", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def termination_line_end(*, item_id: int, job: str) -> TerminationLine | None:
    """At the effective date: end the line (number to quarantine, R17.3), charge the remaining
    fees (R16.3), and when it was the contract's last live line issue the final invoice on that
    date (R10.2) and schedule the deposit refund (R12.2). Claimed under the row's lock, so a
    repeated or concurrent sweep ends nothing twice; None when already done."""
    with transaction.atomic():
        item = (
            TerminationLine.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("request", "line")
            .filter(pk=item_id, ended_at__isnull=True, request__status=R.RECEIVED)
            .first()
        )
        if item is None:
            return None
        request = item.request
        ended = line_end(
            line=item.line,
            on=cast(date, item.effective_on),  # R16.4: set when the letter was received
            reason=gettext_noop("Terminated at the customer's request"),
            fees_owed=item.fees_owed,  # R16.3: frozen at the letter's receipt
            fees_label=gettext_noop(
                "Monthly fees left until %(date)s (termination %(reference)s, %(number)s)"
            ),
            reference=request.reference,
            sim_returned=request.sim_returned,
            job=job,
        )
        final_invoice = ended.final_invoice if ended else None
        item.ended_at, item.ended_job, item.final_invoice = timezone.now(), job, final_invoice
        item.save(update_fields=["ended_at", "ended_job", "final_invoice"])
        if not request.lines.filter(ended_at__isnull=True).exists():
            TerminationRequest.objects.filter(pk=request.pk, status=R.RECEIVED).update(
                status=R.DONE, finished_at=timezone.now()
            )
    return item
