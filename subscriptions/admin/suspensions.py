"""Suspensions in the admin: a line's causes (read-only), the provisioning outbox, the
supervisors' action to open or lift a fraud or national-security cause with a reason (R13.1), and
their action to grant extra time before termination by right (R17.5).

R13.2 in the admin: an agent records the customer's request to suspend a line, or to have it
back, after checking who asks; the action calls `subscriptions.services.suspensions`.
"""

from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin_scope import BoutiqueScopedAdmin
from accounts.roles import is_supervisor
from lib.admin import ReadOnlyAdmin, action_form_page
from subscriptions.models import ProvisioningOrder, SuspensionCause
from subscriptions.services.suspensions import (
    SuspensionRefused,
    SuspensionRequestRefused,
    line_suspension_request,
    line_suspension_request_lift,
    open_causes,
    suspension_extend,
    suspension_lift,
    suspension_open,
)
from subscriptions.services.sweeps import TERMINATING_CAUSES

Cause = SuspensionCause.Cause


class SuspensionCauseInline(admin.TabularInline):
    model = SuspensionCause
    fields = readonly_fields = (
        "cause",
        "opened_at",
        "opened_by",
        "opened_job",
        "reason",
        "lifted_at",
        "lifted_by",
        "lifted_job",
        "lift_reason",
        "extended_until",
    )
    extra = 0
    can_delete = False
    verbose_name_plural = _("suspension causes (R13.1)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class SupervisedCauseForm(forms.Form):
    """R13.1: the causes only a supervisor opens or lifts, always with a reason."""

    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("open", _("Suspend")), ("lift", _("Lift the suspension"))]
    )
    cause = forms.ChoiceField(
        label=_("Cause"),
        choices=[(c.value, c.label) for c in (Cause.FRAUD, Cause.NATIONAL_SECURITY)],
    )
    reason = forms.CharField(label=_("Reason"), max_length=255)


@admin.action(description=_("Suspend or restore for fraud or national security (R13.1)"))
def supervise_suspension(modeladmin, request, queryset):
    if not is_supervisor(request.user):
        modeladmin.message_user(request, _("Only a supervisor may do this."), messages.ERROR)
        return None
    if queryset.count() != 1:
        modeladmin.message_user(request, _("Choose one line."), messages.WARNING)
        return None
    line = queryset.get()
    form = SupervisedCauseForm(request.POST if "decision" in request.POST else None)
    if form.is_valid():
        act = suspension_open if form.cleaned_data["decision"] == "open" else suspension_lift
        try:
            done = act(
                line=line,
                cause=form.cleaned_data["cause"],
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except SuspensionRefused:
            done = None
        if done is None:
            modeladmin.message_user(request, _("Nothing to do on this line."), messages.WARNING)
        else:
            modeladmin.message_user(request, _("Done."), messages.SUCCESS)
        return None
    return action_form_page(
        modeladmin,
        request,
        "admin/subscriptions/line/supervise_suspension.html",
        title=_("Suspend or restore a line"),
        line=line,
        form=form,
        action="supervise_suspension",
        objects=[line],
    )


class ExtraTimeForm(forms.Form):
    """R17.5: until when the termination by right waits, and why (kept in the line's history)."""

    until = forms.DateField(
        label=_("Postpone the termination by right until"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)

    error_messages = {"past": _("Choose a day after today.")}

    def clean_until(self):
        until = self.cleaned_data["until"]
        if until <= timezone.localdate():
            raise forms.ValidationError(self.error_messages["past"], code="past")
        return until


@admin.action(
    description=_("Grant extra time before termination by right (R17.5)"),
    permissions=["supervise"],
)
def grant_extra_time(modeladmin, request, queryset):
    """R17.5: on each chosen line, every open cause that would end it by right waits until the
    day chosen; the sweep terminates it the day after, if the cause is still open."""
    if not is_supervisor(request.user):
        modeladmin.message_user(request, _("Only a supervisor may do this."), messages.ERROR)
        return None
    lines = list(queryset.select_related("number", "contract__customer").order_by("pk"))
    causes = {
        line.pk: [cause for cause in open_causes(line) if cause.cause in TERMINATING_CAUSES]
        for line in lines
    }
    form = ExtraTimeForm(request.POST if "until" in request.POST else None)
    if form.is_valid():
        until, reason = form.cleaned_data["until"], form.cleaned_data["reason"]
        extended = 0
        for line in lines:
            if not causes[line.pk]:
                modeladmin.message_user(
                    request,
                    _("%(line)s: no open cause leads to termination by right; nothing to postpone.")
                    % {"line": line.number},
                    messages.WARNING,
                )
                continue
            for cause in causes[line.pk]:
                suspension_extend(cause=cause, until=until, actor=request.user, reason=reason)
            extended += 1
        if extended:
            modeladmin.message_user(
                request,
                ngettext(
                    "Termination by right postponed until %(date)s on %(count)d line.",
                    "Termination by right postponed until %(date)s on %(count)d lines.",
                    extended,
                )
                % {"date": f"{until:%d/%m/%Y}", "count": extended},
                messages.SUCCESS,
            )
        return None
    return action_form_page(
        modeladmin,
        request,
        "admin/subscriptions/line/extra_time.html",
        title=_("Grant extra time before termination by right (R17.5)"),
        lines=[(line, causes[line.pk]) for line in lines],
        form=form,
        action="grant_extra_time",
        objects=lines,
    )


@admin.register(ProvisioningOrder)
class ProvisioningOrderAdmin(BoutiqueScopedAdmin, ReadOnlyAdmin):
    """The outbox to the network, for staff to follow (nothing here is edited by hand)."""

    boutique_path = "line__contract__customer__boutique"
    list_display = ["created_at", "line", "action", "status", "attempts", "confirmed_at"]
    list_filter = ["status", "action"]
    list_select_related = ["line__number"]
    search_fields = ["line__number__msisdn", "key"]
    readonly_fields = [
        "line",
        "action",
        "payload",
        "key",
        "reason",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "sent_at",
        "confirmed_at",
    ]


class CustomerRequestForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("The customer asks"),
        choices=[("suspend", _("to suspend the line (R13.2)")), ("lift", _("to have it back"))],
    )
    reason = forms.CharField(label=_("How the request was made"), max_length=200)
    last_name_ok = forms.BooleanField(label=_("Last name checked"))
    first_name_ok = forms.BooleanField(label=_("First name checked"))
    cin_ok = forms.BooleanField(label=_("CIN number checked"))
    birth_date_ok = forms.BooleanField(label=_("Birth date checked"))
    address_ok = forms.BooleanField(label=_("Address checked"))


@admin.action(description=_("Suspend or restore at the customer's request (R13.2)"))
def customer_request_suspension(modeladmin, request, queryset):
    if queryset.count() != 1:
        modeladmin.message_user(request, _("Choose one line."), messages.WARNING)
        return None
    line = queryset.select_related("offer", "contract").get()
    form = CustomerRequestForm(request.POST if "decision" in request.POST else None)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            if form.cleaned_data["decision"] == "suspend":
                invoices = line_suspension_request(line=line, actor=request.user, reason=reason)
                modeladmin.message_user(
                    request,
                    ngettext(
                        "Line suspended; %(count)d invoice issued for what is owed.",
                        "Line suspended; %(count)d invoices issued for what is owed.",
                        len(invoices),
                    )
                    % {"count": len(invoices)},
                    messages.SUCCESS,
                )
            else:
                line_suspension_request_lift(line=line, actor=request.user, reason=reason)
                modeladmin.message_user(
                    request, _("The line is restored once the network confirms."), messages.SUCCESS
                )
        except SuspensionRequestRefused as refusal:
            modeladmin.message_user(request, str(refusal), messages.ERROR)
        return None
    return action_form_page(
        modeladmin,
        request,
        "admin/subscriptions/line/customer_request_suspension.html",
        title=_("Suspension at the customer's request"),
        line=line,
        customer=line.contract.customer,
        form=form,
        action="customer_request_suspension",
        objects=[line],
    )
