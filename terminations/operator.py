"""Termination by the operator (R17.1, R17.2, R17.5): a supervisor ends a line for one of the
listed causes; the cause is recorded, the customer told, and before the end of the minimum
period the remaining monthly fees are due at once."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from accounts.roles import is_supervisor
from billing.models import Payment
from billing.recovery import line_fees_owed_after
from lib.money import ZERO, tnd
from subscriptions.models import Line
from subscriptions.services.ending import line_end
from terminations.models import OperatorTermination

Cause = OperatorTermination.Cause


class OperatorTerminationRefused(Exception):
    pass


def unused_advances(contract_id: int) -> Decimal:
    """R17.2: advance payments not yet used by an invoice, refunded when the licence goes."""
    rows = (
        Payment.objects.filter(contract_id=contract_id, is_advance=True, reversed_at__isnull=True)
        .annotate(used=Coalesce(Sum("allocations__amount"), ZERO))
        .annotate(left=F("amount") - F("used"))
        .values_list("left", flat=True)
    )
    return tnd(sum(rows, ZERO))


def operator_termination_decide(
    *, line: Line, cause: str, reason: str, actor: User
) -> OperatorTermination:
    """R17.1: a supervisor ends `line` for `cause` today. R17.5: before the end of the minimum
    period the remaining fees are charged at once (not when the licence is withdrawn, R17.2,
    where the unused advances are refunded instead). The customer is told once, after commit."""
    if not is_supervisor(actor):
        raise OperatorTerminationRefused(_("Only a supervisor ends a contract."))
    if not reason.strip():
        raise OperatorTerminationRefused(_("Say why the contract is ended."))
    today = timezone.localdate()
    with transaction.atomic():
        line = Line.objects.select_for_update().select_related("offer", "number").get(pk=line.pk)
        if line.status == Line.Status.TERMINATED:
            raise OperatorTerminationRefused(_("This line is terminated already."))
        licence = cause == Cause.LICENCE_WITHDRAWN
        # R17.5: the fees from the day after the end, the final invoice billing up to it.
        fees = ZERO if licence else line_fees_owed_after(line, day=today)
        termination = OperatorTermination.objects.create(
            line=line,
            cause=cause,
            reason=reason.strip()[:255],
            decided_by=actor,
            fees_owed=fees,
            advances_refunded=unused_advances(line.contract_id) if licence else ZERO,
        )
        ended = line_end(
            line=line,
            on=today,
            reason=f"{Cause(cause).label} (R17.1): {reason}"[:255],
            fees_owed=fees,
            fees_label=gettext_noop(
                "Monthly fees left until %(date)s (termination by the operator, %(number)s)"
            ),
            sim_returned=False,
            actor=actor,
        )
        termination.final_invoice = ended.final_invoice if ended else None
        termination.save(update_fields=["final_invoice"])
        from terminations.tasks import send_operator_termination_notice

        transaction.on_commit(lambda: send_operator_termination_notice.delay(termination.pk))
    return termination
