"""Tunisian dinar amounts: Decimal with 3 decimals (millimes), ROUND_HALF_UP, never float.

Every amount that enters the system goes through `tnd()`; every model field holding money is a
`MoneyField`. Integer millimes would appear only at a payment gateway's edge; there is none.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models
from django.utils.formats import number_format
from django.utils.translation import gettext as _

MILLIME = Decimal("0.001")
ZERO = Decimal("0.000")


def tnd(value: Decimal | int | str) -> Decimal:
    """Return `value` as dinars quantized to the millime; floats are refused, not rounded."""
    if isinstance(value, float | bool):
        raise TypeError(f"Money must not be a {type(value).__name__}: {value!r}")
    try:
        amount = Decimal(value) if not isinstance(value, Decimal) else value
    except InvalidOperation as exc:
        raise ValueError(f"Not an amount: {value!r}") from exc
    if not amount.is_finite():
        raise ValueError(f"Not an amount: {value!r}")
    return amount.quantize(MILLIME, rounding=ROUND_HALF_UP)


class MoneyField(models.DecimalField):
    """An amount in TND: 14 digits, 3 of them millimes."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 3)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, _path, args, kwargs = super().deconstruct()
        return name, "lib.money.MoneyField", args, kwargs


def format_tnd(amount: Decimal | None) -> str:
    """An amount in dinars with its 3 decimals, in the page's language: "29,750 TND"."""
    if amount is None:
        return ""
    return _("%(amount)s TND") % {
        "amount": number_format(tnd(amount), decimal_pos=3, use_l10n=True, force_grouping=True)
    }
