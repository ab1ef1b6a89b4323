"""The changes a kept page of bills is checked against (api.bill_changes): a table and the
statement triggers that fill it, on PostgreSQL only (elsewhere no page is kept)."""

from django.db import migrations

TABLES = (
    "billing_invoice",
    "billing_payment",
    "billing_paymentallocation",
    "billing_billingrun",
    "einvoicing_submission",
    "subscriptions_contract",
    "subscriptions_customer",
)

CREATE = (
    """CREATE TABLE api_billchange (
        xid xid8 PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT clock_timestamp()
    )""",
    "CREATE INDEX api_billchange_at ON api_billchange (at)",
    """CREATE FUNCTION api_bill_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO api_billchange (xid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
        RETURN NULL;
    END
    $$""",
)
TRIGGER = """CREATE TRIGGER api_bill_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION api_bill_changed();"""
DROP = ("DROP FUNCTION api_bill_changed() CASCADE", "DROP TABLE api_billchange")


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in CREATE:
            schema_editor.execute(statement)
        for table in TABLES:
            schema_editor.execute(TRIGGER.format(table=table))


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in DROP:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ("api", "0003_rate_windows"),
        ("billing", "0023_charge_copy_of"),
        ("einvoicing", "0002_staff_permissions_for_einvoicing"),
        ("subscriptions", "0011_customernotification_claimed_at"),
    ]

    operations = [migrations.RunPython(create, drop)]
