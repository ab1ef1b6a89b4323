"""The number pool: numbers go to quarantine at termination and come back after it (R17.3)."""

from datetime import date, timedelta

from catalogue.selectors import grid_parameters
from subscriptions.models import MobileNumber


def number_quarantine(*, number: MobileNumber, on: date) -> MobileNumber:
    """R17.3: a terminated line's number waits the grid's quarantine before it is reassigned."""
    days = grid_parameters(on=on).number_quarantine_days
    number.status = MobileNumber.Status.QUARANTINE
    number.quarantine_until = on + timedelta(days=days)
    number.save(update_fields=["status", "quarantine_until"])
    return number


def number_release_quarantined(*, today: date) -> int:
    """R17.3: numbers whose quarantine is over go back to the pool; returns how many.

    One set-based update of what is due and not yet done, so a repeated or concurrent run
    releases nothing twice.
    """
    return MobileNumber.objects.filter(
        status=MobileNumber.Status.QUARANTINE, quarantine_until__lte=today
    ).update(status=MobileNumber.Status.AVAILABLE, quarantine_until=None)
