"""The back office of personal data: consents given in a boutique, objection deliveries,
requests of customers, recipients, campaigns, and the staff access log (supervisors)."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypedDict

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import BoutiqueScopedAdmin
from accounts.requests import staff_member
from lib.admin import ReadOnlyAdmin
from privacy.forms import ConsentAdminForm, RecipientForm, RectificationDecisionForm
from privacy.models import (
    AccessRequest,
    Campaign,
    Consent,
    ObjectionDelivery,
    Recipient,
    RectificationRequest,
    StaffAccessLog,
)
from privacy.rectification import (
    RectificationRefused,
    rectification_confirm_bank,
    rectification_decide,
)
from privacy.services import campaign_start, consent_record
from subscriptions.models import Customer

if TYPE_CHECKING:  # django-stubs' helper, installed with the checker only
    from django_stubs_ext import WithAnnotations


class PendingCount(TypedDict):
    """What RecipientAdmin's queryset annotates."""

    pending_count: int


@admin.register(Consent)
class ConsentAdmin(BoutiqueScopedAdmin):
    """Agents add a choice given in the boutique, by phone or by STOP SMS; rows are never
    changed or deleted (R21: the history is never rewritten)."""

    form = ConsentAdminForm
    boutique_path = "customer__boutique"
    scoped_relations = {"customer": "boutique"}
    list_display = ["customer", "purpose", "granted", "channel", "at", "actor", "job"]
    list_filter = ["purpose", "granted", "channel"]
    list_select_related = ["customer", "actor"]
    search_fields = [f"customer__{f}" for f in ("last_name", "first_name", "company_name", "cin")]
    autocomplete_fields = ["customer"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Consent, form, change: bool) -> None:
        recorded = consent_record(
            customer=obj.customer,
            purpose=obj.purpose,
            granted=obj.granted,
            channel=obj.channel,
            actor=staff_member(request),
        )
        obj.pk, obj.at = recorded.pk, recorded.at


DELIVERY_COLUMNS = (
    "consent",
    "recipient",
    "status",
    "attempts",
    "next_attempt_at",
    "delivered_at",
    "last_error",
)


@admin.register(ObjectionDelivery)
class ObjectionDeliveryAdmin(BoutiqueScopedAdmin, ReadOnlyAdmin):
    """R21.3: where each objection stands with each recipient."""

    boutique_path = "consent__customer__boutique"
    list_display = DELIVERY_COLUMNS
    list_filter = ["status", "recipient"]
    list_select_related = ["consent__customer", "recipient"]
    readonly_fields = (*DELIVERY_COLUMNS, "idempotency_key", "created_at")


@admin.register(AccessRequest)
class AccessRequestAdmin(BoutiqueScopedAdmin, ReadOnlyAdmin):
    """Staff follow the requests; the files themselves are for the customer only (R21.1)."""

    boutique_path = "customer__boutique"
    list_display = ["customer", "requested_at", "status", "ready_at", "expires_at", "failed_at"]
    list_filter = ["status"]
    list_select_related = ["customer"]
    fields = readonly_fields = (
        "customer",
        "requested_by",
        "requested_at",
        "status",
        "ready_at",
        "expires_at",
        "failed_at",
        "failure_reason",
    )


@admin.register(RectificationRequest)
class RectificationRequestAdmin(BoutiqueScopedAdmin):
    """R21.1, R7.2: an agent approves or rejects with a reason; a bank change is confirmed
    when the registered letter arrives."""

    form = RectificationDecisionForm
    boutique_path = "customer__boutique"
    list_display = ["customer", "kind", "status", "requested_at", "decided_by", "decided_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["customer", "decided_by"]
    readonly_fields = [
        "customer",
        "kind",
        "asked_for",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decided_at",
        "decision_reason",
        "confirmed_by",
        "confirmed_at",
        "previous",
    ]
    fields = [*readonly_fields, "decision", "reason"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("values asked for"))
    def asked_for(self, request_row: RectificationRequest) -> str:
        return format_html_join("", "<div>{}: {}</div>", request_row.changes.items())

    def save_model(self, request: HttpRequest, obj, form, change: bool) -> None:
        decision = form.cleaned_data.get("decision")
        try:
            if decision == "confirm":
                rectification_confirm_bank(request=obj, actor=staff_member(request))
            elif decision:
                rectification_decide(
                    request=obj,
                    approve=decision == "approve",
                    reason=form.cleaned_data["reason"],
                    actor=staff_member(request),
                )
        except RectificationRefused as refusal:
            self.message_user(request, str(refusal), messages.ERROR)


@admin.register(Recipient)
class RecipientAdmin(admin.ModelAdmin):
    """Supervisors register where data is used; the secret is written, never shown back."""

    form = RecipientForm
    list_display = ["name", "kind", "endpoint_url", "purposes", "is_active", "pending"]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(
                pending_count=Count(
                    "deliveries", filter=Q(deliveries__status=ObjectionDelivery.Status.PENDING)
                )
            )
        )

    @admin.display(description=_("objections to deliver"), ordering="pending_count")
    def pending(self, recipient: WithAnnotations[Recipient, PendingCount]) -> int:
        return recipient.pending_count

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    """Supervisors write a campaign and send it; each message checks consent when it goes."""

    list_display = [
        "name",
        "channel",
        "subject",
        "uses_traffic_data",
        "created_at",
        "started_at",
        "counts",
    ]
    fields = ["name", "channel", "subject", "body", "uses_traffic_data", "started_at", "counts"]
    readonly_fields = ["started_at", "counts"]
    actions = ["send_to_every_customer"]

    def save_model(self, request: HttpRequest, obj: Campaign, form, change: bool) -> None:
        if not change:
            obj.created_by = staff_member(request)
        super().save_model(request, obj, form, change)

    @admin.display(description=_("messages"))
    def counts(self, campaign: Campaign) -> str:
        rows = campaign.messages.values_list("status").annotate(n=Count("pk")).order_by("status")
        return ", ".join(f"{status}: {n}" for status, n in rows) or "—"

    @admin.action(description=_("Send to every customer who agreed"))
    def send_to_every_customer(self, request: HttpRequest, queryset) -> None:
        # Every customer is queued; each message checks consent and address when it is sent.
        customers = Customer.objects.order_by("pk").values_list("pk", flat=True)
        for campaign in queryset.filter(started_at__isnull=True):
            queued = campaign_start(campaign=campaign, customer_ids=customers.iterator())
            self.message_user(
                request,
                _("%(name)s: %(count)s messages queued.") % {"name": campaign, "count": queued},
            )

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(StaffAccessLog)
class StaffAccessLogAdmin(ReadOnlyAdmin):
    """R6.5: supervisors list who opened a customer's data (filter on a customer from its
    page, or search by name)."""

    list_display = ["at", "staff", "what", "customer", "detail"]
    list_filter = ["what", "staff__boutique"]
    list_select_related = ["staff", "customer"]
    search_fields = ["customer__last_name", "customer__first_name", "customer__cin", "staff__email"]
    date_hierarchy = "at"

    def lookup_allowed(self, lookup: str, value: str, request=None) -> bool:
        return lookup in ("customer__id__exact", "customer") or super().lookup_allowed(
            lookup, value, request
        )
