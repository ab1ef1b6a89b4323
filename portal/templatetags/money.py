"""The `tnd` template filter: `lib.money.format_tnd`."""

from django import template

from lib.money import format_tnd

register = template.Library()
register.filter("tnd", format_tnd)
