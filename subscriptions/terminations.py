"""Termination by right of suspended lines (R17.1, R17.5), and the extra time staff may grant."""

from collections.abc import Iterable
from datetime import date

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from billing.models import Charge
from billing.recovery import line_remaining_commitment_fees
from subscriptions.lifecycle import line_record, lines_transition
from subscriptions.models import Contract, Line, ProvisioningOrder, SuspensionCause
from subscriptions.provisioning import provisioning_orders_request
from subscriptions.suspensions import locked_lines

S = Line.Status

REMAINING_COMMITMENT = "remaining_commitment"


def lines_terminate_by_right(*, line_ids: Iterable[int], reason: str, job: str) -> list[Line]:
    """R17.1, R17.5: terminate the suspended lines among `line_ids` (others are left alone): the
    number goes to quarantine (R17.3) and the network releases it, the open causes are closed,
    and the monthly fees left until the end of the minimum period are charged at once."""
    today = timezone.localdate()
    with transaction.atomic():
        lines = [line for line in locked_lines(line_ids) if line.status == S.SUSPENDED]
        lines_transition(lines=lines, to=S.TERMINATED, reason=reason, job=job)
        SuspensionCause.objects.filter(line__in=lines, lifted_at__isnull=True).update(
            lifted_at=timezone.now(),
            lifted_job=job,
            lift_reason=gettext_noop("Line terminated"),
        )
        provisioning_orders_request(
            (line, ProvisioningOrder.Action.RELEASE_NUMBER, f"release:line{line.pk}", reason, {})
            for line in lines
        )
        charges = []
        contracts = Contract.objects.filter(lines__in=lines).select_related("customer__user")
        languages = {contract.pk: contract.customer.language for contract in contracts}
        for line in lines:
            # R17.5: before the end of the minimum period, the remaining fees are due at once.
            amount = line_remaining_commitment_fees(line, on=today)
            if amount > 0:
                with translation.override(languages[line.contract_id]):
                    label = _(
                        "Monthly fees left until %(date)s (termination by right, %(number)s)"
                    ) % {"date": f"{line.commitment_ends_on:%d/%m/%Y}", "number": line.number}
                charges.append(
                    Charge(
                        contract_id=line.contract_id,
                        line=line,
                        fee_kind=REMAINING_COMMITMENT,
                        label=label,
                        amount=amount,
                        charged_on=today,
                    )
                )
        Charge.objects.bulk_create(charges)
    return lines


def suspension_extend(
    *, cause: SuspensionCause, until: date, actor: User, reason: str
) -> SuspensionCause:
    """R17.5: staff grant extra time before termination by right, recorded on the line's
    history with who, when and why."""
    with transaction.atomic():
        locked_lines([cause.line_id])
        SuspensionCause.objects.filter(pk=cause.pk).update(extended_until=until)
        cause.extended_until = until
        line_record(
            line=cause.line,
            actor=actor,
            reason=f"{reason} (R17.5: {cause.get_cause_display()}, {until:%d/%m/%Y})"[:255],
        )
    return cause
