"""Customer pages of a termination: prepare the letter, follow it, download it, withdraw it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from billing.models import Deposit
from subscriptions.models import Customer
from terminations.forms import TerminationRequestForm
from terminations.models import TerminationRequest
from terminations.notices import termination_letter_pdf
from terminations.selectors import request_terms
from terminations.services import (
    TerminationRefused,
    termination_request_prepare,
    termination_request_withdraw,
)


def _get_customer(request: HttpRequest) -> Customer:
    try:
        return request.user.customer
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


def _get_request_for_customer(request: HttpRequest, pk: int) -> TerminationRequest:
    """A termination request of the signed-in customer, or 404 (R6.5)."""
    return get_object_or_404(
        TerminationRequest.objects.select_related("customer__user"),
        pk=pk,
        customer=_get_customer(request),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def termination_new(request: HttpRequest) -> HttpResponse:
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
    return render(request, "terminations/new.html", {"form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def termination_detail(request: HttpRequest, pk: int) -> HttpResponse:
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
def termination_letter(request: HttpRequest, pk: int) -> HttpResponse:
    termination = _get_request_for_customer(request, pk)
    response = HttpResponse(termination_letter_pdf(termination), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="resiliation-{termination.reference}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
