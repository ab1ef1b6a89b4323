"""The `tnd` template filter: `billing.money.format_tnd`."""

from django import template

from billing.money import format_tnd

register = template.Library()
register.filter("tnd", format_tnd)
