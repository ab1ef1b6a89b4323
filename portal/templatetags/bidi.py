"""The template filters of `lib.bidi`: codes, names and numbers that keep their order in PDF
documents of the other direction."""

from django import template

from lib.bidi import isolate, ltr, numbers_ltr

register = template.Library()
register.filter("ltr", ltr, is_safe=True)
register.filter("isolate", isolate, is_safe=True)
register.filter("numbers_ltr", numbers_ltr, is_safe=True)
