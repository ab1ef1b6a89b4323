from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [("terminations", "0001_terminations_and_changes_of_conditions")]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
