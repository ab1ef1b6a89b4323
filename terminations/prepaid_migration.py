"""Migration of a postpaid line to a prepaid offer (R15.1): the line keeps its number and SIM.

The postpaid part of the month (fees and options to date, usage beyond allowances) is frozen as
charges of the contract, computed by the invoice's own `draft_lines(until=today)`, before the
offer changes: from then on the monthly invoice no longer sees the line. The grid's migration
fee is charged the same day. When no postpaid line is left on the contract, those charges are
invoiced at once on the contract's final invoice (R10.2) and the deposit refund is scheduled
(R12.2), as at a termination (`subscriptions.services.ending.contract_billing_close`); otherwise the
month's invoice carries them.
"""

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from billing.charges import ChargeKind, charges_add
from billing.invoicing import Period, contract_for_billing, draft_lines
from billing.models import Charge
from catalogue.models import Fee, Offer
from catalogue.selectors import fee_amount
from subscriptions.lifecycle.records import line_record
from subscriptions.models import Contract, Line, LineOption
from subscriptions.services.ending import contract_billing_close
from terminations.models import PrepaidMigration


class MigrationRefused(Exception):
    pass


def line_migrate_to_prepaid(*, line: Line, offer: Offer, actor: User) -> PrepaidMigration:
    """R15.1: move `line` to the prepaid `offer` today, with the grid's migration fee."""
    if offer.is_postpaid:
        raise MigrationRefused(_("Choose a prepaid offer."))
    today = timezone.localdate()
    with transaction.atomic():
        line = Line.objects.select_for_update().select_related("offer", "number").get(pk=line.pk)
        if not line.offer.is_postpaid or line.status in (
            Line.Status.PENDING,
            Line.Status.TERMINATED,
        ):
            raise MigrationRefused(_("Only a postpaid line in service moves to prepaid."))
        month = Period.month(today)
        billing_view = contract_for_billing(line.contract_id, Period(month.start, today))
        language = billing_view.customer.language  # the charges' labels, not the agent's
        with translation.override(language):
            drafts = [
                d for d in draft_lines(billing_view, month, [], until=today) if d.line == line
            ]
            migration_label = _("Migration fee to %(offer)s (%(number)s)") % {
                "offer": offer.name,
                "number": line.number,
            }
        charges = [
            Charge(
                contract_id=line.contract_id,
                line=line,
                fee_kind=ChargeKind.POSTPAID_UNTIL_MIGRATION,
                label=draft.label[:200],
                amount=draft.amount,
                charged_on=today,
            )
            for draft in drafts
            if draft.amount
        ]
        fee = fee_amount(Fee.Kind.MIGRATION, on=today, offer=line.offer)
        if fee > 0:
            charges.append(
                Charge(
                    contract_id=line.contract_id,
                    line=line,
                    fee_kind=ChargeKind.MIGRATION,
                    label=migration_label,
                    amount=fee,
                    charged_on=today,
                )
            )
        charges_add(charges)
        # The options of the postpaid offer are billed to date above and end with it.
        LineOption.objects.filter(line=line, ended_on__isnull=True).update(ended_on=today)
        migration = PrepaidMigration.objects.create(
            line=line,
            from_offer=line.offer,
            to_offer=offer,
            fee=fee,
            migrated_on=today,
            decided_by=actor,
        )
        line_record(
            line=line,
            actor=actor,
            reason=f"Migration {line.offer.name} → {offer.name} (R15.1)"[:255],
        )
        Line.objects.filter(pk=line.pk).update(offer=offer, commitment_ends_on=None)
        postpaid_left = (
            line.contract.lines.exclude(pk=line.pk)
            .exclude(status=Line.Status.TERMINATED)
            .exclude(offer__kind=Offer.Kind.PREPAID)
            .exists()
        )
        if not postpaid_left:
            # The line lives on, prepaid (R15.1); the contract's postpaid billing closes as at a
            # termination: final invoice today (R10.2), deposit refund (R12.2).
            contract = Contract.objects.select_for_update().get(pk=line.contract_id)
            migration.final_invoice = contract_billing_close(
                contract=contract, on=today, sim_returned=True
            )
            migration.save(update_fields=["final_invoice"])
    line.refresh_from_db()
    return migration
