"""Forms of top-ups (R2.3): by code in the portal, recorded by an agent, recharge code batches.
Forms validate; they never act."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lib.forms import submit_helper
from lib.money import tnd
from subscriptions.models import Line, TopUp
from subscriptions.services.prepaid import CODE_DIGITS, MAX_BATCH, code_normalise


class TopUpCodeForm(forms.Form):
    """R2.3: the code of a recharge card or ticket."""

    code = forms.CharField(
        label=_("Recharge code"),
        max_length=40,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("The %(digits)d digits under the scratch panel.") % {"digits": CODE_DIGITS},
    )
    error_messages = {
        "code_length": _("A recharge code has %(digits)d digits."),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(_("Top up"))

    def clean_code(self) -> str:
        code = code_normalise(self.cleaned_data["code"])
        if len(code) != CODE_DIGITS:
            raise ValidationError(
                self.error_messages["code_length"],
                code="code_length",
                params={"digits": CODE_DIGITS},
            )
        return code


class TopUpRecordForm(forms.ModelForm):
    """R2.3: a Banka or Light payment recorded by staff with its reference."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in (TopUp.Channel.BANKA, TopUp.Channel.LIGHT)],
    )

    class Meta:
        model = TopUp
        fields = ["line", "channel", "amount", "reference"]

    def clean_line(self):
        line = self.cleaned_data["line"]
        if line.status in (Line.Status.PENDING, Line.Status.TERMINATED):
            raise ValidationError(
                _("This line cannot be topped up: it is not in service."), code="not_in_service"
            )
        return line

    def clean_amount(self):
        amount = tnd(self.cleaned_data["amount"])
        if amount <= 0:
            raise ValidationError(_("The amount must be positive."), code="not_positive")
        return amount

    def _get_validation_exclusions(self):
        # A reference already recorded is not an error: recording it again adds nothing (the
        # unique constraint on channel and reference is left to the service).
        return {*super()._get_validation_exclusions(), "reference"}


class RechargeBatchForm(forms.Form):
    amount = forms.DecimalField(label=_("Amount of each code (TND)"), min_value=1, decimal_places=3)
    quantity = forms.IntegerField(label=_("Number of codes"), min_value=1, max_value=MAX_BATCH)
    label = forms.CharField(label=_("Label"), max_length=100, required=False)
