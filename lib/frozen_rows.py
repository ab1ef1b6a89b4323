"""Issue 16, point 7: records that must not change cannot, whatever code path or console
session tries. PostgreSQL triggers refuse an UPDATE or DELETE of issued invoices and their
lines, payments, consents and the staff's access log; a correction is a new row (a credit note,
a reversal, a new consent). The few columns that code legitimately fills in later are named
and stay writable: an invoice's PDF (once, from empty) and its mail's outbox state, a payment's
reversal (once, from not reversed). Installed by migrations (billing 0016, privacy 0005);
SQLite, the laptop default, has none.
"""

FUNCTION = """
CREATE OR REPLACE FUNCTION portal_frozen_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '% of a row of % refused: this record is never deleted', TG_OP,
            TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END IF;
    -- TG_ARGV: the columns that may change; any other change is refused.
    IF (to_jsonb(NEW) - COALESCE(TG_ARGV, ARRAY[]::text[]))
        IS DISTINCT FROM (to_jsonb(OLD) - COALESCE(TG_ARGV, ARRAY[]::text[])) THEN
        RAISE EXCEPTION 'UPDATE of a row of % refused: never changed, corrected by a new row',
            TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION portal_refused_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'UPDATE of a row of % refused: %', TG_TABLE_NAME, TG_ARGV[0]
        USING ERRCODE = 'restrict_violation';
END $$;
"""


def _quoted(values: tuple[str, ...]) -> str:
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def frozen_rows_sql(table: str, *, writable: tuple[str, ...] = ()) -> str:
    """The trigger that refuses DELETE, and UPDATE of any column but `writable`."""
    return (
        f'DROP TRIGGER IF EXISTS portal_frozen_row ON "{table}";\n'
        f'CREATE TRIGGER portal_frozen_row BEFORE UPDATE OR DELETE ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION portal_frozen_row({_quoted(writable)});"
    )


def refused_when_sql(table: str, name: str, condition: str, why: str) -> str:
    """A trigger that refuses an UPDATE when `condition` (on OLD and NEW) holds."""
    return (
        f'DROP TRIGGER IF EXISTS {name} ON "{table}";\n'
        f'CREATE TRIGGER {name} BEFORE UPDATE ON "{table}" FOR EACH ROW '
        f"WHEN ({condition}) EXECUTE FUNCTION portal_refused_change({_quoted((why,))});"
    )


def drop_sql(table: str, *names: str) -> str:
    return "\n".join(f'DROP TRIGGER IF EXISTS {name} ON "{table}";' for name in names)


def on_postgresql(schema_editor, sql: str) -> None:
    """Run the SQL on PostgreSQL only (SQLite, the laptop default, has no such triggers)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(sql, params=None)  # "%" in the functions is not a placeholder
