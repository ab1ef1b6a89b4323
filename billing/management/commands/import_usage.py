from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from billing.models import UsageImport
from billing.usage_import import usage_import_run, usage_import_store


class Command(BaseCommand):
    help = (
        "Import CSV files of usage records (docs/usage-csv.md), each stored then read in chunks; "
        "a file imported twice adds nothing. --resume goes on with an import that stopped."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="*", type=Path)
        parser.add_argument(
            "--resume",
            type=int,
            action="append",
            default=[],
            metavar="IMPORT_ID",
            help="an import left unfinished (by a crash), to go on from its last chunk",
        )

    def handle(self, *args, paths: list[Path], resume: list[int], **options):
        if not paths and not resume:
            raise CommandError("Give the files to import, or --resume with an import's id.")
        ids = list(resume)
        for path in paths:
            with path.open("rb") as content:
                ids.append(usage_import_store(name=path.name, content=content).pk)
        for import_id in ids:
            if not UsageImport.objects.filter(pk=import_id).exists():
                raise CommandError(f"No usage import {import_id}.")
            report = usage_import_run(import_id, progress=self._progress)
            self.stdout.write(
                f"{report.name} (import {report.pk}): {report.rows_imported} imported, "
                f"{report.rows_duplicate} already there, {report.rows_refused} refused"
            )
            for error in report.errors:
                self.stderr.write(f"  row {error['row']}: {error['error']}")
            if report.rows_refused > len(report.errors):
                self.stderr.write(f"  and {report.rows_refused - len(report.errors)} more rows")

    def _progress(self, report: UsageImport) -> None:
        self.stdout.write(f"  {report.name}: {report.rows_total} rows read ({report.progress} %)")
