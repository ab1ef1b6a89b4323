"""Test setup that rewrites an issued record (an invoice's language or due date, to reach a
case without issuing anew): PostgreSQL's frozen-row triggers (lib/frozen_rows.py) are off for
that statement's transaction only, as no code of the portal can make them."""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def rewriting_history() -> Iterator[None]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        yield
        cursor.execute("SET LOCAL session_replication_role = origin")
