"""Text that keeps its order inside text of the other direction, for PDF documents.

`portal.templatetags.bidi` registers these functions as template filters.

Unicode isolates instead of <span dir="...">: WeasyPrint lays out no box for them.
"""

import re

LEFT_TO_RIGHT_ISOLATE = "\u2066"
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


def _isolated(value: object, opening: str) -> str:
    text = str(value)
    return f"{opening}{text}{POP_DIRECTIONAL_ISOLATE}" if text else text


def ltr(value: object) -> str:
    """`value` isolated left to right (LRI ... PDI): a number, reference or code such as
    "C-PDF-000001" keeps its order in an Arabic sentence."""
    return _isolated(value, LEFT_TO_RIGHT_ISOLATE)


def isolate(value: object) -> str:
    """`value` isolated in the direction of its first letter (FSI ... PDI): a name or an
    address typed in French keeps its order in an Arabic document ("S.A." does not become
    ".S.A"), one typed in Arabic stays right to left in a French one."""
    return _isolated(value, FIRST_STRONG_ISOLATE)


INTERNATIONAL_NUMBER = re.compile(r"\+\d+")


def numbers_ltr(value: object) -> str:
    """`value` with each international phone number isolated left to right: in an Arabic
    invoice line ("باقة الحرية 20 — +21620100001") the "+" stays in front of the digits
    instead of moving to their end."""
    return INTERNATIONAL_NUMBER.sub(lambda number: ltr(number.group()), str(value))
