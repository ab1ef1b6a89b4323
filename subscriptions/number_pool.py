"""The number pool: numbers go to quarantine at termination and come back after it (R17.3)."""

from datetime import date, timedelta

from django.db.models import QuerySet

from catalogue.selectors import grid_parameters
from subscriptions.lifecycle import numbers_move
from subscriptions.models import MobileNumber

N = MobileNumber.Status


def numbers_quarantine(*, numbers: QuerySet[MobileNumber], on: date) -> int:
    """R17.3: a terminated line's number waits the grid's quarantine before it is reassigned;
    only an assigned number goes there (lifecycle.NUMBER_MOVES)."""
    days = grid_parameters(on=on).number_quarantine_days
    return numbers_move(
        numbers=numbers, to=N.QUARANTINE, quarantine_until=on + timedelta(days=days)
    )


def number_release_quarantined(*, today: date) -> int:
    """R17.3: numbers whose quarantine is over go back to the pool; returns how many.

    One set-based update of what is due and not yet done, so a repeated or concurrent run
    releases nothing twice.
    """
    return numbers_move(
        numbers=MobileNumber.objects.filter(quarantine_until__lte=today), to=N.AVAILABLE
    )
