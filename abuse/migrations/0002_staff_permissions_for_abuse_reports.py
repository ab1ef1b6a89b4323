from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [("abuse", "0001_initial"), ("passes", "0002_staff_permissions_for_passes")]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
