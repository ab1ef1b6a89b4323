"""Statements PostgreSQL plans once per connection: a query run on every request whose planning
costs more than its execution (a page of the API).

Django's cursors bind parameters on the client, so nothing they run is ever prepared (poolers
such as PgBouncer's older versions require it). A query run through `prepared_cursor` binds
them on the server, and psycopg prepares it after `prepare_threshold` runs on the connection
(OPTIONS, portal/settings.py); the pool keeps connections, and their prepared statements, across
requests. The cursor is Django's wrapper: errors are Django's and queries are logged and counted
as any other."""

from typing import Any

from django.db import connection
from django.db.backends.utils import CursorWrapper


def prepared_cursor() -> CursorWrapper:
    """A cursor of the default connection whose queries are bound and prepared by the server
    (PostgreSQL with psycopg 3 only)."""
    from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg 3 only

    connection.close_if_health_check_failed()
    connection.ensure_connection()
    # psycopg's cursor class, which django-stubs declares without its connection argument.
    cursor: Any = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]
    if connection.queries_logged:
        return connection.make_debug_cursor(cursor)
    return connection.make_cursor(cursor)
