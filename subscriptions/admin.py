from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import BoutiqueScopedAdmin
from subscriptions.models import (
    Contract,
    Customer,
    Line,
    LineOption,
    LineStatusChange,
    MobileNumber,
    SimCard,
)

CUSTOMER_SEARCH = ["last_name", "first_name", "company_name", "cin", "passport_number", "tax_id"]


class ContractInline(admin.TabularInline):
    model = Contract
    fields = ["reference", "signed_on", "starts_on", "ended_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(BoutiqueScopedAdmin):
    boutique_field = "boutique"
    list_display = ["display_name", "kind", "identity_number", "city", "boutique", "created_at"]
    list_filter = ["kind", "boutique"]
    list_select_related = ["boutique"]
    search_fields = [*CUSTOMER_SEARCH, "contracts__lines__number__msisdn", "email"]
    inlines = [ContractInline]

    def get_readonly_fields(self, request, obj=None):
        # The portal account is linked by the subscription journey, not picked by an agent
        # (agents may not browse the accounts of every customer).
        return [*super().get_readonly_fields(request, obj), "user"]


class LineInline(admin.TabularInline):
    model = Line
    fields = ["number", "offer", "status", "activated_at", "commitment_ends_on"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Contract)
class ContractAdmin(BoutiqueScopedAdmin):
    boutique_path = "customer__boutique"
    scoped_relations = {"customer": "boutique"}
    list_display = ["reference", "customer", "signed_on", "starts_on", "ended_on"]
    list_select_related = ["customer"]
    search_fields = ["reference", *(f"customer__{f}" for f in CUSTOMER_SEARCH)]
    autocomplete_fields = ["customer"]
    inlines = [LineInline]


class LineOptionInline(admin.TabularInline):
    model = LineOption
    extra = 0
    readonly_fields = ["started_on", "commitment_ends_on"]


class LineStatusChangeInline(admin.TabularInline):
    model = LineStatusChange
    fields = ["at", "from_status", "to_status", "actor", "job", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Line)
class LineAdmin(BoutiqueScopedAdmin):
    boutique_path = "contract__customer__boutique"
    scoped_relations = {"contract": "customer__boutique", "sim": "boutique"}
    list_display = ["number", "customer_name", "offer", "status", "activated_at"]
    list_filter = ["status", "offer"]
    list_select_related = ["number", "offer", "contract__customer"]
    search_fields = [
        "number__msisdn",
        "sim__iccid",
        *(f"contract__customer__{f}" for f in CUSTOMER_SEARCH),
    ]
    readonly_fields = ["status", "activated_at", "commitment_ends_on"]
    autocomplete_fields = ["contract", "number", "sim"]
    inlines = [LineOptionInline, LineStatusChangeInline]

    @admin.display(description=_("customer"), ordering="contract__customer__last_name")
    def customer_name(self, line: Line) -> str:
        return line.contract.customer.display_name


@admin.register(MobileNumber)
class MobileNumberAdmin(admin.ModelAdmin):
    list_display = ["msisdn", "status", "quarantine_until"]
    list_filter = ["status"]
    search_fields = ["msisdn"]
    readonly_fields = ["status", "quarantine_until"]


@admin.register(SimCard)
class SimCardAdmin(BoutiqueScopedAdmin):
    boutique_field = "boutique"
    list_display = ["iccid", "status", "boutique"]
    list_filter = ["status", "boutique"]
    list_select_related = ["boutique"]
    search_fields = ["iccid"]
