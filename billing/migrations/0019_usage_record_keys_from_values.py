"""Issue 16, point 3: the duplicate key of a usage record is built from its parsed values
(billing/usage.py `record_key`); the records imported before get theirs. Two records that were
the same call spelled differently keep distinct keys (the later one its old key): both may be
billed already, and a record is never deleted here."""

import hashlib
from datetime import UTC
from decimal import Decimal

from django.db import IntegrityError, migrations, transaction

THOUSANDTH = Decimal("0.001")


def _key(msisdn, at, kind, destination, quantity) -> str:
    parts = [
        msisdn,
        at.astimezone(UTC).isoformat(),
        kind,
        " ".join(destination.split()).upper(),
        f"{quantity.quantize(THOUSANDTH)}",
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def rekey(apps, schema_editor):
    UsageRecord = apps.get_model("billing", "UsageRecord")
    records = UsageRecord.objects.select_related("line__number").order_by("pk")
    for record in records.iterator(chunk_size=2000):
        key = _key(
            record.line.number.msisdn,
            record.started_at,
            record.kind,
            record.destination,
            record.quantity,
        )
        if key == record.record_key:
            continue
        try:
            with transaction.atomic():
                UsageRecord.objects.filter(pk=record.pk).update(record_key=key)
        except IntegrityError:
            continue  # an earlier record is the same call: this one keeps its old key


class Migration(migrations.Migration):
    dependencies = [("billing", "0018_frozen_rows")]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
