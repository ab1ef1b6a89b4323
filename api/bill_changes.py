"""What tells a page of bills kept by a web process (api.bill_pages) whether it still holds.

Every transaction that changes what a page of bills reads (the invoices, their payments and
allocations, their TEIF submissions, the monthly runs, the contracts and customers they belong
to) leaves one row here, its transaction id, written by PostgreSQL's statement triggers
(migration api 0004): nothing in Python has to remember to say so, bulk writes and COPY
included. A page is kept with the snapshot of the statement that wrote it
(`pg_current_snapshot()`); it still holds for a later statement when every change that
statement sees was already seen by that snapshot, and the later statement's transaction
changed nothing itself. A transaction in flight when the page was written is not in its
snapshot: once it commits, the page no longer holds, whatever order the transactions end in.

Rows are kept a day (`bill_changes_prune`, daily); a page is kept at most an hour
(api.bill_pages.PAGE_KEPT_SECONDS), so no row a kept page needs is ever pruned."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone

KEPT = timedelta(days=1)

# This transaction changed what a page reads (its own changes are visible to it, and to a
# snapshot it took before them).
_CHANGED_HERE = (
    "EXISTS (SELECT 1 FROM api_billchange ch WHERE ch.xid = pg_current_xact_id_if_assigned())"
)
# SQL: a page written under `%(snapshot)s` still holds (false without one).
STILL_HOLDS = f"""(%(snapshot)s::pg_snapshot IS NOT NULL
    AND NOT EXISTS (SELECT 1 FROM api_billchange ch
        WHERE ch.xid >= pg_snapshot_xmin(%(snapshot)s::pg_snapshot)
            AND NOT pg_visible_in_snapshot(ch.xid, %(snapshot)s::pg_snapshot))
    AND NOT {_CHANGED_HERE})"""  # noqa: S608  (fixed text: every value is a parameter)
# SQL: a page written now may be kept (this transaction changed nothing it reads).
KEEPABLE = f"NOT {_CHANGED_HERE}"


def bill_changes_prune() -> int:
    """The changes older than a day deleted (PostgreSQL only); how many."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM api_billchange WHERE at < %s", [timezone.now() - KEPT])
        return cursor.rowcount
