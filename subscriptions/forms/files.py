"""Forms of the subscription journey. Forms validate; they never act."""

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Boutique, User
from catalogue.models import Offer, Option, RequiredDocument
from catalogue.price_labels import offers_priced, options_priced
from lib.forms import choice_field, model_choice
from lib.identifiers import (
    normalize_cin,
    normalize_msisdn,
    normalize_passport,
    normalize_tax_id,
)
from lib.uploads import DocumentField
from privacy.models import Purpose
from subscriptions.models import Customer


class StepForm(forms.Form):
    submit_label = _("Continue")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def draft_values(self) -> dict:
        """The cleaned values as JSON, kept on the file until it is sent."""
        return {
            name: value.isoformat() if hasattr(value, "isoformat") else value
            for name, value in self.cleaned_data.items()
            if isinstance(value, str | int | bool) or hasattr(value, "isoformat")
        }


class AccountForm(StepForm):
    first_name = forms.CharField(label=_("First name"), max_length=100)
    last_name = forms.CharField(label=_("Last name"), max_length=100)
    email = forms.EmailField(label=_("E-mail address"))
    mobile = forms.CharField(
        label=_("Mobile number (optional)"), required=False, help_text=_("+216 and 8 digits")
    )
    password1 = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=_("Password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    error_messages = {
        "email_taken": _("An account already uses this e-mail address: sign in instead."),
        "mobile_taken": _("An account already uses this mobile number: sign in instead."),
        "password_mismatch": _("The two passwords differ."),
    }

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email=email).exists():
            raise ValidationError(self.error_messages["email_taken"], code="email_taken")
        return email

    def clean_mobile(self) -> str:
        raw = self.cleaned_data.get("mobile", "")
        if not raw:
            return ""
        mobile = normalize_msisdn(raw)
        if User.objects.filter(mobile=mobile).exists():
            raise ValidationError(self.error_messages["mobile_taken"], code="mobile_taken")
        return mobile

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") != cleaned.get("password2"):
            self.add_error(
                "password2",
                ValidationError(self.error_messages["password_mismatch"], code="password_mismatch"),
            )
        return cleaned


class OfferStepForm(StepForm):
    customer_kind = forms.ChoiceField(
        label=_("You subscribe as"), choices=Customer.Kind.choices, widget=forms.RadioSelect
    )
    offer = forms.ModelChoiceField(
        label=_("Offer"), queryset=Offer.objects.filter(is_sold=True), widget=forms.RadioSelect
    )
    boutique = forms.ModelChoiceField(
        label=_("Boutique that handles your file"), queryset=Boutique.objects.all()
    )

    def __init__(self, *args, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        offers_priced(model_choice(self, "offer"))
        if customer is not None:  # an account is one customer: their new line is of their kind
            choice_field(self, "customer_kind").choices = [
                (customer.kind, customer.get_kind_display())
            ]


class OptionsStepForm(StepForm):
    options = forms.ModelMultipleChoiceField(
        label=_("Options and passes"),
        queryset=Option.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def __init__(self, *args, offer: Offer, **kwargs):
        super().__init__(*args, **kwargs)
        model_choice(self, "options").queryset = offer.options.filter(is_sold=True)
        options_priced(model_choice(self, "options"))


def _keep_recorded_details(form: forms.Form, customer: Customer | None) -> None:
    """A customer with a line keeps the identity and address checked at its opening (R3.3): a
    change goes through a rectification request, not through a new subscription."""
    if customer is None or not customer.contracts.exists():
        return
    for field in form.fields.values():
        field.disabled = True
        field.help_text = _("To change these details, ask for a rectification.")


class IdentityStepForm(StepForm):
    """R3.1: who subscribes; the pieces asked for follow the customer type."""

    last_name = forms.CharField(label=_("Last name"), max_length=100)
    first_name = forms.CharField(label=_("First name"), max_length=100)
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    id_kind = forms.ChoiceField(
        label=_("Identity document"),
        choices=[("cin", _("National ID card (CIN)")), ("passport", _("Passport"))],
        widget=forms.RadioSelect,
        required=False,
    )
    cin = forms.CharField(label=_("CIN number"), required=False, help_text=_("8 digits"))
    passport_number = forms.CharField(label=_("Passport number"), required=False)
    company_name = forms.CharField(label=_("Company name"), required=False, max_length=200)
    trade_register_number = forms.CharField(
        label=_("Trade register number"), required=False, max_length=40
    )
    tax_id = forms.CharField(
        label=_("Matricule fiscal"), required=False, help_text=_("e.g. 1234567A/A/M/000")
    )
    error_messages = {
        "required": _("This field is required."),
        "too_young": _("The holder of a line must be at least 18 years old."),
        "cin_taken": _("A customer already has this CIN number: sign in with their account."),
        "tax_id_taken": _("A customer already has this matricule fiscal."),
    }

    def __init__(self, *args, customer_kind: str, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer_kind = customer_kind
        self.customer = customer
        company_fields = ("company_name", "trade_register_number", "tax_id")
        person_fields = ("birth_date", "id_kind", "cin", "passport_number")
        for name in person_fields if customer_kind == "company" else company_fields:
            del self.fields[name]
        if customer_kind == "company":
            self.fields["last_name"].label = _("Last name of the legal representative")
            self.fields["first_name"].label = _("First name of the legal representative")
        _keep_recorded_details(self, customer)

    @staticmethod
    def initial_from(customer: Customer) -> dict:
        """The customer's recorded identity, to start their new file with."""
        return {
            "last_name": customer.last_name,
            "first_name": customer.first_name,
            "birth_date": customer.birth_date,
            "id_kind": "cin" if customer.cin else "passport",
            "cin": customer.cin,
            "passport_number": customer.passport_number,
            "company_name": customer.company_name,
            "trade_register_number": customer.trade_register_number,
            "tax_id": customer.tax_id,
        }

    def _others(self):
        """Customers other than the applicant's own record: their own CIN is theirs."""
        others = Customer.objects.all()
        return others.exclude(pk=self.customer.pk) if self.customer is not None else others

    def _require(self, cleaned: dict, *names: str) -> None:
        for name in names:
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(
                    name, ValidationError(self.error_messages["required"], code="required")
                )

    def clean_cin(self) -> str:
        value = self.cleaned_data.get("cin", "")
        return normalize_cin(value) if value else ""

    def clean_passport_number(self) -> str:
        value = self.cleaned_data.get("passport_number", "")
        return normalize_passport(value) if value else ""

    def clean_tax_id(self) -> str:
        value = self.cleaned_data.get("tax_id", "")
        return normalize_tax_id(value) if value else ""

    def clean(self):
        cleaned = super().clean()
        if self.customer_kind == "company":
            self._require(cleaned, "company_name", "trade_register_number", "tax_id")
            if cleaned.get("tax_id") and self._others().filter(tax_id=cleaned["tax_id"]).exists():
                self.add_error(
                    "tax_id",
                    ValidationError(self.error_messages["tax_id_taken"], code="tax_id_taken"),
                )
            return cleaned
        self._require(cleaned, "birth_date", "id_kind")
        document = "cin" if cleaned.get("id_kind") == "cin" else "passport_number"
        if cleaned.get("id_kind"):
            self._require(cleaned, document)
            other = "passport_number" if document == "cin" else "cin"
            cleaned[other] = ""
        birth = cleaned.get("birth_date")
        today = timezone.localdate()
        if (
            birth
            and (today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day)))
            < 18
        ):
            self.add_error(
                "birth_date", ValidationError(self.error_messages["too_young"], code="too_young")
            )
        if cleaned.get("cin") and self._others().filter(cin=cleaned["cin"]).exists():
            self.add_error(
                "cin", ValidationError(self.error_messages["cin_taken"], code="cin_taken")
            )
        return cleaned


class AddressStepForm(StepForm):
    street = forms.CharField(label=_("Address"), max_length=255)
    postal_code = forms.RegexField(
        label=_("Postal code"),
        regex=r"^\d{4}$",
        error_messages={"invalid": _("A Tunisian postal code has 4 digits.")},
    )
    city = forms.CharField(label=_("City"), max_length=80)

    def __init__(self, *args, customer: Customer | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        _keep_recorded_details(self, customer)

    @staticmethod
    def initial_from(customer: Customer) -> dict:
        return {
            "street": customer.street,
            "postal_code": customer.postal_code,
            "city": customer.city,
        }


class DocumentsForm(StepForm):
    """One upload field per piece; a bad file is refused alone, the others are kept."""

    def __init__(self, *args, documents: list[RequiredDocument], already_sent: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.documents = {f"piece_{d.pk}": d for d in documents}
        for name, document in self.documents.items():
            self.fields[name] = DocumentField(
                label=document.label,
                required=document.pk not in already_sent,
                help_text=document.help_text
                or _("PDF, JPEG or PNG; already sent files are kept unless you send another."),
            )

    def valid_uploads(self) -> list[tuple[RequiredDocument, object]]:
        """The uploads that passed their checks, even when another field has an error."""
        return [
            (self.documents[name], value)
            for name, value in getattr(self, "cleaned_data", {}).items()
            if name in self.documents and value
        ]


class SummaryForm(StepForm):
    submit_label = _("Send my subscription request")
    accept_conditions = forms.BooleanField(
        label=_(
            "I have read and I accept the general subscription conditions and the tariff grid."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # R21.1-R21.3: each use of personal data is asked for, unticked by default.
        for purpose in Purpose:
            self.fields[f"consent_{purpose}"] = forms.BooleanField(
                label=_("I agree: %(purpose)s") % {"purpose": purpose.label}, required=False
            )

    def consents_granted(self) -> set[str]:
        return {purpose for purpose in Purpose if self.cleaned_data.get(f"consent_{purpose}")}
