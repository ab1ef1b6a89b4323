"""Forms about a customer's lines: an option taken later, the identity check by phone. Forms
validate; they never act."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from catalogue.models import Offer, Option
from catalogue.price_labels import options_priced
from lib.forms import model_choice


class OptionRequestForm(forms.Form):
    """R3.3: an option is activated only after the five identity checks."""

    option = forms.ModelChoiceField(label=_("Option or pass"), queryset=Option.objects.none())
    last_name_ok = forms.BooleanField(label=_("My last name is correct"))
    first_name_ok = forms.BooleanField(label=_("My first name is correct"))
    address_ok = forms.BooleanField(label=_("My address is correct"))
    cin = forms.CharField(label=_("Type your CIN or passport number"))
    birth_date = forms.DateField(
        label=_("Type your birth date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    error_messages = {
        "identity_mismatch": _(
            "This does not match our records. If your details changed, ask for a rectification "
            "in a boutique before taking an option."
        )
    }

    def __init__(self, *args, line, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = line.contract.customer
        taken = line.line_options.filter(ended_on__isnull=True).values("option")
        self.fields["option"].queryset = line.offer.options.filter(is_sold=True).exclude(
            pk__in=taken
        )
        options_priced(
            model_choice(self, "option")
        )  # issue 14, point 4: its price before commitment
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Take this option")))

    def clean(self):
        cleaned = super().clean()
        typed = (cleaned.get("cin") or "").replace(" ", "").upper()
        recorded = self.customer.cin or self.customer.passport_number
        if cleaned.get("birth_date") and (
            typed != recorded or cleaned["birth_date"] != self.customer.birth_date
        ):
            raise ValidationError(
                self.error_messages["identity_mismatch"], code="identity_mismatch"
            )
        return cleaned


class PhoneIdentityCheckForm(forms.Form):
    """R3.3, by phone: the agent ticks the five checks before the option is activated."""

    option = forms.ModelChoiceField(label=_("Option or pass"), queryset=Option.objects.none())
    last_name_ok = forms.BooleanField(label=_("Last name checked"))
    first_name_ok = forms.BooleanField(label=_("First name checked"))
    cin_ok = forms.BooleanField(label=_("CIN number checked"))
    birth_date_ok = forms.BooleanField(label=_("Birth date checked"))
    address_ok = forms.BooleanField(label=_("Address checked"))

    def __init__(self, *args, offer: Offer, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice(self, "option").queryset = offer.options.filter(is_sold=True)
