"""The list of TMF678 customerBill, the API's busiest page: its filters, its body (written by
PostgreSQL, api.bill_pages; by `bill_tmf` through the ORM elsewhere), and the way it is served.

A GET that asks nothing unusual is answered here, before Django REST framework: the same key
check (the key, its rate counted, its last use) in the same statement as the page, the same
scope and rate, the same boutique, the same body and headers; DRF's request, negotiation and
exception machinery cost as much as the page itself. Anything else (no key or a refused one, a
missing scope, the rate exceeded, a wrong parameter, another method, an `Accept` to negotiate)
goes to the DRF view, which answers it as every other resource does, with the key already
checked and counted (api.access.request_key)."""

import functools
from datetime import date, tzinfo
from zoneinfo import ZoneInfo

from django.db import connection
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils import timezone
from rest_framework import exceptions

from api.access import KeyHolder, key_text, throttled
from api.bill_pages import BillFilters, BillsPage, bills_page, bills_page_of_key
from api.bills import BILL_VALUES, STATES, bill_tmf, bills_annotated, bills_of
from api.http import fields_param, json_bytes, page_bounds
from api.keys import key_params
from api.models import ApiKey, Scope
from api.tmf import BILLS_BASE, fields_selected

# What DRF's negotiation would settle on at once: the one renderer, JSON.
_PLAIN_ACCEPT = {"", "*/*", "application/json"}


def _day(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value[:10])
    except ValueError as error:
        raise exceptions.ValidationError(f"{name}: a date, YYYY-MM-DD.") from error


def bills_asked(params: QueryDict, boutique: int | None) -> BillFilters:
    """The filters of the query string, and the key's boutique; 400 for a wrong one."""
    if params.get("state") and params["state"] not in STATES:
        raise exceptions.ValidationError(f"state: one of {', '.join(STATES)}.")
    return BillFilters(
        boutique=boutique,
        account=params.get("billingAccount.id") or params.get("billingAccount") or None,
        state=params.get("state") or None,
        **{
            name: _day(value, param)
            for param, name in (
                ("billDate", "day"),
                ("billDate.gte", "since"),
                ("billDate.lte", "until"),
            )
            if (value := params.get(param))
        },
    )


def _base(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def bills_answer(request: HttpRequest, filters: BillFilters) -> HttpResponse:
    """The page the query string asks of the bills `filters` find, with its counts."""
    offset, limit = page_bounds(request.GET)
    fields = fields_param(request.GET)
    base, zone = _base(request), timezone.get_current_timezone()
    if connection.vendor == "postgresql" and isinstance(zone, ZoneInfo):
        page = bills_page(
            filters, offset, limit, fields=fields, root=f"{base}{BILLS_BASE}", zone=zone.key
        )
    else:
        page = bills_page_orm(filters, offset, limit, fields=fields, base=base, zone=zone)
    return _answer(page)


def _answer(page: BillsPage) -> HttpResponse:
    # Written as it is, without DRF's renderer.
    response = HttpResponse(page.body, content_type="application/json")
    response["X-Total-Count"] = str(page.total)
    response["X-Result-Count"] = str(page.listed)
    return response


def _key_and_page(
    request: HttpRequest, filters: BillFilters, offset: int, limit: int
) -> tuple[ApiKey | None, BillsPage]:
    """The key's check and the page in one statement (api.bill_pages.bills_page_of_key); the
    key kept on the request for DRF, if it answers (api.access.request_key)."""
    params = key_params(key_text(request))
    if params is None:
        request.api_key = None  # type: ignore[attr-defined]
        return None, BillsPage(0, 0, b"[]")
    base, zone = _base(request), timezone.get_current_timezone()
    key, page = bills_page_of_key(
        params,
        Scope.BILLS_READ,
        filters,
        offset,
        limit,
        fields=fields_param(request.GET),
        root=f"{base}{BILLS_BASE}",
        zone=getattr(zone, "key", ""),
    )
    request.api_key = key  # type: ignore[attr-defined]
    return key, page


def bills_page_orm(
    filters: BillFilters,
    offset: int,
    limit: int,
    *,
    fields: set[str] | None,
    base: str,
    zone: tzinfo,
) -> BillsPage:
    """`api.bill_pages.bills_page` through the ORM and `bill_tmf`, for a database other than
    PostgreSQL (SQLite for `make run`): the total, then the page."""
    bills = bills_of(filters.boutique)
    if filters.account:
        bills = bills.filter(contract__reference=filters.account)
    if filters.state:
        # `state` is an annotation of bills_annotated, which the type checker cannot see.
        states = bills_annotated(bills).filter(**{"state": filters.state})
        bills = bills.filter(pk__in=states.values("pk"))
    for value, lookup in ((filters.day, ""), (filters.since, "__gte"), (filters.until, "__lte")):
        if value is not None:
            bills = bills.filter(**{f"issued_on{lookup}": value})
    total = bills.count()
    rows = bills_annotated(bills).values(*BILL_VALUES)[offset : offset + limit]
    items = [fields_selected(bill_tmf(row, base, zone), fields) for row in rows]
    return BillsPage(total, len(items), json_bytes(items))


def _answered_here(request: HttpRequest, allow: str) -> HttpResponse | None:
    """The page, when nothing in the request needs DRF; None otherwise (nothing answered)."""
    if (
        request.method != "GET"
        or request.META.get("HTTP_ACCEPT", "") not in _PLAIN_ACCEPT
        or "format" in request.GET
        or connection.vendor != "postgresql"
        or not isinstance(timezone.get_current_timezone(), ZoneInfo)
        or not key_text(request)
    ):
        return None
    try:
        # The key's boutique is the statement's (api.bill_pages.bills_page_of_key).
        filters = bills_asked(request.GET, None)
        offset, limit = page_bounds(request.GET)
    except exceptions.ValidationError:
        return None
    key, page = _key_and_page(request, filters, offset, limit)
    if key is None or Scope.BILLS_READ not in key.scopes or throttled(key) is not None:
        return None
    # As DRF does: the middleware after the view sees the calling system.
    request.user = KeyHolder(key)  # type: ignore[assignment]
    response = _answer(page)
    response["Allow"] = allow  # as DRF writes it
    return response


def served_before_drf(drf_view):
    """The DRF view of the list (`as_view()`), answered here when it can be (its class kept for
    the OpenAPI document)."""

    drf = drf_view.cls(**drf_view.initkwargs)
    drf.setup(HttpRequest())  # as `as_view` does: HEAD where GET is
    allow = ", ".join(drf.allowed_methods)

    @functools.wraps(drf_view)
    def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        return _answered_here(request, allow) or drf_view(request, *args, **kwargs)

    return view
