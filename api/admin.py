"""The API in the back office (supervisors, accounts.staff_permissions): keys (made, revoked),
what they wrote, event subscriptions (ended) and the events' deliveries with their status. A key
is never deleted: what it wrote stays attributed to it."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from api.hubs import hub_end
from api.keys import key_create, key_revoke
from api.models import ApiKey, ApiWrite, EventDelivery, Hub


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "boutique", "scopes", "last_used_at", "revoked_at"]
    list_filter = ["boutique"]
    readonly_fields = [
        "prefix",
        "created_at",
        "created_by",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return (
            self.readonly_fields if obj is None else [*self.readonly_fields, "scopes", "boutique"]
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        key, text = key_create(
            name=obj.name,
            scopes=obj.scopes,
            boutique=obj.boutique,
            actor=request.user,
            rate_per_minute=obj.rate_per_minute,
        )
        obj.pk = key.pk
        obj.prefix = key.prefix
        messages.warning(
            request, _("The key, shown once (give it to the system now): %(key)s") % {"key": text}
        )

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Revoke the selected keys"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = sum(key_revoke(key=key, actor=request.user) for key in queryset)
        messages.success(request, _("%(n)d key(s) revoked.") % {"n": revoked})


@admin.register(ApiWrite)
class ApiWriteAdmin(admin.ModelAdmin):
    list_display = ["at", "key", "method", "path", "resource", "object_id"]
    list_filter = ["resource", "method"]
    readonly_fields = ["key", "at", "method", "path", "resource", "object_id", "detail"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Hub)
class HubAdmin(admin.ModelAdmin):
    list_display = ["key", "api", "callback", "query", "created_at", "deleted_at"]
    list_filter = ["api"]
    readonly_fields = ["key", "api", "callback", "query", "created_at", "deleted_at"]
    exclude = ["secret"]
    actions = ["end"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("End the selected subscriptions"), permissions=["change"])
    def end(self, request, queryset):
        ended = sum(hub_end(hub=hub) for hub in queryset)
        messages.success(request, _("%(n)d subscription(s) ended.") % {"n": ended})


@admin.register(EventDelivery)
class EventDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event",
        "hub",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_error",
    ]
    list_filter = ["status"]
    list_select_related = ["event", "hub__key"]
    readonly_fields = [
        "event",
        "hub",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_error",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
