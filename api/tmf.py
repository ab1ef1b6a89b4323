"""Shapes shared by the TMF resources: Money, dates, time periods, references.

A page holds hundreds of dates and amounts, most of them repeated (the same bill dates, the
same prices): each is written once and reused. The dicts returned are shared, never changed."""

import functools
from datetime import date, datetime, time, tzinfo
from decimal import Decimal

from django.utils import timezone

from api.http import exact
from lib.money import tnd

BILLS_BASE = "/tmf-api/customerBillManagement/v5"
PRIVACY_BASE = "/tmf-api/partyPrivacyManagement/v5"


@functools.lru_cache(maxsize=4096)
def money(value: Decimal) -> dict:
    """TMF Money: TND with its three decimals, written as they are (`api.http.exact`)."""
    return {"unit": "TND", "value": exact(tnd(value))}


def local_start(day: date, zone: tzinfo | None = None) -> str:
    """Midnight of a local (Africa/Tunis) day, as TMF's date-time."""
    return _day_start(day, zone or timezone.get_current_timezone())


@functools.lru_cache(maxsize=8192)
def _day_start(day: date, zone: tzinfo) -> str:
    return datetime.combine(day, time.min, tzinfo=zone).isoformat()


@functools.lru_cache(maxsize=8192)
def _day_end(day: date, zone: tzinfo) -> str:
    """The day's last second, local time."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone).isoformat()


def period(start: date, end: date, zone: tzinfo | None = None) -> dict:
    """A TimePeriod of whole local days: from the first day's start to the last day's end."""
    zone = zone or timezone.get_current_timezone()
    return {"startDateTime": _day_start(start, zone), "endDateTime": _day_end(end, zone)}


def instant(value: datetime, zone: tzinfo | None = None) -> str:
    return value.astimezone(zone or timezone.get_current_timezone()).isoformat()


def ref(type_: str, id_: str, href: str, **extra) -> dict:
    return {"id": id_, "href": href, "@type": type_, **extra}


def fields_selected(item: dict, fields: set[str] | None) -> dict:
    """TMF's `fields`: the listed first-level attributes, with id, href and @type always."""
    if not fields:
        return item
    keep = fields | {"id", "href", "@type"}
    return {name: value for name, value in item.items() if name in keep}
