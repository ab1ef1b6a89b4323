"""Forms of the billing admin: they validate, the services act."""

from decimal import Decimal

from django import forms
from django.core.validators import MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import AdvancePaymentRequest, DirectDebitImport, Invoice, InvoiceLine, Payment
from lib.forms import model_choice
from lib.money import MILLIME, tnd
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
        model_choice(self, "lines").queryset = invoice.lines.all()

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
        model_choice(self, "target").queryset = Contract.objects.filter(
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


class PaymentForm(forms.ModelForm):
    """Money received at the boutique (R10.1), or an advance that answers an open request
    (R11.2): the account is then the request's."""

    advance_request = forms.ModelChoiceField(
        queryset=AdvancePaymentRequest.objects.none(),
        required=False,
        label=_("Advance payment request (R11.2)"),
        help_text=_(
            "For an advance asked by the credit control: choose its request. The account is the "
            "request's, and the suspension the request caused is lifted."
        ),
    )
    # The open requests this staff member may answer (their boutique's): set by the admin.
    open_advance_requests = AdvancePaymentRequest.objects.none()
    # Money received by hand; carried debts and credit notes are recorded by their own actions.
    METHODS = [Payment.Method.CASH, Payment.Method.CHEQUE, Payment.Method.DIRECT_DEBIT]

    error_messages = {
        "no_account": _("Choose the account, or the advance payment request."),
        "other_account": _("This request is for the account %(account)s, not this one."),
        "before_request": _("An advance is received on or after the day it was asked (%(date)s)."),
        "future": _("A payment cannot be received after today."),
        "not_positive": _("Enter an amount above zero."),
    }

    class Meta:
        model = Payment
        fields = ["advance_request", "contract", "amount", "method", "reference", "received_on"]
        widgets = {"received_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "contract" not in self.fields:  # a recorded payment's page: every field is read-only
            return
        self.fields["advance_request"].queryset = self.open_advance_requests.select_related(
            "contract"
        )
        self.fields["contract"].required = False
        self.fields["amount"].validators.append(  # R10.1: money received is above zero
            MinValueValidator(MILLIME, message=self.error_messages["not_positive"])
        )
        self.fields["advance_request"].label_from_instance = self._request_label
        self.fields["amount"].widget.attrs["min"] = MILLIME
        self.fields["method"].choices = [("", "---------")] + [(m, m.label) for m in self.METHODS]
        self.fields["received_on"].initial = timezone.localdate

    @staticmethod
    def _request_label(request: AdvancePaymentRequest) -> str:
        return (
            f"{request.contract.reference} · {request.amount} TND · "
            f"{request.get_reason_display()} · {request.requested_on:%d/%m/%Y}"
        )

    def clean_amount(self):
        return tnd(self.cleaned_data["amount"])

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        if received_on > timezone.localdate():
            raise forms.ValidationError(self.error_messages["future"], code="future")
        return received_on

    def clean(self):
        data = super().clean()
        request = data.get("advance_request")
        if request is None:
            if not data.get("contract") and "contract" not in self.errors:
                self.add_error(
                    "contract",
                    forms.ValidationError(self.error_messages["no_account"], code="no_account"),
                )
            return data
        if data.get("contract") and data["contract"] != request.contract:
            self.add_error(
                "contract",
                forms.ValidationError(
                    self.error_messages["other_account"],
                    code="other_account",
                    params={"account": request.contract},
                ),
            )
        data["contract"] = request.contract
        received_on = data.get("received_on")
        if received_on and received_on < request.requested_on:
            self.add_error(
                "received_on",
                forms.ValidationError(
                    self.error_messages["before_request"],
                    code="before_request",
                    params={"date": f"{request.requested_on:%d/%m/%Y}"},
                ),
            )
        return data


class InvoiceDeliveryForm(forms.Form):
    """Invoices of one of the customer's own accounts by e-mail or on paper."""

    contract: "forms.ModelChoiceField[Contract]" = forms.ModelChoiceField(
        queryset=None, label=_("Account")
    )
    delivery = forms.ChoiceField(label=_("Receive my invoices"), choices=())

    def __init__(self, *args, customer, **kwargs):
        super().__init__(*args, **kwargs)
        # Another customer's account is not a valid choice: it is refused like a missing one.
        self.fields["contract"].queryset = Contract.objects.filter(customer=customer)
        self.fields["delivery"].choices = Contract.InvoiceDelivery.choices
