"""Customer pages of a termination: prepare the letter, follow it, download it, withdraw it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from accounts.requests import SignedInRequest
from billing.models import Deposit
from catalogue.selectors import grid_parameters
from lib.downloads import private_download
from subscriptions.models import Customer, LineOption
from subscriptions.services.records import OptionEndRefused, line_option_end
from terminations.forms import TerminationRequestForm
from terminations.models import TerminationRequest
from terminations.notices import termination_letter_pdf
from terminations.selectors import request_terms
from terminations.services import (
    TerminationRefused,
    termination_request_prepare,
    termination_request_withdraw,
)


def _get_customer(request: SignedInRequest) -> Customer:
    try:
        return request.user.customer
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


def _get_request_for_customer(request: SignedInRequest, pk: int) -> TerminationRequest:
    """A termination request of the signed-in customer, or 404 (R6.5)."""
    return get_object_or_404(
        TerminationRequest.objects.select_related("customer__user"),
        pk=pk,
        customer=_get_customer(request),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def termination_new(request: SignedInRequest) -> HttpResponse:
    customer = _get_customer(request)
    form = TerminationRequestForm(request.POST or None, customer=customer)
    if request.method == "POST" and form.is_valid():
        try:
            created = termination_request_prepare(
                customer=customer,
                lines=form.cleaned_data["lines"],
                motive=form.cleaned_data["motive"],
                actor=request.user,
            )
        except TerminationRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(
                request,
                _("Your letter is ready: print it, sign it and send it by registered post."),
            )
            return redirect("portal:termination_detail", pk=created.pk)
    options = LineOption.objects.filter(
        line__contract__customer=customer, ended_on__isnull=True
    ).select_related("option", "line__number")
    return render(
        request,
        "terminations/new.html",
        {
            "form": form,
            "options": options,
            "parameters": grid_parameters(on=timezone.localdate()),
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def termination_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    """What follows the letter (a preview until it is received, then the frozen terms), the
    deposit to come back, the letter to download; a letter not received may be withdrawn."""
    termination = _get_request_for_customer(request, pk)
    if request.method == "POST" and "withdraw" in request.POST:
        try:
            termination_request_withdraw(request=termination, actor=request.user)
        except TerminationRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Your termination request is withdrawn."))
        return redirect("portal:termination_detail", pk=termination.pk)
    items = request_terms(termination)
    contract_ids = {item.line.contract_id for item, _terms in items}
    return render(
        request,
        "terminations/detail.html",
        {
            "termination": termination,
            "items": items,
            "deposits": Deposit.objects.filter(contract_id__in=contract_ids),
        },
    )


@require_safe
@login_required
def termination_letter(request: SignedInRequest, pk: int) -> FileResponse:
    termination = _get_request_for_customer(request, pk)
    return private_download(
        termination_letter_pdf(termination),
        filename=f"resiliation-{termination.reference}.pdf",
        content_type="application/pdf",
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def option_end(request: SignedInRequest, pk: int) -> HttpResponse:
    """R17.4: the customer ends one option; the line and the contract run on."""
    line_option = get_object_or_404(
        LineOption.objects.select_related("option", "line__number"),
        pk=pk,
        line__contract__customer=_get_customer(request),
    )
    if request.method == "POST" and line_option.ended_on is None:
        try:
            line_option_end(line_option=line_option, actor=request.user)
        except OptionEndRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("The option is terminated; your line runs on."))
            return redirect("portal:line_detail", pk=line_option.line_id)
    return render(request, "terminations/option_end.html", {"line_option": line_option})
