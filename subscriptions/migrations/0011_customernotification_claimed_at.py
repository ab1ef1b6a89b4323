from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("subscriptions", "0010_provisioningorder_claimed_at"),
    ]

    operations = [
        migrations.AddField(
            model_name="customernotification",
            name="claimed_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="being sent since"),
        ),
    ]
