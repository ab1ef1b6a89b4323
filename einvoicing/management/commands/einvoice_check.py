"""`manage.py einvoice_check`: the last signed TEIF documents checked the slow, complete way.

The sending path checks each document with the fast check (einvoicing/schema.py) and does not
verify its signature again. After a billing run, or after a change of TTN's schema, certificate
or signature policy, this checks a sample of the stored documents with xmlschema's XSD 1.1
processor on TTN's signed schema as published, and verifies their signatures (einvoicing
.signing.teif_verify) against the configured certificate and policy. Exits with 1 if any fails.
"""

from django.core.management.base import BaseCommand, CommandError

from einvoicing.models import Submission
from einvoicing.schema import teif_errors
from einvoicing.signing import InvalidSignature, credentials, policy, teif_verify


class Command(BaseCommand):
    help = "Check the last signed TEIF documents against TTN's XSD 1.1 schema and verify them."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--sample", type=int, default=50, help="how many, the latest first")

    def handle(self, *args, sample: int, **options) -> None:
        certificate, expected = credentials().certificate, policy()
        failures = 0
        rows = Submission.objects.exclude(xml="").order_by("-pk")[:sample]
        for row in rows:
            with row.xml.open("rb") as stored:
                document = stored.read()
            problems = teif_errors(document, signed=True)
            try:
                teif_verify(document, certificate, expected_policy=expected)
            except InvalidSignature as error:
                problems.append(f"signature: {error}")
            if problems:
                failures += 1
                self.stderr.write(f"{row.key}: " + "; ".join(problems[:5]))
        self.stdout.write(f"{len(rows) - failures} of {len(rows)} documents valid and verified")
        if failures:
            raise CommandError(f"{failures} documents fail")
