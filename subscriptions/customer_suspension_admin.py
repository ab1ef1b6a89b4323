"""R13.2 in the admin: an agent records the customer's request to suspend a line, or to have it
back, after checking who asks; the action calls `subscriptions.customer_suspension`."""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from subscriptions.customer_suspension import (
    SuspensionRequestRefused,
    line_suspension_request,
    line_suspension_request_lift,
)


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
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": _("Suspension at the customer's request"),
        "line": line,
        "customer": line.contract.customer,
        "form": form,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(
        request, "admin/subscriptions/line/customer_request_suspension.html", context
    )
