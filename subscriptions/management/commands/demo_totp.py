from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from subscriptions.demo import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current TOTP code of the demo staff (DEBUG only): the admin asks for it."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("The demo second factor is published: DEBUG only.")
        self.stdout.write(f"{totp(bytes.fromhex(DEMO_TOTP_KEY)):06d}")
