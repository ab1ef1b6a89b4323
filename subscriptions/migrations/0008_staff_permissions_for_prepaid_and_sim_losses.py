from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0007_prepaid_top_ups_sim_losses")]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
