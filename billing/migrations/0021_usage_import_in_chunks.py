from django.db import migrations, models


def count_refused(apps, schema_editor):
    """The imports made before: finished, their refused rows all listed."""
    UsageImport = apps.get_model("billing", "UsageImport")
    for report in UsageImport.objects.exclude(errors=[]).iterator():
        report.rows_refused = len(report.errors)
        report.save(update_fields=["rows_refused"])


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0020_usagerecord_country_alter_invoiceline_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="usageimport",
            name="source",
            field=models.FileField(
                blank=True, upload_to="usage-imports/%Y/%m/", verbose_name="stored file"
            ),
        ),
        migrations.AddField(
            model_name="usageimport",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("importing", "Importing"),
                    ("done", "Done"),
                    ("refused", "File refused"),
                ],
                default="done",
                max_length=9,
                verbose_name="status",
            ),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="usageimport",
            name="status",
            field=models.CharField(
                choices=[
                    ("queued", "Queued"),
                    ("importing", "Importing"),
                    ("done", "Done"),
                    ("refused", "File refused"),
                ],
                default="queued",
                max_length=9,
                verbose_name="status",
            ),
        ),
        migrations.AddField(
            model_name="usageimport",
            name="finished_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="finished at"),
        ),
        migrations.AddField(
            model_name="usageimport",
            name="size",
            field=models.PositiveBigIntegerField(default=0, verbose_name="size in bytes"),
        ),
        migrations.AddField(
            model_name="usageimport",
            name="bytes_read",
            field=models.PositiveBigIntegerField(default=0, verbose_name="bytes read"),
        ),
        migrations.AddField(
            model_name="usageimport",
            name="rows_refused",
            field=models.PositiveIntegerField(default=0, verbose_name="refused"),
        ),
        migrations.RunPython(count_refused, migrations.RunPython.noop, elidable=True),
    ]
