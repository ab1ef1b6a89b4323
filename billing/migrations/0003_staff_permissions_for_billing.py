from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0002_usage_records"),
        ("subscriptions", "0003_staff_permissions_for_files"),
    ]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
