"""Texts shown to customers: rule IDs such as "(R16.1)" are for staff and code, not for them.

Stored reasons and choice labels keep their IDs (the admin shows them); customer pages show
them through `without_rule_ids`.
"""

import re

from django.utils.functional import lazy

RULE_IDS = re.compile(r" ?\(R\d+\.\d+(?:(?:, |، | to | / )R\d+\.\d+)*\)")
RULE_ID_OPENING = re.compile(r"\(R\d+\.\d+: ")


def without_rule_ids(text: object) -> str:
    """`text` without its rule IDs: "Invoice unpaid (R10.4)" -> "Invoice unpaid"."""
    return RULE_ID_OPENING.sub("(", RULE_IDS.sub("", str(text)))


without_rule_ids_lazy = lazy(without_rule_ids, str)
