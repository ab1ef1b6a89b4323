"""Many rows at once: inserted through PostgreSQL's COPY where it runs, and filtered by a list
of ids sent as one array.

A billing batch writes a few thousand invoice lines; COPY takes the rows as they are (psycopg
sends dates, decimals and text in its own format) where `bulk_create` compiles an INSERT with one
parameter per value, which costs more than the billing itself. Other databases (the SQLite of
`make run`) use `bulk_create`.
"""

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from operator import attrgetter
from typing import TypeVar

from django.core.exceptions import FieldError
from django.db import connection
from django.db.models import Field, FileField, JSONField, Lookup, Model
from django.db.models.fields.related import ForeignObject
from django.db.models.lookups import In
from psycopg.types.json import Jsonb

M = TypeVar("M", bound=Model)


def _column_reader(field: Field) -> Callable[[Model], object]:
    """How COPY reads a field of an instance: its value as set by __init__ (defaults included),
    except the dates Django sets on saving and the values it adapts (files, JSON)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return partial(field.pre_save, add=True)
    if isinstance(field, FileField):
        return lambda obj: getattr(obj, field.attname).name or ""
    if isinstance(field, JSONField):
        return lambda obj: None if (value := getattr(obj, field.attname)) is None else Jsonb(value)
    return attrgetter(field.attname)


class InIds(Lookup):
    """`field__in_ids=[…]`: the rows whose (integer) field is one of the ids. On PostgreSQL
    `field = ANY(%s::bigint[])`: one array parameter (a batch filters several tables by the same
    few hundred ids, and Django would send each id of a list apart), which the planner reads as
    it is, hashed or through the field's index, even on a table whose statistics are stale (a
    month's invoices written a moment ago: `IN (SELECT unnest(…))` then ran as a nested loop over
    every invoice, slower with each batch). Elsewhere Django's `__in`."""

    lookup_name = "in_ids"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        return "%s", [[int(pk) for pk in value]]

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return In(self.lhs, list(self.rhs)).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY({rhs}::bigint[])", [*lhs_params, *rhs_params]


Field.register_lookup(InIds)
ForeignObject.register_lookup(InIds)  # its lookups are its own (not inherited from Field)


def _column(model: type[Model], name: str) -> str:
    field = model._meta.get_field(name)
    if not isinstance(field, Field) or field.column is None:  # a reverse relation, a generic one
        raise FieldError(f"{model.__name__}.{name} has no column to copy into")
    return field.column


def rows_insert(model: type[Model], fields: list[str], rows: Iterable[Sequence]) -> None:
    """Insert plain rows of `model`: values in the order of `fields` (attribute names, e.g.
    `invoice_id`); the fields left out take their database default (the primary key)."""
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(
            model(**dict(zip(fields, row, strict=True))) for row in rows
        )
        return
    meta = model._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(_column(model, name)) for name in fields)
    sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def bulk_insert(objects: list[M]) -> list[M]:
    """Insert `objects` (new instances of one model) and set their primary keys."""
    if not objects:
        return objects
    model = type(objects[0])
    if connection.vendor != "postgresql":
        return model._default_manager.bulk_create(objects)
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            setattr(obj, meta.pk.attname, pk)
    fields = list(meta.concrete_fields)
    readers = [_column_reader(field) for field in fields]
    rows_insert(
        model,
        [field.attname for field in fields],
        ([read(obj) for read in readers] for obj in objects),
    )
    for obj in objects:
        obj._state.adding, obj._state.db = False, connection.alias
    return objects
