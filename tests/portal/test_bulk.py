"""Many rows at once through PostgreSQL's COPY: the rows read back as `bulk_create` writes them."""

from datetime import date

from django.utils import timezone

from billing.models import BillingRun
from lib.bulk import bulk_insert


def test_copied_rows_read_back_with_keys_defaults_dates_json_and_files(db):
    before = timezone.now()
    runs = bulk_insert(
        [
            BillingRun(period_start=date(2026, 9, 1), errors=[{"account": 7, "error": "x"}]),
            BillingRun(period_start=date(2026, 10, 1), paper_batch="paper/2026-10.pdf"),
        ]
    )
    assert all(run.pk and not run._state.adding for run in runs)
    september, october = (BillingRun.objects.get(pk=run.pk) for run in runs)
    assert september.errors == [{"account": 7, "error": "x"}]
    assert (september.status, september.accounts_total, september.paper_batch.name) == (
        "running",
        0,
        "",
    )
    assert october.errors == [] and october.paper_batch.name == "paper/2026-10.pdf"
    assert before <= september.started_at <= timezone.now()
    # The sequence moved on: the next row created the ordinary way gets a new key.
    assert BillingRun.objects.create(period_start=date(2026, 11, 1)).pk > october.pk
