from django import template

from lib.customer_text import without_rule_ids

register = template.Library()
register.filter("without_rule_ids", without_rule_ids)
