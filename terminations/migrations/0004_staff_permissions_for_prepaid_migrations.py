from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [("terminations", "0003_prepaid_migrations")]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
