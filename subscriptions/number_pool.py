"""The number pool: numbers go to quarantine at termination and come back after it (R17.3)."""

from datetime import date, timedelta

from catalogue.selectors import grid_parameters
from subscriptions.lifecycle import number_sources_of
from subscriptions.models import MobileNumber

N = MobileNumber.Status


def number_quarantine(*, number: MobileNumber, on: date) -> MobileNumber:
    """R17.3: a terminated line's number waits the grid's quarantine before it is reassigned;
    only an assigned number goes there (lifecycle.NUMBER_MOVES), with a conditional update."""
    days = grid_parameters(on=on).number_quarantine_days
    until = on + timedelta(days=days)
    MobileNumber.objects.filter(pk=number.pk, status__in=number_sources_of(N.QUARANTINE)).update(
        status=N.QUARANTINE, quarantine_until=until
    )
    number.refresh_from_db(fields=["status", "quarantine_until"])
    return number


def number_release_quarantined(*, today: date) -> int:
    """R17.3: numbers whose quarantine is over go back to the pool; returns how many.

    One set-based update of what is due and not yet done, so a repeated or concurrent run
    releases nothing twice.
    """
    return MobileNumber.objects.filter(
        status__in=number_sources_of(N.AVAILABLE), quarantine_until__lte=today
    ).update(status=N.AVAILABLE, quarantine_until=None)
