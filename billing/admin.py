from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import BoutiqueScopedAdmin, boutique_filter
from billing.credit import advance_payment_record, credit_limit_set
from billing.credit_notes import CreditNoteRefused, credit_note_issue
from billing.debts import TransferRefused, debt_carry
from billing.direct_debit import direct_debit_import
from billing.documents import pdf_download
from billing.forms import CreditNoteForm, DebtCarryForm, DirectDebitImportForm, PaymentForm
from billing.invoicing import Period
from billing.models import (
    AdvancePaymentRequest,
    BillingRun,
    CreditLimit,
    DirectDebitImport,
    Invoice,
    InvoiceLine,
    Payment,
    UsageImport,
)
from billing.payments import PaymentRefused, payment_record, payment_reverse
from billing.selectors import detailed_bill_asked
from billing.services import billing_run_start
from billing.tasks import build_paper_batch
from billing.usage_import import usage_import_queue
from lib.admin import ReadOnlyAdmin, action_form_page
from lib.downloads import private_download
from lib.tasks import dispatch


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    fields = readonly_fields = ("label", "quantity", "unit_price", "amount_excl_tax")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Invoice)
class InvoiceAdmin(BoutiqueScopedAdmin, ReadOnlyAdmin):
    """Invoices are frozen: staff read them; a correction is a credit note."""

    boutique_path = "contract__customer__boutique"
    list_display = [
        "number",
        "kind",
        "is_final",
        "customer_name",
        "period_start",
        "issued_on",
        "due_on",
        "total_incl_tax",
    ]
    list_filter = ["kind", "is_final", "period_start"]
    search_fields = ["number", "customer_name", "customer_identity", "contract__reference"]
    inlines = [InvoiceLineInline]
    actions = ["issue_credit_note", "carry_debt"]
    readonly_fields = ["documents"]

    def get_fields(self, request, obj=None):
        # The downloads first, where the agent looks for them.
        fields = super().get_fields(request, obj)
        return ["documents", *(field for field in fields if field != "documents")]

    @admin.display(description=_("documents"))
    def documents(self, invoice: Invoice) -> str:
        """The invoice's PDF, and its detailed bill once the customer asked for it (R9.5), for
        the agent to hand or send to the customer."""
        title = _("Credit note (PDF)") if invoice.kind == Invoice.Kind.CREDIT_NOTE else None
        links = [("billing_invoice_pdf", title or _("Invoice (PDF)"))]
        if detailed_bill_asked(invoice):
            links.append(("billing_invoice_detailed_pdf", _("Detailed bill (PDF)")))
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a>',
            ((reverse(f"admin:{name}", args=[invoice.pk]), text) for name, text in links),
        )

    def get_urls(self):
        downloads = [
            path(
                "<path:object_id>/pdf/",
                self.admin_site.admin_view(self.pdf_view),
                name="billing_invoice_pdf",
            ),
            path(
                "<path:object_id>/detailed-pdf/",
                self.admin_site.admin_view(self.detailed_pdf_view),
                name="billing_invoice_detailed_pdf",
            ),
        ]
        return [*downloads, *super().get_urls()]

    def _viewed(self, request: HttpRequest, object_id: str) -> Invoice:
        invoice = self.get_object(request, object_id)  # another boutique's: 404
        if not self.has_view_permission(request, invoice):
            raise PermissionDenied
        return invoice

    def pdf_view(self, request: HttpRequest, object_id: str):
        """The invoice's stored PDF, rendered on this first download if not yet."""
        return pdf_download(self._viewed(request, object_id))

    def detailed_pdf_view(self, request: HttpRequest, object_id: str):
        """R9.5: the detailed bill, once the customer asked for it (else 404)."""
        invoice = self._viewed(request, object_id)
        if not detailed_bill_asked(invoice):
            raise Http404
        return pdf_download(invoice, detailed=True)

    def _one(self, request, queryset) -> Invoice | None:
        if queryset.count() != 1:
            self.message_user(request, _("Choose one invoice."), messages.WARNING)
            return None
        return queryset.select_related("contract").get()

    def _form_page(self, request, invoice: Invoice, form, action: str, title: str):
        return action_form_page(
            self,
            request,
            "admin/billing/invoice/action_form.html",
            title=title,
            invoice=invoice,
            form=form,
            action=action,
            objects=[invoice],
        )

    @admin.action(description=_("Issue a credit note against the invoice"))
    def issue_credit_note(self, request, queryset):
        invoice = self._one(request, queryset)
        if invoice is None:
            return None
        form = CreditNoteForm(request.POST if "reason" in request.POST else None, invoice=invoice)
        if form.is_valid():
            lines = list(form.cleaned_data["lines"]) or None
            try:
                note = credit_note_issue(
                    invoice=invoice,
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    lines=lines,
                    amount_excl_tax=form.cleaned_data["amount_excl_tax"],
                )
            except CreditNoteRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            else:
                self.message_user(
                    request, _("Credit note %(number)s issued.") % {"number": note.number}
                )
            return None
        return self._form_page(
            request, invoice, form, "issue_credit_note", _("Issue a credit note")
        )

    @admin.action(description=_("Carry the account's unpaid balance onto another account (R10.4)"))
    def carry_debt(self, request, queryset):
        invoice = self._one(request, queryset)
        if invoice is None:
            return None
        source = invoice.contract
        form = DebtCarryForm(request.POST if "reason" in request.POST else None, source=source)
        if form.is_valid():
            try:
                transfer = debt_carry(
                    source=source,
                    target=form.cleaned_data["target"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except TransferRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(amount)s TND carried onto %(target)s.")
                    % {"amount": transfer.amount, "target": transfer.target},
                )
            return None
        return self._form_page(
            request, invoice, form, "carry_debt", _("Carry the unpaid balance (R10.4)")
        )


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
    actions = ["build_paper_batch"]

    @admin.display(description=_("errors"))
    def error_count(self, run: BillingRun) -> int:
        return len(run.errors)

    @admin.display(description=_("printable batch"))
    def paper_batch_link(self, run: BillingRun) -> str:
        if not run.paper_batch:
            return "—"
        url = reverse("admin:billing_billingrun_paper_batch", args=[run.pk])
        return format_html('<a href="{}">{}</a>', url, _("Paper invoices (PDF)"))

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "period_start",
            "status",
            "accounts_done",
            "accounts_total",
            "errors",
            "paper_batch_link",
        ]

    def get_urls(self):
        batch = path(
            "<path:object_id>/paper-batch/",
            self.admin_site.admin_view(self.paper_batch_view),
            name="billing_billingrun_paper_batch",
        )
        return [batch, *super().get_urls()]

    def paper_batch_view(self, request: HttpRequest, object_id: str):
        run = self.get_object(request, object_id)
        if run is None or not run.paper_batch:
            raise Http404
        if not self.has_view_permission(request, run):
            raise PermissionDenied
        return private_download(
            run.paper_batch.open("rb"),
            filename=f"factures-papier-{run}.pdf",
            content_type="application/pdf",
        )

    @admin.action(description=_("Build the printable batch of paper invoices"))
    def build_paper_batch(self, request, queryset):
        for run in queryset:
            if run.status != BillingRun.Status.DONE:
                self.message_user(
                    request, _("%(run)s is not done yet.") % {"run": run}, messages.WARNING
                )
                continue
            build_paper_batch.delay(run.pk)
            self.message_user(request, _("The batch of %(run)s is being built.") % {"run": run})

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
    """Upload a mediation file (docs/usage-csv.md): stored, then imported by a worker in chunks
    (issue 16), its progress in this list; the report lists the refused rows."""

    form = UsageImportForm
    list_display = [
        "name",
        "imported_at",
        "status",
        "progress",
        "rows_total",
        "rows_imported",
        "rows_duplicate",
        "rows_refused",
    ]
    list_filter = ["status"]
    actions = ["resume"]
    readonly_fields = [
        "name",
        "status",
        "progress",
        "imported_at",
        "finished_at",
        "size",
        "rows_total",
        "rows_imported",
        "rows_duplicate",
        "rows_refused",
        "errors",
    ]

    @admin.display(description=_("progress"))
    def progress(self, report: UsageImport) -> str:
        return f"{report.progress} %"

    def get_fields(self, request, obj=None):
        return ["upload"] if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        upload = form.cleaned_data["upload"]
        report = usage_import_queue(name=upload.name, content=upload)
        obj.pk, obj.name = report.pk, report.name
        messages.info(
            request, _("The file is stored and queued for import; its progress shows in this list.")
        )

    @admin.action(description=_("Resume the selected imports that did not finish"))
    def resume(self, request: HttpRequest, queryset) -> None:
        unfinished = queryset.exclude(
            status__in=[UsageImport.Status.DONE, UsageImport.Status.REFUSED]
        )
        for report in unfinished:
            dispatch("billing.tasks.import_usage_file", report.pk)
        messages.info(request, _("Imports queued again: %(count)d.") % {"count": len(unfinished)})

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DirectDebitImport)
class DirectDebitImportAdmin(admin.ModelAdmin):
    """Upload the bank's direct debit file (docs/direct-debit-file.md); the report lists the
    refused rows."""

    form = DirectDebitImportForm
    list_display = [
        "name",
        "imported_at",
        "imported_by",
        "rows_total",
        "rows_paid",
        "rows_rejected",
        "rows_duplicate",
        "error_count",
    ]
    list_select_related = ["imported_by"]
    readonly = [
        "name",
        "imported_at",
        "imported_by",
        "rows_total",
        "rows_paid",
        "rows_rejected",
        "rows_duplicate",
        "errors",
    ]

    @admin.display(description=_("refused"))
    def error_count(self, report: DirectDebitImport) -> int:
        return len(report.errors)

    def get_fields(self, request, obj=None):
        return ["upload"] if obj is None else self.readonly

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        upload = form.cleaned_data["upload"]
        report = direct_debit_import(name=upload.name, content=upload.read(), actor=request.user)
        obj.pk, obj.name = report.pk, report.name
        level = messages.WARNING if report.errors else messages.SUCCESS
        messages.add_message(
            request,
            level,
            _(
                "%(paid)d debits recorded, %(rejected)d reversed, %(duplicate)d already there, "
                "%(refused)d refused."
            )
            % {
                "paid": report.rows_paid,
                "rejected": report.rows_rejected,
                "duplicate": report.rows_duplicate,
                "refused": len(report.errors),
            },
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(BoutiqueScopedAdmin):
    """Agents record what customers pay (R10.1) and the advances asked by the credit control
    (R11.2); a bounced cheque or debit is reversed (R9.4)."""

    boutique_path = "contract__customer__boutique"
    scoped_relations = {"contract": "customer__boutique"}
    form = PaymentForm
    list_display = [
        "contract",
        "amount",
        "method",
        "is_advance",
        "reference",
        "received_on",
        "recorded_by",
        "reversed_at",
    ]
    list_filter = ["method", "is_advance", "received_on"]
    list_select_related = ["contract", "recorded_by"]
    search_fields = [
        "reference",
        "contract__reference",
        "contract__customer__last_name",
        "contract__customer__cin",
    ]
    autocomplete_fields = ["contract"]
    actions = ["reverse_bounced"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form
        # An agent answers only their boutique's open requests (another's is not a choice).
        scoped = AdvancePaymentRequest.objects.filter(
            boutique_filter(request.user, "contract__customer__boutique"), payment__isnull=True
        )
        return type(form.__name__, (form,), {"open_advance_requests": scoped})

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "contract",
            "amount",
            "method",
            "reference",
            "received_on",
            "is_advance",
            "advance_request_link",
            "recorded_by",
            "recorded_at",
            "reversed_at",
            "reversed_by",
            "reversal_reason",
        ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return PaymentForm.Meta.fields
        return self.get_readonly_fields(request, obj)

    @admin.display(description=_("advance payment request (R11.2)"))
    def advance_request_link(self, payment: Payment) -> str:
        request = AdvancePaymentRequest.objects.filter(payment=payment).first()
        if request is None:
            return "—"
        url = reverse("admin:billing_advancepaymentrequest_change", args=[request.pk])
        return format_html('<a href="{}">{}</a>', url, request)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return
        advance = form.cleaned_data.get("advance_request")
        if advance is None:
            payment = payment_record(
                contract=obj.contract,
                amount=obj.amount,
                method=obj.method,
                reference=obj.reference,
                received_on=obj.received_on,
                actor=request.user,
            )
        else:
            payment = advance_payment_record(
                request=advance,
                amount=obj.amount,
                method=obj.method,
                reference=obj.reference,
                received_on=obj.received_on,
                actor=request.user,
            )
            self.message_user(
                request,
                _(
                    "Advance payment recorded: the request is closed and the credit-control "
                    "suspension it caused is lifted. A line with no other cause is restored when "
                    "the network confirms (R13.1)."
                ),
                messages.SUCCESS,
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


class AdvancePaidFilter(admin.SimpleListFilter):
    """R11.2: the requests still waiting for their advance, or those paid."""

    title = _("status")
    parameter_name = "paid"

    def lookups(self, request, model_admin):
        return [("no", _("Waiting for the advance")), ("yes", _("Paid"))]

    def queryset(self, request, queryset):
        if self.value() in ("no", "yes"):
            return queryset.filter(payment__isnull=self.value() == "no")
        return queryset


@admin.register(AdvancePaymentRequest)
class AdvancePaymentRequestAdmin(BoutiqueScopedAdmin):
    """R11.2: requests raised by the daily credit control; an agent records the advance from
    here (it opens the payment form with the request chosen); paid ones link their payment."""

    boutique_path = "contract__customer__boutique"
    # The payment (or the link to record it) next to the account: on a phone the other columns
    # scroll out of sight first.
    list_display = ["account", "payment_link", "amount", "reason", "requested_on"]
    list_filter = [AdvancePaidFilter, "reason", "requested_on"]
    list_select_related = ["contract", "payment"]
    search_fields = ["contract__reference", "contract__customer__last_name"]
    fields = readonly_fields = ("account", "reason", "amount", "requested_on", "payment_or_record")
    actions = ["record_advance_payment"]

    def _record_url(self, advance: AdvancePaymentRequest) -> str:
        initial = {"advance_request": advance.pk, "contract": advance.contract_id}
        query = urlencode({**initial, "amount": advance.amount})
        return f"{reverse('admin:billing_payment_add')}?{query}"

    @admin.display(description=_("account"), ordering="contract__reference")
    def account(self, advance: AdvancePaymentRequest) -> str:
        return advance.contract.reference

    def _payment(self, advance: AdvancePaymentRequest, css_class: str, label: str | Promise) -> str:
        if advance.payment_id is not None:
            url = reverse("admin:billing_payment_change", args=[advance.payment_id])
            return format_html('<a href="{}">{}</a>', url, advance.payment)
        return format_html(
            '<a class="{}" href="{}">{}</a>', css_class, self._record_url(advance), label
        )

    @admin.display(description=_("payment"))
    def payment_link(self, advance: AdvancePaymentRequest) -> str:
        # Short: the list leaves a narrow column beside the filters.
        return self._payment(advance, "addlink", _("Record"))

    @admin.display(description=_("payment"))
    def payment_or_record(self, advance: AdvancePaymentRequest) -> str:
        return self._payment(advance, "button", _("Record the advance payment"))

    def has_record_advance_permission(self, request) -> bool:
        return request.user.has_perm("billing.add_payment")

    @admin.action(description=_("Record the advance payment"), permissions=["record_advance"])
    def record_advance_payment(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one request."), messages.WARNING)
            return None
        advance = queryset.get()
        if advance.payment_id is not None:
            self.message_user(request, _("This request is already paid."), messages.WARNING)
            return None
        return HttpResponseRedirect(self._record_url(advance))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
