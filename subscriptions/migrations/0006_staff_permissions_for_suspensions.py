from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0005_suspensions")]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
