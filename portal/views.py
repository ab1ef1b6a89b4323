"""Customer pages: the offers, the dashboard of lines, a line's page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from catalogue.selectors import grid_parameters, offers_on_sale, options_on_sale
from subscriptions.models import Customer, Line
from subscriptions.selectors import lines_of_customer


def _get_customer(request: HttpRequest) -> Customer:
    """The signed-in person's customer record; staff and accounts without one get 404."""
    try:
        return request.user.customer
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


def _get_line_for_customer(request: HttpRequest, pk: int) -> Line:
    """A line of the signed-in customer, or 404: another customer's line does not exist for them."""
    return get_object_or_404(lines_of_customer(_get_customer(request)), pk=pk)


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
@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    customer = _get_customer(request)
    return render(
        request,
        "portal/dashboard.html",
        {"customer": customer, "lines": lines_of_customer(customer)},
    )


@require_safe
@login_required
def line_detail(request: HttpRequest, pk: int) -> HttpResponse:
    line = _get_line_for_customer(request, pk)
    return render(
        request,
        "portal/line_detail.html",
        {"line": line, "history": line.status_changes.order_by("-at", "-pk")[:20]},
    )
