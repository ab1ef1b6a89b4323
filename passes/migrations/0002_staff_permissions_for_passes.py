from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("passes", "0001_initial"),
        ("catalogue", "0008_gridparameters_capped_balance_pays_passes_and_more"),
    ]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
