from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [("terminations", "0005_line_transfers")]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
