from django.core.management.base import BaseCommand, CommandError

from accounts.models import Boutique
from api.keys import key_create
from api.models import Scope


class Command(BaseCommand):
    help = (
        "Make an API key for a system (as the back office's API keys, Add) and print it: "
        "it is shown this once, only its hash is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the system, e.g. CRM")
        parser.add_argument(
            "--scope", action="append", required=True, choices=Scope.values, dest="scopes"
        )
        parser.add_argument("--boutique", help="a boutique's code: its customers only")
        parser.add_argument("--rate", type=int, default=600, help="requests per minute")

    def handle(self, *args, name: str, scopes: list[str], boutique, rate: int, **options):
        shop = None
        if boutique:
            shop = Boutique.objects.filter(code=boutique).first()
            if shop is None:
                raise CommandError(f"No boutique has the code {boutique!r}.")
        _key, text = key_create(name=name, scopes=scopes, boutique=shop, rate_per_minute=rate)
        self.stdout.write(text)
