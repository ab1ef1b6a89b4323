from pathlib import Path

from django.core.management.base import BaseCommand

from billing.usage import usage_import


class Command(BaseCommand):
    help = "Import a CSV of usage records (docs/usage-csv.md); a file imported twice adds nothing."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", type=Path)

    def handle(self, *args, paths: list[Path], **options):
        for path in paths:
            report = usage_import(name=path.name, content=path.read_bytes())
            self.stdout.write(
                f"{path.name}: {report.rows_imported} imported, {report.rows_duplicate} already "
                f"there, {len(report.errors)} refused"
            )
            for error in report.errors:
                self.stderr.write(f"  row {error['row']}: {error['error']}")
