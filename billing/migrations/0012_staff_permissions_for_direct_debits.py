from django.db import migrations

from accounts.staff_permissions import apply_staff_permissions


class Migration(migrations.Migration):
    dependencies = [("billing", "0011_credit_notes_paper_batch_direct_debits_carried_debts")]

    operations = [migrations.RunPython(apply_staff_permissions, migrations.RunPython.noop)]
