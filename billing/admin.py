from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import BoutiqueScopedAdmin
from billing.credit import credit_limit_set
from billing.invoicing import Period
from billing.models import (
    AdvancePaymentRequest,
    BillingRun,
    CreditLimit,
    Invoice,
    InvoiceLine,
    Payment,
    UsageImport,
)
from billing.payments import PaymentRefused, payment_record, payment_reverse
from billing.services import billing_run_start
from billing.usage import usage_import


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = ["label", "quantity", "unit_price", "amount_excl_tax"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(BoutiqueScopedAdmin):
    """Invoices are frozen: staff read them; a correction is a credit note."""

    boutique_path = "contract__customer__boutique"
    list_display = [
        "number",
        "customer_name",
        "period_start",
        "issued_on",
        "due_on",
        "total_incl_tax",
    ]
    list_filter = ["kind", "period_start"]
    search_fields = ["number", "customer_name", "customer_identity", "contract__reference"]
    inlines = [InvoiceLineInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(BillingRun)
class BillingRunAdmin(admin.ModelAdmin):
    """Supervisors start the run of a month here (or it starts on the 1st); progress shows."""

    list_display = [
        "__str__",
        "status",
        "accounts_done",
        "accounts_total",
        "error_count",
        "started_at",
        "finished_at",
    ]
    fields = ["period_start"]

    @admin.display(description=_("errors"))
    def error_count(self, run: BillingRun) -> int:
        return len(run.errors)

    def get_readonly_fields(self, request, obj=None):
        return (
            ["period_start", "status", "accounts_done", "accounts_total", "errors"] if obj else []
        )

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) if obj else self.fields

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        run = billing_run_start(period=Period.month(obj.period_start))
        obj.pk = run.pk
        messages.info(request, _("The run is queued; its progress shows in this list."))

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class UsageImportForm(forms.ModelForm):
    upload = forms.FileField(label=_("CSV file of usage records"))

    class Meta:
        model = UsageImport
        fields: list[str] = []


@admin.register(UsageImport)
class UsageImportAdmin(admin.ModelAdmin):
    """Upload a mediation file (docs/usage-csv.md); the report lists the refused rows."""

    form = UsageImportForm
    list_display = [
        "name",
        "imported_at",
        "rows_total",
        "rows_imported",
        "rows_duplicate",
        "error_count",
    ]

    @admin.display(description=_("refused"))
    def error_count(self, report: UsageImport) -> int:
        return len(report.errors)

    def get_fields(self, request, obj=None):
        return ["upload"] if obj is None else self.get_readonly_fields(request, obj)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["name", "imported_at", "rows_total", "rows_imported", "rows_duplicate", "errors"]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        upload = form.cleaned_data["upload"]
        report = usage_import(name=upload.name, content=upload.read())
        obj.pk, obj.name = report.pk, report.name
        level = messages.WARNING if report.errors else messages.SUCCESS
        messages.add_message(
            request,
            level,
            _("%(imported)d records imported, %(duplicate)d already there, %(refused)d refused.")
            % {
                "imported": report.rows_imported,
                "duplicate": report.rows_duplicate,
                "refused": len(report.errors),
            },
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class PaymentForm(forms.ModelForm):
    class Meta:
        model = Payment
        fields = ["contract", "amount", "method", "reference", "received_on"]


@admin.register(Payment)
class PaymentAdmin(BoutiqueScopedAdmin):
    """Agents record what customers pay (R10.1); a bounced cheque or debit is reversed (R9.4)."""

    boutique_path = "contract__customer__boutique"
    scoped_relations = {"contract": "customer__boutique"}
    form = PaymentForm
    list_display = [
        "contract",
        "amount",
        "method",
        "reference",
        "received_on",
        "recorded_by",
        "reversed_at",
    ]
    list_filter = ["method", "received_on"]
    list_select_related = ["contract", "recorded_by"]
    search_fields = [
        "reference",
        "contract__reference",
        "contract__customer__last_name",
        "contract__customer__cin",
    ]
    autocomplete_fields = ["contract"]
    actions = ["reverse_bounced"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            *PaymentForm.Meta.fields,
            "recorded_by",
            "recorded_at",
            "reversed_at",
            "reversed_by",
            "reversal_reason",
        ]

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        payment = payment_record(
            contract=obj.contract,
            amount=obj.amount,
            method=obj.method,
            reference=obj.reference,
            received_on=obj.received_on,
            actor=request.user,
        )
        obj.pk = payment.pk

    @admin.action(description=_("Reverse: the cheque or debit bounced (R9.4)"))
    def reverse_bounced(self, request, queryset):
        for payment in queryset:
            try:
                payment_reverse(payment=payment, actor=request.user, reason=_("Bounced"))
            except PaymentRefused as refusal:
                messages.error(request, f"{payment}: {refusal}")

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CreditLimit)
class CreditLimitAdmin(BoutiqueScopedAdmin):
    """R11.1: supervisors revise an account's limit; each revision is a new row."""

    boutique_path = "contract__customer__boutique"
    scoped_relations = {"contract": "customer__boutique"}
    list_display = ["contract", "amount", "set_by", "set_at", "reason"]
    list_select_related = ["contract", "set_by"]
    fields = ["contract", "amount", "reason"]
    autocomplete_fields = ["contract"]

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj else []

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            row = credit_limit_set(
                contract=obj.contract, amount=obj.amount, actor=request.user, reason=obj.reason
            )
            obj.pk = row.pk

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AdvancePaymentRequest)
class AdvancePaymentRequestAdmin(BoutiqueScopedAdmin):
    """R11.2: requests raised by the daily credit control; paid ones link their payment."""

    boutique_path = "contract__customer__boutique"
    list_display = ["contract", "reason", "amount", "requested_on", "payment"]
    list_filter = ["reason", "requested_on"]
    list_select_related = ["contract", "payment"]
    readonly_fields = ["contract", "reason", "amount", "requested_on", "payment"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
