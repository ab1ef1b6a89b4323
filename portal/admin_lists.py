"""Every admin list keeps customers' and mediation files' text in its place (issue 16, point 6).

A name, an address, a postal code or a usage destination may hold a right-to-left override
(U+202E) that would print it, and what follows it, backwards. Django's change list renders its
cells in `admin_list.items_for_result`, through `display_for_field` and `display_for_value`:
those names are replaced in that module (once, when the admin loads) so that each text value is
isolated (FSI ... PDI, lib.bidi.isolate) and no cell keeps an embedding or override, whichever
ModelAdmin lists it, foreign keys shown by their `__str__` included."""

from collections.abc import Callable, Iterator
from typing import Any

from django.contrib.admin.templatetags import admin_list
from django.db import models
from django.utils.safestring import SafeString, mark_safe

from lib.bidi import bidi_neutral, isolate

_TEXT_FIELDS = (models.CharField, models.TextField)


def _field_isolated(display: Callable[..., Any]) -> Callable[..., Any]:
    def display_for_field(value: Any, field: models.Field, *args: Any, **kwargs: Any) -> Any:
        shown = display(value, field, *args, **kwargs)
        return isolate(shown) if isinstance(field, _TEXT_FIELDS) else shown

    return display_for_field


def _value_isolated(display: Callable[..., Any]) -> Callable[..., Any]:
    def display_for_value(value: Any, *args: Any, **kwargs: Any) -> Any:
        shown = display(value, *args, **kwargs)
        return isolate(shown) if isinstance(value, str) and isinstance(shown, str) else shown

    return display_for_value


def _cells_neutral(items: Callable[..., Iterator[SafeString]]) -> Callable[..., Iterator[Any]]:
    def items_for_result(*args: Any, **kwargs: Any) -> Iterator[SafeString]:
        for cell in items(*args, **kwargs):
            yield mark_safe(bidi_neutral(cell))  # noqa: S308  (HTML made by the admin)

    return items_for_result


def isolate_list_cells() -> None:
    names = vars(admin_list)  # its namespace: its stubs leave out the names it imports
    if names.get("_cells_isolated", False):
        return
    names["display_for_field"] = _field_isolated(names["display_for_field"])
    names["display_for_value"] = _value_isolated(names["display_for_value"])
    names["items_for_result"] = _cells_neutral(names["items_for_result"])
    names["_cells_isolated"] = True
