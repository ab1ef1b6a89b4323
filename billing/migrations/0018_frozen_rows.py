"""Issue 16, point 7: issued invoices, their lines and payments cannot be changed or deleted
in SQL (lib/frozen_rows.py); PostgreSQL only."""

from django.db import migrations

from lib.frozen_rows import (
    FUNCTION,
    drop_sql,
    frozen_rows_sql,
    on_postgresql,
    refused_when_sql,
)

# What code fills in after issue (billing/documents.py): the PDF once, the mail's outbox state.
INVOICE_WRITABLE = ("pdf", "email_claimed_at", "emailed_at", "email_message_id")
# R9.4: a payment is reversed once (billing/payments.py `payment_reverse`), never changed.
PAYMENT_WRITABLE = ("reversed_at", "reversed_by_id", "reversal_reason")

FORWARD = "\n".join(
    [
        FUNCTION,
        frozen_rows_sql("billing_invoice", writable=INVOICE_WRITABLE),
        refused_when_sql(
            "billing_invoice",
            "portal_invoice_pdf_once",
            "OLD.pdf <> '' AND NEW.pdf IS DISTINCT FROM OLD.pdf",
            "an invoice keeps the PDF it was sent with",
        ),
        frozen_rows_sql("billing_invoiceline"),
        frozen_rows_sql("billing_payment", writable=PAYMENT_WRITABLE),
        refused_when_sql(
            "billing_payment",
            "portal_payment_reversed_once",
            "OLD.reversed_at IS NOT NULL AND (NEW.reversed_at, NEW.reversed_by_id, "
            "NEW.reversal_reason) IS DISTINCT FROM (OLD.reversed_at, OLD.reversed_by_id, "
            "OLD.reversal_reason)",
            "a reversal is never changed",
        ),
    ]
)
BACKWARD = "\n".join(
    [
        drop_sql("billing_invoice", "portal_frozen_row", "portal_invoice_pdf_once"),
        drop_sql("billing_invoiceline", "portal_frozen_row"),
        drop_sql("billing_payment", "portal_frozen_row", "portal_payment_reversed_once"),
    ]
)


class Migration(migrations.Migration):
    dependencies = [("billing", "0017_invoice_outbox")]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: on_postgresql(schema_editor, FORWARD),
            lambda apps, schema_editor: on_postgresql(schema_editor, BACKWARD),
        )
    ]
