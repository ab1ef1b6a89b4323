"""The customer pages' shell: the offers, the dashboard of lines and files. A line's pages are
`subscriptions.views.records`, the invoices' `billing.views`."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from accounts.requests import SignedInRequest
from catalogue.selectors import grid_parameters, offers_on_sale, options_on_sale
from subscriptions.selectors.records import customer_of_account, lines_of_customer
from terminations.selectors import open_requests_of_customer


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    options = options_on_sale(on=today)
    return render(
        request,
        "portal/home.html",
        {
            "offers": offers_on_sale(on=today),
            "options": [card for card in options if card.option.kind == "option"],
            "passes": [card for card in options if card.option.kind == "pass"],
            "vat_percent": grid_parameters(on=today).vat_rate * 100,
        },
    )


@require_safe
def conditions(request: HttpRequest) -> HttpResponse:
    """The general subscription conditions a customer accepts, with the grid's figures of today."""
    parameters = grid_parameters(on=timezone.localdate())
    return render(
        request,
        "portal/conditions.html",
        {
            "parameters": parameters,
            "today": timezone.localdate(),
            "interest_percent": parameters.late_interest_rate * 100,
        },
    )


@require_safe
@login_required
def dashboard(request: SignedInRequest) -> HttpResponse:
    """The customer's lines and subscription files; a newcomer sees only their files."""
    customer = customer_of_account(request.user)  # read once: base.html's menu reuses it
    return render(
        request,
        "portal/dashboard.html",
        {
            "customer": customer,
            "lines": lines_of_customer(customer) if customer else [],
            "files": request.user.subscription_files.exclude(status="draft").order_by("-pk"),
            "terminations": open_requests_of_customer(customer) if customer else [],
        },
    )
