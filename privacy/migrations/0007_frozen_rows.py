"""Issue 16, point 7: consents and the staff's access log cannot be changed or deleted in SQL
(lib/frozen_rows.py); PostgreSQL only."""

from django.db import migrations

from lib.frozen_rows import FUNCTION, drop_sql, frozen_rows_sql, on_postgresql

FORWARD = "\n".join(
    [
        FUNCTION,
        frozen_rows_sql("privacy_consent"),
        frozen_rows_sql("privacy_staffaccesslog"),
    ]
)
BACKWARD = "\n".join(
    [
        drop_sql("privacy_consent", "portal_frozen_row"),
        drop_sql("privacy_staffaccesslog", "portal_frozen_row"),
    ]
)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0006_alter_consent_channel")]

    operations = [
        migrations.RunPython(
            lambda apps, schema_editor: on_postgresql(schema_editor, FORWARD),
            lambda apps, schema_editor: on_postgresql(schema_editor, BACKWARD),
        )
    ]
