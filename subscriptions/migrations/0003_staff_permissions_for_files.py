from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_staff_groups"),
        ("catalogue", "0002_required_documents_and_deadlines"),
        ("subscriptions", "0002_subscription_files"),
    ]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
