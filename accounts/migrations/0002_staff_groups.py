from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalogue", "0001_initial"),
        ("subscriptions", "0001_initial"),
    ]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
