from decimal import Decimal

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from billing.money import tnd

register = template.Library()


@register.filter(name="tnd")
def format_tnd(amount: Decimal | None) -> str:
    """An amount in dinars with its 3 decimals, in the page's language: "29,750 TND"."""
    if amount is None:
        return ""
    return _("%(amount)s TND") % {
        "amount": number_format(tnd(amount), decimal_pos=3, use_l10n=True, force_grouping=True)
    }
