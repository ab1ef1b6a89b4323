"""Shapes shared by the TMF resources: Money, dates, time periods, references."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from lib.money import tnd

BILLS_BASE = "/tmf-api/customerBillManagement/v5"
PRIVACY_BASE = "/tmf-api/partyPrivacyManagement/v5"


def money(value: Decimal) -> dict:
    """TMF Money: TND with its three decimals (the renderer writes the Decimal as it is)."""
    return {"unit": "TND", "value": tnd(value)}


def local_start(day: date) -> str:
    """Midnight of a local (Africa/Tunis) day, as TMF's date-time."""
    return timezone.make_aware(datetime.combine(day, time.min)).isoformat()


def period(start: date, end: date) -> dict:
    """A TimePeriod of whole local days: from the first day's start to the last day's end."""
    return {
        "startDateTime": local_start(start),
        "endDateTime": timezone.make_aware(
            datetime.combine(end + timedelta(days=1), time.min) - timedelta(seconds=1)
        ).isoformat(),
    }


def instant(value: datetime) -> str:
    return timezone.localtime(value).isoformat()


def ref(type_: str, id_: str, href: str, **extra) -> dict:
    return {"id": id_, "href": href, "@type": type_, **extra}


def fields_selected(item: dict, fields: set[str] | None) -> dict:
    """TMF's `fields`: the listed first-level attributes, with id, href and @type always."""
    if not fields:
        return item
    keep = fields | {"id", "href", "@type"}
    return {name: value for name, value in item.items() if name in keep}
