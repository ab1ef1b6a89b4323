"""Forms of the privacy pages and of the back office. Forms validate; they never act."""

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lib.identifiers import normalize_cin, normalize_passport
from privacy.models import Consent, Purpose, Recipient, RectificationRequest
from privacy.rectification import FIELDS, rib_valid
from privacy.services import PIN_FORMAT


class ConsentChangeForm(forms.Form):
    """One click on the privacy page: a purpose (or all of them) and the choice."""

    purpose = forms.ChoiceField(choices=[*Purpose.choices, ("all", _("Every purpose"))])
    granted = forms.TypedChoiceField(
        choices=[("yes", _("Agree")), ("no", _("Object"))], coerce=lambda value: value == "yes"
    )


class ServicePinForm(forms.Form):
    """R7.4: the customer proves it is them with their password, then sets a new PIN."""

    password = forms.CharField(
        label=_("Your portal password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    pin1 = forms.CharField(
        label=_("New service PIN"),
        help_text=_("4 to 8 digits, not all the same."),
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    pin2 = forms.CharField(
        label=_("New service PIN again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )
    error_messages = {
        "wrong_password": _("This is not your password."),
        "pin_format": _("The PIN must have 4 to 8 digits, not all the same."),
        "pin_mismatch": _("The two PINs differ."),
    }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Change my PIN")))

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise ValidationError(self.error_messages["wrong_password"], code="wrong_password")
        return password

    def clean_pin1(self) -> str:
        pin = self.cleaned_data["pin1"].strip()
        if not PIN_FORMAT.match(pin) or len(set(pin)) == 1:
            raise ValidationError(self.error_messages["pin_format"], code="pin_format")
        return pin

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("pin1") and cleaned.get("pin1") != (cleaned.get("pin2") or "").strip():
            self.add_error(
                "pin2", ValidationError(self.error_messages["pin_mismatch"], code="pin_mismatch")
            )
        return cleaned


class ServicePinCheckForm(forms.Form):
    """R7.4, by an agent on the phone: the PIN the caller says, checked against its hash and
    never shown."""

    pin = forms.CharField(
        label=_("PIN said by the caller"),
        max_length=8,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class RectificationForm(forms.Form):
    """R21.1, R7.2: what the customer asks to correct; blank fields stay as they are."""

    kind = forms.ChoiceField(label=_("What to correct"), choices=RectificationRequest.Kind.choices)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    cin = forms.CharField(label=_("CIN number"), max_length=12, required=False)
    passport_number = forms.CharField(label=_("Passport number"), max_length=12, required=False)
    company_name = forms.CharField(label=_("Company name"), max_length=200, required=False)
    email = forms.EmailField(label=_("E-mail address"), required=False)
    street = forms.CharField(label=_("Address"), max_length=255, required=False)
    postal_code = forms.RegexField(
        label=_("Postal code"), regex=r"^\d{4}$", max_length=4, required=False
    )
    city = forms.CharField(label=_("City"), max_length=80, required=False)
    holder = forms.CharField(label=_("Account holder"), max_length=120, required=False)
    rib = forms.CharField(
        label=_("RIB (20 digits)"), max_length=30, required=False, help_text=_("Bank details")
    )
    error_messages = {
        "rib_invalid": _("This RIB is not valid: check its 20 digits."),
        "nothing": _("Fill in at least one value to correct."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("submit", _("Send my request")))

    def clean_cin(self) -> str:
        return normalize_cin(self.cleaned_data["cin"]) if self.cleaned_data["cin"] else ""

    def clean_passport_number(self) -> str:
        value = self.cleaned_data["passport_number"]
        return normalize_passport(value) if value else ""

    def clean_rib(self) -> str:
        rib = "".join(self.cleaned_data["rib"].split())
        if rib and not rib_valid(rib):
            raise ValidationError(self.error_messages["rib_invalid"], code="rib_invalid")
        return rib

    def changes(self) -> dict:
        """The values asked for, as JSON, of the chosen kind only."""
        values: dict[str, Any] = {
            field: self.cleaned_data.get(field)
            for field in FIELDS[self.cleaned_data["kind"]]
            if self.cleaned_data.get(field)
        }
        return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in values.items()}

    def clean(self):
        cleaned = super().clean()
        if "kind" in cleaned and not self.errors and not self.changes():
            raise ValidationError(self.error_messages["nothing"], code="nothing")
        if cleaned.get("kind") == RectificationRequest.Kind.BANK and not cleaned.get("rib"):
            self.add_error(
                "rib", ValidationError(self.error_messages["rib_invalid"], code="rib_invalid")
            )
        return cleaned


class RecipientForm(forms.ModelForm):
    purposes = forms.MultipleChoiceField(
        label=_("Purposes received"), choices=Purpose.choices, widget=forms.CheckboxSelectMultiple
    )
    endpoint_url = forms.URLField(label=_("Endpoint URL"), required=False, assume_scheme="https")
    secret = forms.CharField(
        label=_("Signing secret"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Leave empty to keep the current secret."),
    )

    class Meta:
        model = Recipient
        fields = ["name", "kind", "purposes", "endpoint_url", "secret", "is_active"]

    def clean_secret(self) -> str:
        return self.cleaned_data["secret"] or (self.instance.secret if self.instance.pk else "")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") == Recipient.Kind.HTTP and not (
            cleaned.get("endpoint_url") and cleaned.get("secret")
        ):
            raise ValidationError(
                _("An HTTP recipient needs its endpoint URL and its secret."), code="http_needs"
            )
        return cleaned


class ConsentAdminForm(forms.ModelForm):
    """A choice given in a boutique, by phone or by STOP SMS, recorded by an agent."""

    channel = forms.ChoiceField(
        label=_("channel"),
        choices=[c for c in Consent.Channel.choices if c[0] != Consent.Channel.PORTAL],
    )

    class Meta:
        model = Consent
        fields = ["customer", "purpose", "granted", "channel"]


class RectificationDecisionForm(forms.ModelForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        required=False,
        choices=[
            ("", "—"),
            ("approve", _("Approve")),
            ("reject", _("Reject")),
            ("confirm", _("Confirm the new bank details (registered letter received, R7.2)")),
        ],
    )
    reason = forms.CharField(label=_("Reason"), max_length=255, required=False)

    class Meta:
        model = RectificationRequest
        fields: list[str] = []

    def clean(self):
        cleaned = super().clean()
        decision, status = cleaned.get("decision"), self.instance.status
        S = RectificationRequest.Status
        if decision in ("approve", "reject") and status != S.PENDING:
            raise ValidationError(_("This request was already decided."), code="decided")
        if decision == "confirm" and status != S.AWAITING_CONFIRMATION:
            raise ValidationError(
                _("Only an approved bank change awaits confirmation."), code="not_awaiting"
            )
        if decision in ("approve", "reject") and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Give the reason of the decision."))
        return cleaned
