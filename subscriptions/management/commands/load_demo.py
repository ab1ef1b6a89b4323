from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from subscriptions.demo import RECHARGE_CODES, demo_load, demo_totp_secret


class Command(BaseCommand):
    help = "Create demo boutiques, staff, numbers, SIMs and customers (idempotent, DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError("Demo accounts have published passwords: DEBUG only (or --force).")
        for login in demo_load():
            self.stdout.write(f"  {login.role:<20} {login.login:<24} {login.password}")
        self.stdout.write("Demo recharge codes (each works once; make run again renews them):")
        for demo in RECHARGE_CODES:
            self.stdout.write(f"  {demo.code}   {demo.amount} TND")
        self.stdout.write(
            "Back office second factor (TOTP) of the demo staff: secret "
            f"{demo_totp_secret()} in an authenticator app, or the current code with "
            "`.venv/bin/python manage.py demo_totp`."
        )
