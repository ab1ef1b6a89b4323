from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.second_factor import staff_totp_enrol


class Command(BaseCommand):
    help = (
        "Give a staff account its TOTP second factor (replacing any other) and print the "
        "otpauth:// URL to add to an authenticator app: the admin asks for its codes."
    )

    def add_arguments(self, parser):
        parser.add_argument("email")

    def handle(self, *args, email: str, **options):
        user = User.objects.filter(email=email.strip().lower(), is_staff=True).first()
        if user is None:
            raise CommandError(f"No staff account has the e-mail {email!r}.")
        self.stdout.write(staff_totp_enrol(user).config_url)
