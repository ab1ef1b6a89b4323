"""Issue 16, point 5: the staff's second factor (TOTP through django-otp) at the admin's
sign-in. Each staff account has one authenticator (its TOTP device): the code typed is checked
against it without asking the agent to pick it from a list first."""

from django.db import transaction
from django_otp.admin import OTPAdminAuthenticationForm
from django_otp.plugins.otp_totp.models import TOTPDevice


class StaffSignInForm(OTPAdminAuthenticationForm):
    """E-mail, password and TOTP code in one step."""

    def _chosen_device(self, user):
        chosen = super()._chosen_device(user)
        if chosen is not None:
            return chosen
        devices = list(TOTPDevice.objects.devices_for_user(user, confirmed=True)[:2])
        return devices[0] if len(devices) == 1 else None


def staff_totp_enrol(user) -> TOTPDevice:
    """A new TOTP secret for a staff account (its former devices removed: a lost phone's codes
    stop working at once); `manage.py staff_totp <email>` prints its otpauth:// URL."""
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
