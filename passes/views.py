"""The customer's passes on a line: held, taken, renewal stopped or restarted, and this month's
consumption so far (thin: passes.selectors reads, passes.services writes)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.requests import SignedInRequest
from catalogue.models import Option
from passes.models import PassHolding
from passes.selectors import consumption_so_far, passes_held, passes_to_take
from passes.services import PassRefused, pass_renewal_set, pass_take
from subscriptions.models import Customer, Line


def _line_of_customer(request: SignedInRequest, pk: int) -> Line:
    """A line of the signed-in customer, or 404 (another customer's line does not exist)."""
    try:
        customer = request.user.customer
    except Customer.DoesNotExist as exc:
        raise Http404 from exc
    return get_object_or_404(
        Line.objects.select_related("offer", "number").filter(contract__customer=customer), pk=pk
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def line_passes(request: SignedInRequest, pk: int) -> HttpResponse:
    line = _line_of_customer(request, pk)
    if request.method == "POST":
        try:
            if option_id := request.POST.get("take"):
                option = get_object_or_404(Option, pk=option_id, kind=Option.Kind.PASS)
                pass_take(line=line, option=option, actor=request.user)
                messages.success(request, _("The pass is active from now."))
            elif holding_id := request.POST.get("holding"):
                holding = get_object_or_404(
                    PassHolding, pk=holding_id, line_option__line=line, ended_at__isnull=True
                )
                renews = request.POST.get("renews") == "1"
                pass_renewal_set(holding=holding, renews=renews, actor=request.user)
                if renews:
                    messages.success(request, _("The pass will renew at the end of its period."))
                else:
                    messages.success(request, _("The pass will end at the end of its period."))
        except PassRefused as refusal:
            messages.error(request, str(refusal))
        return redirect("portal:line_passes", pk=line.pk)
    return render(
        request,
        "passes/line_passes.html",
        {
            "line": line,
            "held": passes_held(line),
            "to_take": passes_to_take(line) if line.status == Line.Status.ACTIVE else [],
            "consumption": consumption_so_far(line),
        },
    )
