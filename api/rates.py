"""Requests per minute per key, counted in the database: every web process (gunicorn's
workers, several servers) adds to the same count, which memory per process would not.

One row per key holds the current minute's window and its count; a request adds one in a
single statement (an upsert that starts a new window when the minute changed), so concurrent
requests never lose a count. Windows are fixed minutes: a key may send up to twice its rate
across the turn of a minute, never more. On PostgreSQL the table is UNLOGGED (migration 0003):
no WAL is written nor flushed per request, and the counts, worth a minute, may be lost on a
crash."""

import math
import time

from django.db import connection

WINDOW_SECONDS = 60

_TAKE = """
INSERT INTO api_ratewindow (key_id, window_start, used) VALUES (%s, %s, 1)
ON CONFLICT (key_id) DO UPDATE SET
    used = CASE WHEN api_ratewindow.window_start = excluded.window_start
                THEN api_ratewindow.used + 1 ELSE 1 END,
    window_start = excluded.window_start
RETURNING used
"""


def rate_take(*, key_id: int, per_minute: int) -> int | None:
    """Count one request of the key: None when within its rate, else the seconds to wait."""
    now = time.time()
    start = int(now // WINDOW_SECONDS) * WINDOW_SECONDS
    with connection.cursor() as cursor:
        cursor.execute(_TAKE, [key_id, start])
        (used,) = cursor.fetchone()
    if used <= per_minute:
        return None
    return max(1, math.ceil(start + WINDOW_SECONDS - now))
