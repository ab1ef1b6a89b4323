"""The reasons written in the history of files and lines, shown in the reader's language.

They are stored in English, as stable text (`gettext_noop` at the call), some with a detail
after a colon ("Sent: CIN", "Missing: Formulaire signé, connection fee"): the known part is
translated when shown, the detail (a piece's name, an amount) is shown as it was written."""

from django.utils.translation import gettext, gettext_noop

# The "<prefix>: <detail>" reasons of subscriptions.services.files.
PREFIXES = frozenset(
    {
        gettext_noop("Sent"),
        gettext_noop("Missing"),
        gettext_noop("Connection fee paid"),
        gettext_noop("Customer details taken from this file"),
        gettext_noop("Refused"),
    }
)
# Items of a detail that are ours, not a customer's or a grid's text.
DETAIL_WORDS = frozenset({gettext_noop("connection fee")})


def reason_display(reason: str) -> str:
    """A stored reason in the active language (unknown text is shown as written)."""
    translated = gettext(reason) if reason else reason
    if translated != reason:
        return translated
    prefix, colon, detail = reason.partition(": ")
    if not colon or prefix not in PREFIXES:
        return reason
    items = [gettext(item) if item in DETAIL_WORDS else item for item in detail.split(", ")]
    return f"{gettext(prefix)}: {', '.join(items)}"
