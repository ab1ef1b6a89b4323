"""Text that keeps its order inside text of the other direction, for PDF documents.

`portal.templatetags.bidi` registers these functions as template filters.

Unicode isolates instead of <span dir="...">: WeasyPrint lays out no box for them.
"""

import re

from django.utils.safestring import SafeData, mark_safe

LEFT_TO_RIGHT_ISOLATE = "\u2066"
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"


# Embeddings and overrides (LRE, RLE, PDF, LRO, RLO): a customer's name or a mediation file's
# destination never needs one, and an override reverses whatever follows it in its paragraph.
EMBEDDINGS_AND_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e")
ISOLATE_OPENINGS = frozenset("\u2066\u2067\u2068")


def bidi_neutral(value: object) -> str:
    """`value` without embeddings nor overrides, its isolates balanced (issue 16, point 6): a
    right-to-left override (U+202E) typed in a name, a postal code or found in a destination
    cannot reverse the text after it, and a stray pop (PDI) cannot end the isolate it is put in.
    Isolates opened and closed in the text (such as numbers_ltr's) are kept."""
    text = str(value)
    if not any("\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069" for char in text):
        return text
    kept, open_isolates = [], 0
    for char in text:
        if char in EMBEDDINGS_AND_OVERRIDES:
            continue
        if char in ISOLATE_OPENINGS:
            open_isolates += 1
        elif char == POP_DIRECTIONAL_ISOLATE:
            if not open_isolates:
                continue
            open_isolates -= 1
        kept.append(char)
    return "".join(kept) + POP_DIRECTIONAL_ISOLATE * open_isolates


def _isolated(value: object, opening: str) -> str:
    text = bidi_neutral(value)
    isolated = f"{opening}{text}{POP_DIRECTIONAL_ISOLATE}" if text else text
    return mark_safe(isolated) if isinstance(value, SafeData) else isolated  # noqa: S308


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
