"""The boutique's queue of subscription files (R3.2, R6.2, R13.1) and its actions.

Every action calls `subscriptions.services.files`; nothing here changes a status by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scope import BoutiqueScopedAdmin, boutique_filter
from accounts.requests import staff_member
from accounts.roles import is_supervisor
from catalogue.models import Offer, Option
from lib.admin import action_form_page
from subscriptions.admin import activation as file_activation_admin
from subscriptions.models import Customer, FilePiece, FileStatusChange, Line, SubscriptionFile
from subscriptions.selectors.files import (
    breached,
    breached_count_by_boutique,
    files_in_queue,
    time_left,
)
from subscriptions.selectors.history import reason_display

if TYPE_CHECKING:
    from subscriptions.selectors.files import QueuedFile
from subscriptions.services.files import (
    FileRefused,
    boutique_sale,
    file_record_connection_fee,
    file_refuse,
    piece_review,
)


def describe_time_left(deadline) -> str:
    left = time_left(deadline)
    if left is None:
        return "—"
    hours, minutes = divmod(int(abs(left.total_seconds())) // 60, 60)
    days, hours = divmod(hours, 24)
    span = f"{days} j {hours} h" if days else f"{hours} h {minutes:02d} min"
    if left.total_seconds() < 0:
        return _("overdue by %(span)s") % {"span": span}
    return _("%(span)s left") % {"span": span}


class PieceForm(forms.ModelForm):
    class Meta:
        model = FilePiece
        fields = ["status", "rejection_reason"]


class FilePieceInline(admin.TabularInline):
    model = FilePiece
    form = PieceForm
    fields = [
        "required_document",
        "download",
        "uploaded_at",
        "status",
        "rejection_reason",
        "reviewed_by",
        "reviewed_at",
    ]
    readonly_fields = ["required_document", "download", "uploaded_at", "reviewed_by", "reviewed_at"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("document"))
    def download(self, piece: FilePiece) -> str:
        if not piece.document:
            return "—"
        url = reverse("portal:piece_download", args=[piece.pk])
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            url,
            piece.original_name or _("download"),
        )


class FileHistoryInline(admin.TabularInline):
    model = FileStatusChange
    fields = readonly_fields = (
        "at",
        "from_status",
        "to_status",
        "piece",
        "actor",
        "job",
        "reason_shown",
    )
    extra = 0
    can_delete = False
    ordering = ["-at", "-pk"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("reason"))
    def reason_shown(self, change: FileStatusChange) -> str:
        return reason_display(change.reason)


class BoutiqueSaleForm(forms.Form):
    """R13.1: a walk-in customer leaves with an active line; the pieces follow within 3 days."""

    customer = forms.ModelChoiceField(label=_("Customer"), queryset=Customer.objects.none())
    offer = forms.ModelChoiceField(label=_("Offer"), queryset=Offer.objects.filter(is_sold=True))
    options = forms.ModelMultipleChoiceField(
        label=_("Options"), queryset=Option.objects.filter(is_sold=True), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["customer"].queryset = Customer.objects.filter(
            boutique_filter(user, "boutique")
        )

    def clean(self):
        cleaned = super().clean()
        offer, options = cleaned.get("offer"), cleaned.get("options") or []
        wrong = [o for o in options if offer and not o.offers.filter(pk=offer.pk).exists()]
        if wrong:
            raise forms.ValidationError(
                _("Not available on this offer: %(options)s"),
                code="option_not_on_offer",
                params={"options": ", ".join(map(str, wrong))},
            )
        return cleaned


class RefusalForm(forms.Form):
    motive = forms.CharField(
        label=_("Motive of the refusal (R6.2), written to the customer"),
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=10,
    )


class DeadlineFilter(admin.SimpleListFilter):
    """R3.2, R6.2, R13.1: the files whose current deadline has passed, one by one (the
    supervisors' table counts them per boutique and links here)."""

    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [("breached", _("Breached"))]

    def queryset(self, request, queryset):
        return breached(queryset) if self.value() == "breached" else queryset


@admin.register(SubscriptionFile)
class SubscriptionFileAdmin(BoutiqueScopedAdmin):
    list_display = [
        "reference_display",
        "customer_display",
        "boutique",
        "status",
        "channel",
        "deadline_display",
        "submitted_at",
    ]
    list_filter = [DeadlineFilter, "status", "channel", "boutique"]
    list_select_related = ["customer", "boutique", "applicant"]
    search_fields = [
        "customer__last_name",
        "customer__first_name",
        "customer__company_name",
        "customer__cin",
        "customer__tax_id",
        "applicant__email",
        "line__number__msisdn",
    ]
    fields = readonly_fields = (
        "status",
        "channel",
        "customer",
        "applicant",
        "boutique",
        "offer",
        "options",
        "connection_fee",
        "deposit",
        "connection_fee_paid_at",
        "submitted_at",
        "decision_due_at",
        "completed_at",
        "activation_due_at",
        "documents_due_at",
        "decided_at",
        "refusal_motive",
        "line",
    )
    inlines = [FilePieceInline, FileHistoryInline]
    actions = ["record_connection_fee", "accept_and_activate", "refuse"]
    change_list_template = "admin/subscriptions/subscriptionfile/change_list.html"

    def get_queryset(self, request):
        return files_in_queue(super().get_queryset(request))

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("file"), ordering="pk")
    def reference_display(self, file: SubscriptionFile) -> str:
        return file.reference

    @admin.display(description=_("customer"))
    def customer_display(self, file: SubscriptionFile) -> str:
        return str(file.customer) if file.customer else file.applicant.email

    @admin.display(description=_("deadline"), ordering="deadline")
    def deadline_display(self, file: QueuedFile) -> str:
        if file.deadline is None:
            return "—"
        late = file.deadline < timezone.now()
        return format_html(
            '<span class="{}">{} ({})</span>',
            "errornote" if late else "",
            timezone.localtime(file.deadline).strftime("%d/%m/%Y %H:%M"),
            describe_time_left(file.deadline),
        )

    def get_urls(self):
        sale = path(
            "boutique-sale/",
            self.admin_site.admin_view(self.boutique_sale_view),
            name="subscriptions_subscriptionfile_boutique_sale",
        )
        return [sale, *super().get_urls()]

    def boutique_sale_view(self, request: HttpRequest):
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = BoutiqueSaleForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            customer = form.cleaned_data["customer"]
            try:
                file = boutique_sale(
                    agent=staff_member(request),
                    applicant=customer.user or staff_member(request),
                    customer=customer,
                    offer=form.cleaned_data["offer"],
                    options=list(form.cleaned_data["options"]),
                )
            except FileRefused as refusal:
                messages.error(request, str(refusal))
            else:
                line = cast(Line, file.line)  # boutique_sale opened it
                messages.success(
                    request,
                    _("Line %(number)s active. Pieces due by %(date)s.")
                    % {
                        "number": line.number,
                        "date": timezone.localtime(file.documents_due_at).strftime(
                            "%d/%m/%Y %H:%M"
                        ),
                    },
                )
                return redirect("admin:subscriptions_subscriptionfile_change", file.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Boutique sale"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/subscriptions/subscriptionfile/boutique_sale.html", context
        )

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = extra_context or {}
        if is_supervisor(request.user):
            extra_context["boutiques_breaches"] = breached_count_by_boutique()
        return super().changelist_view(request, extra_context)

    def save_formset(self, request, form, formset, change):
        if formset.model is not FilePiece:
            return super().save_formset(request, form, formset, change)
        for piece_form in formset.forms:
            if piece_form.has_changed():
                piece = piece_form.instance
                try:
                    piece_review(
                        piece=FilePiece.objects.get(pk=piece.pk),
                        status=piece_form.cleaned_data["status"],
                        reason=piece_form.cleaned_data.get("rejection_reason", ""),
                        actor=request.user,
                    )
                except FileRefused as refusal:
                    messages.error(request, f"{piece.required_document}: {refusal}")
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        return None

    def _each(self, request, files, service, done_message: str) -> None:
        done = 0
        for file in files:
            try:
                with transaction.atomic():
                    service(file=file, actor=request.user)
                done += 1
            except FileRefused as refusal:
                messages.error(request, f"{file.reference}: {refusal}")
        if done:
            messages.success(request, done_message % {"count": done})

    @admin.action(description=_("Record the connection fee as paid (R3.1)"))
    def record_connection_fee(self, request, queryset):
        self._each(request, queryset, file_record_connection_fee, _("%(count)d file(s) updated."))

    @admin.action(description=_("Accept and activate: assign a number and a SIM (R3.2, R4.1)"))
    def accept_and_activate(self, request, queryset):
        return file_activation_admin.accept_and_activate(self, request, queryset)

    @admin.action(description=_("Refuse with a written motive (R6.2)"))
    def refuse(self, request, queryset):
        form = RefusalForm(request.POST if "motive" in request.POST else None)
        if form.is_valid():
            motive = form.cleaned_data["motive"]
            self._each(
                request,
                queryset,
                lambda *, file, actor: file_refuse(file=file, actor=actor, motive=motive),
                ngettext("%(count)d file refused.", "%(count)d files refused.", queryset.count()),
            )
            return None
        return action_form_page(
            self,
            request,
            "admin/subscriptions/subscriptionfile/refuse.html",
            title=_("Refuse subscription files"),
            form=form,
            action="refuse",
            objects=queryset,
        )
