"""A forked process (Celery's prefork pool, the bench's renderers) starts with no database
connection of its parent: the parent's connections and psycopg pool stay the parent's.

After a fork the child holds copies of the parent's sockets; a query on one of them mixes two
processes' messages on one PostgreSQL session (wrong rows, "server closed the connection"). The
child forgets them without closing them (closing would end the parent's session too) and opens
its own on its first query."""

import os

_inherited: list[object] = []  # kept, never closed nor collected: they are the parent's


def _forget_inherited_connections() -> None:
    from django.db import connections
    from django.db.backends.postgresql.base import DatabaseWrapper

    # Django's pools per settings, a private class attribute that django-stubs does not declare.
    pools: dict = DatabaseWrapper._connection_pools  # type: ignore[attr-defined]
    _inherited.extend(pools.values())
    pools.clear()
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _inherited.append(connection.connection)
            connection.connection = None


def forget_connections_at_fork() -> None:
    os.register_at_fork(after_in_child=_forget_inherited_connections)
