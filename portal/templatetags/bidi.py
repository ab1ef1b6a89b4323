"""Text that keeps its left-to-right order inside right-to-left text, for PDF documents."""

from django import template

register = template.Library()

LEFT_TO_RIGHT_ISOLATE = "\u2066"
POP_DIRECTIONAL_ISOLATE = "\u2069"


@register.filter(is_safe=True)
def ltr(value: object) -> str:
    """`value` isolated left to right (Unicode LRI ... PDI): a number, reference or code such
    as "C-PDF-000001" keeps its order in an Arabic sentence. Unlike a <span dir="ltr">, it adds
    no box for WeasyPrint to lay out."""
    text = str(value)
    if not text:
        return text
    return f"{LEFT_TO_RIGHT_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


FIRST_STRONG_ISOLATE = "\u2068"


@register.filter(is_safe=True)
def isolate(value: object) -> str:
    """`value` isolated in the direction of its first letter (Unicode FSI ... PDI): a name or an
    address typed in French keeps its order in an Arabic document ("S.A." does not become
    ".S.A"), one typed in Arabic stays right to left in a French one."""
    text = str(value)
    if not text:
        return text
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"
