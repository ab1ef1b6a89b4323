from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial"), ("accounts", "0002_staff_groups")]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
