"""Back office of top-ups (R2.3) and recharge accounts (R2.7 to R2.9): agents record Banka and
Light payments; supervisors generate batches of recharge codes, shown once as a CSV to print.

Every action calls `subscriptions.services.prepaid`; nothing here changes a balance by itself.
"""

import io

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import BoutiqueScopedAdmin
from accounts.requests import staff_member
from lib.admin import ReadOnlyAdmin
from lib.csv_cells import SafeCsvWriter
from lib.downloads import private_download
from subscriptions.forms.prepaid import RechargeBatchForm, TopUpRecordForm
from subscriptions.models import (
    PrepaidAccount,
    PrepaidMovement,
    RechargeCode,
    RechargeCodeBatch,
    TopUp,
)
from subscriptions.services.prepaid import recharge_batch_generate, top_up_record

LINE_BOUTIQUE = "contract__customer__boutique"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PrepaidMovementInline(ReadOnlyInline):
    model = PrepaidMovement
    fields = readonly_fields = (
        "at",
        "kind",
        "credit_change",
        "bonus_change",
        "valid_until",
        "actor",
        "job",
        "reason",
    )
    ordering = ["-at", "-pk"]


@admin.register(PrepaidAccount)
class PrepaidAccountAdmin(BoutiqueScopedAdmin):
    boutique_path = f"line__{LINE_BOUTIQUE}"
    list_display = ["line", "line_status", "credit", "bonus", "valid_until", "grace_until"]
    list_select_related = ["line__number"]
    search_fields = ["line__number__msisdn"]
    fields = readonly_fields = (
        "line",
        "credit",
        "bonus",
        "valid_until",
        "grace_until",
        "preservation_until",
    )
    inlines = [PrepaidMovementInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("line status"), ordering="line__status")
    def line_status(self, account: PrepaidAccount) -> str:
        return account.line.get_status_display()


@admin.register(TopUp)
class TopUpAdmin(BoutiqueScopedAdmin):
    boutique_path = f"line__{LINE_BOUTIQUE}"
    scoped_relations = {"line": LINE_BOUTIQUE}
    form = TopUpRecordForm
    list_display = ["at", "line", "channel", "amount", "reference", "line_status", "valid_until"]
    list_filter = ["channel"]
    list_select_related = ["line__number"]
    search_fields = ["reference", "line__number__msisdn"]
    autocomplete_fields = ["line"]
    date_hierarchy = "at"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["line", "channel", "amount", "reference"]
        return [
            "line",
            "channel",
            "amount",
            "reference",
            "line_status",
            "balances_kept",
            "valid_until",
            "at",
            "actor",
            "job",
        ]

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj) if obj else []

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: TopUp, form, change: bool) -> None:
        """R2.3: recorded through the service; a reference already recorded adds nothing."""
        data = form.cleaned_data
        recorded = top_up_record(
            line=data["line"],
            channel=data["channel"],
            amount=data["amount"],
            reference=data["reference"],
            actor=request.user,
        )
        if recorded is None:
            recorded = TopUp.objects.get(channel=data["channel"], reference=data["reference"])
            messages.warning(request, _("This payment was already recorded: nothing was added."))
        obj.pk = recorded.pk
        obj.at = recorded.at


@admin.register(RechargeCodeBatch)
class RechargeCodeBatchAdmin(admin.ModelAdmin):
    """Supervisors only (accounts/staff_permissions.py): codes are worth money."""

    list_display = ["__str__", "amount", "quantity", "label", "created_at", "created_by"]
    readonly_fields = ["amount", "quantity", "label", "created_at", "created_by"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None):
        """R2.3: the codes in clear are given once, as a CSV for the printer."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RechargeBatchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            batch, printed = recharge_batch_generate(
                actor=staff_member(request), **form.cleaned_data
            )
            output = io.StringIO()
            writer = SafeCsvWriter(output)  # no cell read as a formula (issue 16)
            writer.writerow(["serial", "code", "amount"])
            writer.writerows([p.serial, p.code, batch.amount] for p in printed)
            return private_download(
                output.getvalue().encode(),
                filename=f"codes-L{batch.pk:05d}.csv",
                content_type="text/csv; charset=utf-8",
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Generate recharge codes"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(
            request, "admin/subscriptions/rechargecodebatch/generate.html", context
        )


@admin.register(RechargeCode)
class RechargeCodeAdmin(ReadOnlyAdmin):
    """Supervisors only. The code itself is not stored: only its serial can be searched."""

    list_display = ["serial", "batch", "amount", "used_at"]
    list_filter = [("used_at", admin.EmptyFieldListFilter)]
    list_select_related = ["batch"]
    search_fields = ["serial"]
    fields = readonly_fields = ("serial", "batch", "amount", "used_at")
