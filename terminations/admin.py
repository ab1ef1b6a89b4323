"""Terminations in the admin: agents record the receipt of a termination letter (date on the
acknowledgement, scan); supervisors end a line for a cause of R17.1 and publish changes of
conditions (R5.1, R5.2) whose notification progress they follow."""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import BoutiqueScopedAdmin
from accounts.roles import is_supervisor
from catalogue.models import Offer
from lib.forms import model_choice
from lib.uploads import DocumentField
from terminations.admin_documents import DocumentDownloads
from terminations.conditions import ChangeRefused, conditions_change_publish
from terminations.models import (
    ConditionsChange,
    LineTransfer,
    OperatorTermination,
    PrepaidMigration,
    TerminationLine,
    TerminationRequest,
)
from terminations.operator import OperatorTerminationRefused, operator_termination_decide
from terminations.prepaid_migration import line_migrate_to_prepaid
from terminations.services import TerminationRefused, termination_request_receive
from terminations.transfers import (
    IDENTITY_CHECKS,
    TransferRefused,
    line_transfer_approve,
    line_transfer_refuse,
    line_transfer_request,
)


class TerminationLineInline(admin.TabularInline):
    model = TerminationLine
    fields = readonly_fields = (
        "line",
        "procedure",
        "effective_on",
        "fees_owed",
        "subscription_fees_refund",
        "ended_at",
        "final_invoice",
    )
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReceiptForm(forms.ModelForm):
    """The receipt of the registered letter: the date on the acknowledgement is required and
    cannot be in the future; the scan is checked like a subscription's documents."""

    scan = DocumentField(label=_("scan of the letter"), required=False)

    class Meta:
        model = TerminationRequest
        fields = ["received_on", "sim_returned"]

    def clean_received_on(self):
        day = self.cleaned_data.get("received_on")
        if day is None:
            raise forms.ValidationError(
                _("Give the date on the acknowledgement of receipt."), code="required"
            )
        if day > timezone.localdate():
            raise forms.ValidationError(
                _("The date of receipt cannot be in the future."), code="future"
            )
        return day


@admin.register(TerminationRequest)
class TerminationRequestAdmin(DocumentDownloads, BoutiqueScopedAdmin):
    boutique_path = "customer__boutique"
    documents = ("letter_scan",)
    form = ReceiptForm
    list_display = [
        "reference",
        "customer",
        "motive",
        "status",
        "expected_receipt_on",
        "received_on",
    ]
    list_filter = ["status", "motive"]
    search_fields = ["customer__last_name", "customer__company_name", "lines__line__number__msisdn"]

    @admin.display(description=_("reference"), ordering="pk")
    def reference(self, termination: TerminationRequest) -> str:
        return termination.reference

    list_select_related = ["customer"]
    inlines = [TerminationLineInline]
    readonly = [
        "reference",
        "customer",
        "motive",
        "conditions_notice",
        "status",
        "prepared_at",
        "prepared_by",
        "expected_receipt_on",
        "received_by",
        "received_recorded_at",
        "motive_note",
        "receipt_notice_sent_at",
        "finished_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False  # the customer prepares the letter in the portal

    def _receivable(self, obj) -> bool:
        return obj is not None and obj.status == TerminationRequest.Status.PREPARED

    def get_fields(self, request, obj=None):
        if self._receivable(obj):
            return [*self.readonly, "received_on", "scan", "sim_returned"]
        return [*self.readonly, "received_on", "sim_returned", "document_links"]

    def get_readonly_fields(self, request, obj=None):
        if self._receivable(obj):
            return self.readonly
        return [*self.readonly, "received_on", "sim_returned", "document_links"]

    def save_model(self, request, obj, form, change) -> None:
        if obj.status != TerminationRequest.Status.PREPARED:
            return
        try:
            termination_request_receive(
                request=obj,
                received_on=form.cleaned_data["received_on"],
                sim_returned=form.cleaned_data.get("sim_returned", False),
                letter_scan=form.cleaned_data.get("scan") or None,
                actor=request.user,
            )
        except TerminationRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)


class OperatorTerminationForm(forms.ModelForm):
    class Meta:
        model = OperatorTermination
        fields = ["line", "cause", "reason"]

    def clean_line(self):
        line = self.cleaned_data["line"]
        if line.status == line.Status.TERMINATED:
            raise forms.ValidationError(_("This line is terminated already."), code="terminated")
        return line


@admin.register(OperatorTermination)
class OperatorTerminationAdmin(BoutiqueScopedAdmin):
    boutique_path = "line__contract__customer__boutique"
    scoped_relations = {"line": "contract__customer__boutique"}
    form = OperatorTerminationForm
    list_display = ["line", "cause", "decided_by", "decided_at", "fees_owed"]
    list_filter = ["cause"]
    search_fields = ["line__number__msisdn"]
    list_select_related = ["line__number", "decided_by"]
    raw_id_fields = ["line"]
    readonly_fields = [
        "decided_by",
        "decided_at",
        "fees_owed",
        "advances_refunded",
        "final_invoice",
        "notice_sent_at",
    ]

    def has_add_permission(self, request) -> bool:
        return is_supervisor(request.user) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        try:
            decided = operator_termination_decide(
                line=form.cleaned_data["line"],
                cause=form.cleaned_data["cause"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except OperatorTerminationRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)
        else:
            obj.pk = decided.pk


@admin.action(
    description=_("Publish and notify every customer concerned (R5.1, R5.2)"),
    permissions=["change"],
)
def publish_and_notify(modeladmin, request, queryset):
    for change in queryset:
        try:
            conditions_change_publish(change=change, actor=request.user)
        except ChangeRefused as refusal:
            modeladmin.message_user(request, f"{change}: {refusal}", messages.WARNING)
        else:
            modeladmin.message_user(
                request, _("%(change)s: notification started.") % {"change": change}
            )


@admin.register(ConditionsChange)
class ConditionsChangeAdmin(admin.ModelAdmin):
    list_display = [
        "title",
        "effective_on",
        "raises_price",
        "published_at",
        "customers_total",
        "customers_notified",
        "notified_at",
    ]
    filter_horizontal = ["offers"]
    actions = [publish_and_notify]
    progress = [
        "created_by",
        "published_at",
        "published_by",
        "customers_total",
        "customers_notified",
        "notified_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.published_at:
            return ["title", "text", "effective_on", "offers", "raises_price", *self.progress]
        return self.progress

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class PrepaidMigrationForm(forms.ModelForm):
    class Meta:
        model = PrepaidMigration
        fields = ["line", "to_offer"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "to_offer" in self.fields:
            model_choice(self, "to_offer").queryset = Offer.objects.filter(kind=Offer.Kind.PREPAID)

    def clean_line(self):
        line = self.cleaned_data["line"]
        if not line.offer.is_postpaid or line.status in (
            line.Status.PENDING,
            line.Status.TERMINATED,
        ):
            raise forms.ValidationError(
                _("Only a postpaid line in service moves to prepaid."), code="not_postpaid"
            )
        return line


@admin.register(PrepaidMigration)
class PrepaidMigrationAdmin(BoutiqueScopedAdmin):
    """R15.1: an agent moves a postpaid line to prepaid at the customer's request."""

    boutique_path = "line__contract__customer__boutique"
    scoped_relations = {"line": "contract__customer__boutique"}
    form = PrepaidMigrationForm
    list_display = ["line", "from_offer", "to_offer", "fee", "migrated_on", "decided_by"]
    list_select_related = ["line__number", "from_offer", "to_offer", "decided_by"]
    search_fields = ["line__number__msisdn"]
    raw_id_fields = ["line"]
    readonly_fields = ["from_offer", "fee", "migrated_on", "decided_by", "final_invoice"]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        migrated = line_migrate_to_prepaid(
            line=form.cleaned_data["line"], offer=form.cleaned_data["to_offer"], actor=request.user
        )
        obj.pk, obj.from_offer, obj.fee = migrated.pk, migrated.from_offer, migrated.fee


class LineTransferForm(forms.ModelForm):
    identity_scan = DocumentField(label=_("new holder's identity document (scan)"))

    class Meta:
        model = LineTransfer
        fields = [
            "line",
            "new_holder",
            "last_name_ok",
            "first_name_ok",
            "cin_ok",
            "birth_date_ok",
            "address_ok",
        ]

    def clean(self):
        cleaned = super().clean()
        if not all(cleaned.get(name) for name in IDENTITY_CHECKS):
            raise forms.ValidationError(
                _("Check the new holder's identity on all five points first."), code="identity"
            )
        return cleaned


@admin.action(description=_("Approve in writing and carry out the transfer (R18.1)"))
def approve_transfer(modeladmin, request, queryset):
    for transfer in queryset:
        try:
            line_transfer_approve(
                transfer=transfer, actor=request.user, reason=_("Approved in writing")
            )
        except TransferRefused as refusal:
            modeladmin.message_user(request, f"{transfer}: {refusal}", messages.ERROR)
        else:
            modeladmin.message_user(request, _("%(transfer)s: done.") % {"transfer": transfer})


@admin.action(description=_("Refuse the transfer"))
def refuse_transfer(modeladmin, request, queryset):
    for transfer in queryset:
        try:
            line_transfer_refuse(transfer=transfer, actor=request.user, reason=_("Refused"))
        except TransferRefused as refusal:
            modeladmin.message_user(request, f"{transfer}: {refusal}", messages.ERROR)


@admin.register(LineTransfer)
class LineTransferAdmin(DocumentDownloads, BoutiqueScopedAdmin):
    """R18.1: agents record the request with the new holder's identity checked; supervisors
    approve it in writing (the letter) or refuse it."""

    boutique_path = "line__contract__customer__boutique"
    scoped_relations = {"line": "contract__customer__boutique", "new_holder": "boutique"}
    documents = ("identity_document", "approval_letter")
    form = LineTransferForm
    list_display = ["line", "new_holder", "status", "requested_by", "decided_by", "decided_at"]
    list_filter = ["status"]
    list_select_related = ["line__number", "new_holder", "requested_by", "decided_by"]
    raw_id_fields = ["line", "new_holder"]
    actions = [approve_transfer, refuse_transfer]
    readonly_fields = [
        "status",
        "requested_by",
        "decided_by",
        "decided_at",
        "decision_reason",
        "document_links",
        "new_line",
    ]

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        data = form.cleaned_data
        requested = line_transfer_request(
            line=data["line"],
            new_holder=data["new_holder"],
            identity_document=data["identity_scan"],
            checks={name: data[name] for name in IDENTITY_CHECKS},
            actor=request.user,
        )
        obj.pk, obj.requested_by = requested.pk, requested.requested_by
