"""Requests per minute per key, counted in the database: every web process (gunicorn's
workers, several servers) adds to the same count, which memory per process would not.

One row per key holds the current minute's window and its count; a request adds one in a
single statement (an upsert that starts a new window when the minute changed), so concurrent
requests never lose a count. The upsert is part of the statement that finds the key
(`api.keys.key_authenticate`): a request costs one round trip for both. Windows are fixed
minutes: a key may send up to twice its rate across the turn of a minute, never more. On
PostgreSQL the table is UNLOGGED (migration 0003): no WAL is written nor flushed per request,
and the counts, worth a minute, may be lost on a crash."""

import math

WINDOW_SECONDS = 60

# One more request of the key (`key_id` from the statement's `key` row) in `%(window)s`.
RATE_TAKE = """
INSERT INTO api_ratewindow (key_id, window_start, used) SELECT id, %(window)s, 1 FROM key
ON CONFLICT (key_id) DO UPDATE SET
    used = CASE WHEN api_ratewindow.window_start = excluded.window_start
                THEN api_ratewindow.used + 1 ELSE 1 END,
    window_start = excluded.window_start
RETURNING used
"""


def rate_window(now: float) -> int:
    """The minute `now` (seconds since the epoch) is in, as its first second."""
    return int(now // WINDOW_SECONDS) * WINDOW_SECONDS


def rate_wait(*, used: int, per_minute: int, window: int, now: float) -> int | None:
    """None when the window's `used` requests are within the rate, else the seconds to wait."""
    if used <= per_minute:
        return None
    return max(1, math.ceil(window + WINDOW_SECONDS - now))
