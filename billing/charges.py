"""Adding a charge: the one way a one-off amount waits for an account's next invoice. Every
caller gives one of the kinds below (`CHARGE_KINDS`); the invoice bills it (billing.invoicing)."""

from collections.abc import Iterable
from enum import StrEnum

from billing.models import Charge
from catalogue.models import Fee


class ChargeKind(StrEnum):
    """What a charge is for: the grid's fees, and the amounts other use cases make due."""

    DUPLICATE_INVOICE = Fee.Kind.DUPLICATE_INVOICE.value  # R9.5
    DETAILED_BILLING = Fee.Kind.DETAILED_BILLING.value  # R9.5
    UNPAID_INSTRUMENT = Fee.Kind.UNPAID_INSTRUMENT.value  # R9.4
    SIM_REPLACEMENT = Fee.Kind.SIM_REPLACEMENT.value  # R14.3
    MIGRATION = Fee.Kind.MIGRATION.value  # migration to prepaid
    POSTPAID_UNTIL_MIGRATION = "postpaid_until_migration"  # the postpaid part up to it
    CARRIED_DEBT = "carried_debt"  # R10.4, outside the VAT base
    REMAINING_COMMITMENT = "remaining_commitment"  # R16.3, R17.5


CHARGE_KINDS = frozenset(ChargeKind)


def charges_add(charges: Iterable[Charge]) -> list[Charge]:
    """Record `charges` (unsaved rows) for their accounts' next invoices, in one query; a kind
    outside CHARGE_KINDS is refused before anything is written."""
    charges = list(charges)
    for charge in charges:
        if charge.fee_kind not in CHARGE_KINDS:
            raise ValueError(f"Unknown charge kind: {charge.fee_kind!r}")
    return Charge.objects.bulk_create(charges)
