from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [("privacy", "0001_consents_requests_access_log")]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
