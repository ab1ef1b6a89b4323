"""A line's customer pages: its detail and history, an option taken (R3.3, R4.2), top-up by
code (R2.3), lost or stolen SIM (R14.1, R14.4), suspension on request (R13.2). Another
customer's line is a 404.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.requests import SignedInRequest
from lib.money import format_tnd
from subscriptions.forms.prepaid import TopUpCodeForm
from subscriptions.forms.records import OptionRequestForm
from subscriptions.forms.sim_loss import PasswordConfirmForm, PoliceDeclarationForm
from subscriptions.forms.suspensions import SuspensionRequestForm
from subscriptions.models import Customer, IdentityCheck, Line, SimLossDeclaration
from subscriptions.selectors.records import lines_of_customer
from subscriptions.services.prepaid import TopUpRefused, top_up_with_code
from subscriptions.services.records import IDENTITY_CHECKS, OptionRefused
from subscriptions.services.records import line_option_add as line_option_add_service
from subscriptions.services.sim_loss import (
    SimLossRefused,
    police_declaration_attach,
    sim_loss_declare,
)
from subscriptions.services.suspensions import (
    CUSTOMER_REQUEST,
    SuspensionRequestRefused,
    line_suspension_request,
    line_suspension_request_lift,
)


def _get_line_for_customer(request: SignedInRequest, pk: int) -> Line:
    """A line of the signed-in customer, or 404: another customer's line does not exist for them."""
    try:
        customer = request.user.customer
    except Customer.DoesNotExist as exc:
        raise Http404 from exc
    return get_object_or_404(lines_of_customer(customer), pk=pk)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def line_top_up(request: SignedInRequest, pk: int) -> HttpResponse:
    """R2.3: the customer tops up their line with the code of a recharge card or ticket."""
    line = _get_line_for_customer(request, pk)
    form = TopUpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            top_up = top_up_with_code(line=line, code=form.cleaned_data["code"], user=request.user)
        except TopUpRefused as refusal:
            form.add_error("code", str(refusal))
        else:
            messages.success(
                request,
                # Issue 14, point 5: the amount written as the page writes amounts.
                _("%(amount)s added to your line.") % {"amount": format_tnd(top_up.amount)},
            )
            return redirect("portal:line_top_up", pk=line.pk)
    account = getattr(line, "prepaid_account", None)
    return render(
        request,
        "subscriptions/line_top_up.html",
        {"line": line, "form": form, "account": account, "top_ups": line.top_ups.all()[:10]},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def line_sim_loss(request: SignedInRequest, pk: int) -> HttpResponse:
    """R14.1: the customer declares the SIM lost or stolen after typing their password again
    (R14.4); then sends the police declaration within 4 days."""
    line = _get_line_for_customer(request, pk)
    declaration = line.sim_losses.filter(status=SimLossDeclaration.Status.OPEN).first()
    form: forms.Form
    if declaration is None:
        form = PasswordConfirmForm(
            request.POST or None, user=request.user, submit=_("Block my line")
        )
        if request.method == "POST" and form.is_valid():
            try:
                sim_loss_declare(
                    line=line, actor=request.user, channel=SimLossDeclaration.Channel.PORTAL
                )
            except SimLossRefused as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(request, _("Your line is blocked."))
            return redirect("portal:line_sim_loss", pk=line.pk)
    else:
        form = PoliceDeclarationForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                police_declaration_attach(
                    declaration=declaration,
                    upload=form.cleaned_data["document"],
                    actor=request.user,
                )
            except SimLossRefused as refusal:
                messages.error(request, str(refusal))
            else:
                messages.success(request, _("Thank you: the boutique will check the declaration."))
            return redirect("portal:line_sim_loss", pk=line.pk)
    return render(
        request,
        "subscriptions/line_sim_loss.html",
        {"line": line, "declaration": declaration, "form": form},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def line_suspension(request: SignedInRequest, pk: int) -> HttpResponse:
    """R13.2: the customer suspends their line (every sum owed becomes payable at once), or asks
    for it back."""
    line = _get_line_for_customer(request, pk)
    requested = line.suspension_causes.filter(
        cause=CUSTOMER_REQUEST, lifted_at__isnull=True
    ).exists()
    data = request.POST if request.method == "POST" else None
    form = SuspensionRequestForm(data) if not requested else None
    if request.method == "POST":
        try:
            if requested:
                line_suspension_request_lift(line=line, actor=request.user)
                messages.success(request, _("Your line will be back in service shortly."))
            elif form is not None and form.is_valid():
                invoices = line_suspension_request(line=line, actor=request.user)
                messages.success(request, _("Your line is suspended."))
                if invoices:
                    messages.info(
                        request,
                        _("Your invoice of what you owe is in your invoices: it is payable now."),
                    )
            else:
                return render(
                    request, "subscriptions/line_suspension.html", {"line": line, "form": form}
                )
        except SuspensionRequestRefused as refusal:
            messages.error(request, str(refusal))
        return redirect("portal:line_suspension", pk=line.pk)
    return render(
        request,
        "subscriptions/line_suspension.html",
        {"line": line, "form": form, "requested": requested},
    )


@require_safe
@login_required
def line_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    line = _get_line_for_customer(request, pk)
    return render(
        request,
        "portal/line_detail.html",
        {"line": line, "history": line.status_changes.order_by("-at", "-pk")[:20]},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def line_option_add(request: SignedInRequest, pk: int) -> HttpResponse:
    """R3.3, R4.2: the customer confirms their identity, then takes an option from today."""
    line = _get_line_for_customer(request, pk)
    form = OptionRequestForm(request.POST or None, line=line)
    if request.method == "POST" and form.is_valid():
        try:
            line_option_add_service(
                line=line,
                option=form.cleaned_data["option"],
                actor=request.user,
                channel=IdentityCheck.Channel.PORTAL,
                checks={name: True for name in IDENTITY_CHECKS},
            )
        except OptionRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("The option is active from today."))
            return redirect("portal:line_detail", pk=line.pk)
    return render(
        request,
        "portal/line_option_add.html",
        {"line": line, "form": form, "customer": line.contract.customer},
    )
