"""The end of a line at its effective date, and of its contract when it was the last live line:
final invoice on that date (R10.2), deposit refund scheduled (R12.2), number to quarantine (R17.3).

Shared by the customer's terminations (the effective-date sweep) and the operator's (R17.1).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import User
from billing.deposits import deposit_refund_schedule
from billing.invoicing import Period, invoice_issue
from billing.models import Charge, Deposit, Invoice
from subscriptions.lifecycle import lines_transition
from subscriptions.models import Contract, Line, ProvisioningOrder, SuspensionCause
from subscriptions.provisioning import provisioning_orders_request
from subscriptions.suspensions import locked_lines

S = Line.Status
REMAINING_COMMITMENT = "remaining_commitment"


@dataclass(frozen=True)
class Ended:
    line: Line
    final_invoice: Invoice | None


def line_end(
    *,
    line: Line,
    on: date,
    reason: str,
    fees_owed: Decimal,
    fees_label: str,
    sim_returned: bool,
    actor: User | None = None,
    job: str = "",
    release_number: bool = True,
) -> Ended:
    """End `line` (the caller's transaction): the line is terminated and its open suspension
    causes closed, the network releases the number, which goes to quarantine (R17.3); the fees
    owed are charged on `on`. When no live line is left on the contract, the contract ends on
    `on` with its final invoice dated that day (R10.2) and its deposit refund scheduled (R12.2).
    A line already terminated (by right, meanwhile) is only closed here. A transfer (R18.1) keeps
    the number on the network: `release_number=False`."""
    with transaction.atomic():
        (line,) = locked_lines([line.pk])
        if line.status != S.TERMINATED:
            lines_transition(lines=[line], to=S.TERMINATED, reason=reason, actor=actor, job=job)
            SuspensionCause.objects.filter(line=line, lifted_at__isnull=True).update(
                lifted_at=timezone.now(),
                lifted_by=actor,
                lifted_job=job,
                lift_reason=gettext_noop("Line terminated"),
            )
            if release_number:
                release = ProvisioningOrder.Action.RELEASE_NUMBER
                provisioning_orders_request([(line, release, f"release:line{line.pk}", reason, {})])
        if fees_owed > 0:
            Charge.objects.create(
                contract_id=line.contract_id,
                line=line,
                fee_kind=REMAINING_COMMITMENT,
                label=fees_label[:200],
                amount=fees_owed,
                charged_on=on,
            )
        contract = Contract.objects.select_for_update().get(pk=line.contract_id)
        if contract.ended_on or contract.lines.exclude(status=S.TERMINATED).exists():
            return Ended(line, None)
        contract.ended_on = on
        contract.save(update_fields=["ended_on"])
        final = invoice_issue(contract_id=contract.pk, period=Period.month(on), issued_on=on)
        if final and Deposit.objects.filter(contract=contract).exists():
            deposit_refund_schedule(
                contract=contract, final_invoice=final, sim_returned=sim_returned
            )
    return Ended(line, final)
