"""The end of a line, whatever ends it: the customer's letter at its effective date (R16), the
operator (R17.1), the sweeps by right (R13.1 and R17.1 for an incomplete file, R17.5 for a
suspension), the loss of a prepaid number (R2.9) and a transfer (R18.1). `lines_end` is the one
way a line is TERMINATED; `line_end` is the same for one line.

Ending a line terminates it with its history row (who or which job, why), closes its open
suspension causes, charges the monthly fees left until the end of its minimum period where the
rule says (R16.3, R17.5), puts its number in quarantine (R17.3) and asks the network to release
it, and puts its SIM back in stock when the customer returned it or retires it. A transfer
keeps the number and the SIM in service for the new holder. When no live line is left on the
contract, the contract ends that day with its final invoice (R10.2) and its deposit refund
scheduled (R12.2) (`contract_billing_close`, which a migration to prepaid also uses, R15.1).
"""

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import User
from billing.charges import ChargeKind, charges_add
from billing.deposits import deposit_refund_schedule
from billing.invoicing import final_invoice_issue
from billing.models import Charge, Deposit, Invoice
from billing.recovery import line_fees_after, line_fees_owed_after
from subscriptions.lifecycle.records import lines_transition, numbers_quarantine, sims_move
from subscriptions.models import (
    Contract,
    Line,
    MobileNumber,
    ProvisioningOrder,
    SimCard,
    SuspensionCause,
)
from subscriptions.services.suspensions import locked_lines, provisioning_orders_request

S = Line.Status

LIVE = frozenset(status for status in S.values if status != S.TERMINATED)


@dataclass(frozen=True)
class Ended:
    line: Line
    final_invoice: Invoice | None


def lines_end(
    *,
    line_ids: Iterable[int],
    on: date,
    reason: str,
    sim_returned: bool,
    actor: User | None = None,
    job: str = "",
    fees_owed: Mapping[int, Decimal] | None = None,
    remaining_fees: bool = False,
    fees_label: str = "",
    reference: str = "",
    only_from: Collection[str] = LIVE,
    keep_number_and_sim: bool = False,
) -> list[Ended]:
    """End the lines of `line_ids` whose status is in `only_from` (the others, and the lines
    already terminated, are left alone) on `on`, in one transaction with a fixed number of
    statements per batch besides the contracts that end. Returns the lines ended.

    `fees_owed` are the fees charged per line id (R16.3: frozen at the letter's receipt);
    `remaining_fees` charges instead the monthly fees left until the end of each line's minimum
    period at `on` (R17.5).
    `fees_label` is the charge's label (a msgid of `date`, `number`, `reference`), written in
    the customer's language. `sim_returned` puts the SIM back in stock, else it is retired, and
    the deposit refund counts the grid's fee (R12.2). `keep_number_and_sim` (R18.1) leaves them
    in service."""
    if actor is None and not job:
        raise ValueError("A line is ended by a person or by a job.")
    with transaction.atomic():
        lines = [
            line
            for line in locked_lines(line_ids)
            if line.status in only_from and line.status in LIVE
        ]
        if not lines:
            return []
        lines_transition(lines=lines, to=S.TERMINATED, reason=reason, actor=actor, job=job)
        SuspensionCause.objects.filter(line__in=lines, lifted_at__isnull=True).update(
            lifted_at=timezone.now(),
            lifted_by=actor,
            lifted_job=job,
            lift_reason=gettext_noop("Line terminated"),
        )
        if not keep_number_and_sim:
            # R17.3: the number waits its quarantine before it is reassigned, and the network
            # releases it; the SIM goes back to the stock only when the customer returned it.
            numbers_quarantine(
                numbers=MobileNumber.objects.filter(pk__in=[line.number_id for line in lines]),
                on=on,
            )
            sims_move(
                sims=SimCard.objects.filter(pk__in=[line.sim_id for line in lines if line.sim_id]),
                to=SimCard.Status.IN_STOCK if sim_returned else SimCard.Status.RETIRED,
            )
            provisioning_orders_request(
                (
                    line,
                    ProvisioningOrder.Action.RELEASE_NUMBER,
                    f"release:line{line.pk}",
                    reason,
                    {},
                )
                for line in lines
            )
        if remaining_fees:
            fees_owed = {line.pk: line_fees_owed_after(line, day=on) for line in lines}
        _fees_charge(lines, on=on, fees_owed=fees_owed or {}, label=fees_label, reference=reference)
        finals = _contracts_end({line.contract_id for line in lines}, on, sim_returned)
    return [Ended(line, finals.get(line.contract_id)) for line in lines]


def line_end(
    *,
    line: Line,
    on: date,
    reason: str,
    sim_returned: bool,
    actor: User | None = None,
    job: str = "",
    fees_owed: Decimal = Decimal(0),
    fees_label: str = "",
    reference: str = "",
    keep_number_and_sim: bool = False,
) -> Ended | None:
    """`lines_end` for one line; None when it was terminated already."""
    ended = lines_end(
        line_ids=[line.pk],
        on=on,
        reason=reason,
        sim_returned=sim_returned,
        actor=actor,
        job=job,
        fees_owed={line.pk: fees_owed},
        fees_label=fees_label,
        reference=reference,
        keep_number_and_sim=keep_number_and_sim,
    )
    return ended[0] if ended else None


def _fees_charge(
    lines: list[Line],
    *,
    on: date,
    fees_owed: Mapping[int, Decimal],
    label: str,
    reference: str,
) -> None:
    """R16.3, R17.5: the monthly fees left until the end of the minimum period, due at once."""
    owing = [line for line in lines if fees_owed.get(line.pk, 0) > 0]
    if not owing:
        return
    if not label:
        raise ValueError("Fees owed need their label.")
    languages = {
        contract.pk: contract.customer.language
        for contract in Contract.objects.filter(
            pk__in={line.contract_id for line in owing}
        ).select_related("customer__user")
    }
    charges = []
    for line in owing:
        with translation.override(languages[line.contract_id]):
            text = _(label) % {
                "date": f"{line.commitment_ends_on:%d/%m/%Y}" if line.commitment_ends_on else "",
                "number": line.number,
                "reference": reference,
            }
            # The computation that gives the amount, when the fees are those of today's grid
            # (fees frozen at a letter's receipt under another price keep their amount alone).
            remaining = line_fees_after(line, day=on)
            if remaining and remaining.amount == fees_owed[line.pk]:
                text = _("%(label)s: %(computation)s") % {
                    "label": text,
                    "computation": remaining.computation,
                }
        charges.append(
            Charge(
                contract_id=line.contract_id,
                line=line,
                fee_kind=ChargeKind.REMAINING_COMMITMENT,
                label=text[:200],
                amount=fees_owed[line.pk],
                charged_on=on,
            )
        )
    charges_add(charges)


def _contracts_end(
    contract_ids: set[int], on: date, sim_returned: bool
) -> dict[int, Invoice | None]:
    """The contracts left without a live line end on `on` with their final invoice. The
    contract rows are locked before their lines are counted: two transactions ending its last
    two lines at once queue on it, and the second sees the first's line terminated."""
    contracts = list(
        Contract.objects.select_for_update()
        .filter(pk__in=contract_ids, ended_on__isnull=True)
        .order_by("pk")
    )
    live = set(
        Line.objects.filter(contract__in=contracts, status__in=LIVE).values_list(
            "contract_id", flat=True
        )
    )
    ending = [contract for contract in contracts if contract.pk not in live]
    Contract.objects.filter(pk__in=[contract.pk for contract in ending]).update(ended_on=on)
    finals: dict[int, Invoice | None] = {}
    for contract in ending:
        contract.ended_on = on
        finals[contract.pk] = contract_billing_close(
            contract=contract, on=on, sim_returned=sim_returned
        )
    return finals


def contract_billing_close(*, contract: Contract, on: date, sim_returned: bool) -> Invoice | None:
    """The contract's last bill: its final invoice dated `on` (R10.2) and its deposit refund,
    not earlier than one month after it (R12.2), scheduled once. In the caller's transaction,
    under the contract's lock. None when nothing was left to invoice."""
    final = final_invoice_issue(contract_id=contract.pk, on=on)
    if Deposit.objects.filter(contract=contract, refund_due_on__isnull=True).exists():
        deposit_refund_schedule(
            contract=contract, final_invoice=final, sim_returned=sim_returned, ended_on=on
        )
    return final
