"""Forms of the billing admin: they validate, the services act."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import DirectDebitImport, Invoice, InvoiceLine
from subscriptions.models import Contract


class CreditNoteForm(forms.Form):
    lines = forms.ModelMultipleChoiceField(
        queryset=InvoiceLine.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Lines to credit"),
    )
    amount_excl_tax = forms.DecimalField(
        max_digits=14,
        decimal_places=3,
        min_value=Decimal("0.001"),
        required=False,
        label=_("Or an amount excl. tax"),
        help_text=_("Neither lines nor amount: all that is left of the invoice is credited."),
    )
    reason = forms.CharField(max_length=255, label=_("Why"))

    error_messages = {"lines_or_amount": _("Credit either lines or an amount, not both.")}

    def __init__(self, *args, invoice: Invoice, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lines"].queryset = invoice.lines.all()

    def clean(self):
        data = super().clean()
        if data.get("lines") and data.get("amount_excl_tax") is not None:
            raise forms.ValidationError(
                self.error_messages["lines_or_amount"], code="lines_or_amount"
            )
        return data


class DebtCarryForm(forms.Form):
    """R10.4: onto which other account of the same customer, and why."""

    target = forms.ModelChoiceField(queryset=Contract.objects.none(), label=_("Onto the account"))
    reason = forms.CharField(max_length=255, label=_("Why"))

    def __init__(self, *args, source: Contract, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = Contract.objects.filter(
            customer_id=source.customer_id
        ).exclude(pk=source.pk)


class DirectDebitImportForm(forms.ModelForm):
    upload = forms.FileField(label=_("CSV file of the bank's direct debits"))

    class Meta:
        model = DirectDebitImport
        fields: list[str] = []


class RecoveryStatementForm(forms.Form):
    """R19.1: the legal instances the recovery goes through (first instance, appeal...), as
    the agent who prepares the statement knows them; the lawyer fees are due per instance."""

    instances = forms.IntegerField(
        min_value=1,
        initial=1,
        label=_("Legal instances"),
        help_text=_("One, two or more: the lawyer fees of the tariff grid are due per instance."),
        error_messages={
            "min_value": _("A legal action goes through one instance at least."),
            "invalid": _("Give the number of instances as a whole number: 1, 2, 3..."),
        },
    )
