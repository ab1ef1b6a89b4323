"""R10.4: a customer's unpaid debt carried onto another of their accounts.

The source account's unpaid invoices are settled by a payment of method "transfer" (allocated
like any payment, billing/payments.py), and the target account owes the same amount as an
untaxed charge (VAT was on the source's invoices already), which its next invoice bills as a
line of kind carried debt outside the VAT base (billing/invoicing.py).
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User
from billing.charges import ChargeKind, charges_add
from billing.models import Charge, DebtTransfer, Payment
from billing.payments import balance_of, invoices_with_balance, payments_allocate
from lib.money import ZERO
from subscriptions.models import Contract


class TransferRefused(Exception):
    pass


def unpaid_of(contract: Contract) -> Decimal:
    """What the account's invoices still owe (money in advance is not counted against it)."""
    return sum((max(balance_of(i), ZERO) for i in invoices_with_balance(contract)), ZERO)


def debt_carry(*, source: Contract, target: Contract, actor: User, reason: str) -> DebtTransfer:
    """R10.4: move the unpaid balance of `source` onto `target`, both of the same customer."""
    if not reason.strip():
        raise TransferRefused("Say why the debt is carried.")
    if source.pk == target.pk:
        raise TransferRefused("Choose another account to carry the debt onto.")
    with transaction.atomic():
        # Both accounts locked, in the order of their ids so that two transfers cannot deadlock.
        locked = {
            c.pk: c
            for c in Contract.objects.select_for_update()
            .filter(pk__in=[source.pk, target.pk])
            .order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        if source.customer_id != target.customer_id:
            raise TransferRefused("A debt is carried only onto an account of the same customer.")
        payments_allocate(contract=source)  # money waiting settles what it can first
        owed = unpaid_of(source)
        if owed <= 0:
            raise TransferRefused("This account owes nothing.")
        today = timezone.localdate()
        payment = Payment.objects.create(
            contract=source,
            amount=owed,
            method=Payment.Method.TRANSFER,
            reference=target.reference,
            received_on=today,
            recorded_by=actor,
        )
        payments_allocate(contract=source)
        with translation.override(target.customer.language):
            label = _("Debt carried from account %(reference)s") % {"reference": source.reference}
        charge = charges_add(
            [
                Charge(
                    contract=target,
                    fee_kind=ChargeKind.CARRIED_DEBT,
                    label=label,
                    amount=owed,
                    charged_on=today,
                    taxable=False,
                )
            ]
        )[0]
        return DebtTransfer.objects.create(
            source=source,
            target=target,
            amount=owed,
            payment=payment,
            charge=charge,
            actor=actor,
            reason=reason.strip()[:255],
        )
