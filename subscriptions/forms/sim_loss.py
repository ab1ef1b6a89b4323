"""Forms of a lost or stolen SIM (R14.1, R14.4): the customer's password again, the police
declaration, the replacement SIM. Forms validate; they never act."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from lib.forms import submit_helper
from lib.uploads import DocumentField
from subscriptions.models import SimCard


class PasswordConfirmForm(forms.Form):
    """R14.4: in the portal, the customer proves who they are by typing their password again."""

    password = forms.CharField(
        label=_("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "off"})
    )
    error_messages = {"wrong_password": _("This is not your password.")}

    def __init__(self, *args, user: User, submit: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = submit_helper(submit)

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(self.error_messages["wrong_password"], code="wrong_password")
        return password


class PoliceDeclarationForm(forms.Form):
    """R14.1: the copy of the police declaration (PDF, JPEG or PNG, checked by its bytes)."""

    document = DocumentField(label=_("Police declaration of loss or theft"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(_("Send"))


class ReplacementSimForm(forms.Form):
    """R14.3: a SIM from the stock of the customer's boutique."""

    sim = forms.ModelChoiceField(label=_("New SIM"), queryset=SimCard.objects.none())

    def __init__(self, *args, sims, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sim"].queryset = sims
