"""The customer's privacy page: choices and one-click objections, history, a copy of their
data, corrections, and the service PIN (R21.1-R21.3, R7.2, R7.4)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.requests import SignedInRequest
from lib.downloads import private_download
from privacy.access import access_file_for
from privacy.forms import ConsentChangeForm, RectificationForm, ServicePinForm
from privacy.models import AccessRequest, Consent, Purpose, ServicePin
from privacy.rectification import RectificationRefused, rectification_request
from privacy.selectors import consent_history, consent_state
from privacy.services import (
    PinRefused,
    access_request,
    consent_object_all,
    consent_record,
    service_pin_set,
)
from subscriptions.models import Customer

# What each purpose means, in plain words, on the privacy page. Traffic data (R21.2) and
# partners (R21.3) are allowed unless the customer objects; marketing channels are asked for.
EXPLANATIONS: dict[str, Promise] = {  # keyed by Purpose, a str: a consent's purpose finds it
    Purpose.MARKETING_EMAIL: gettext_lazy("We send you our offers and news by e-mail."),
    Purpose.MARKETING_SMS: gettext_lazy("We send you our offers by text message."),
    Purpose.MARKETING_CALLS: gettext_lazy("Our advisers call you to present offers."),
    Purpose.TRAFFIC_OFFERS: gettext_lazy(
        "We look at how you use your line (calls, SMS, internet) to suggest offers that suit you. "
        "This is allowed unless you object."
    ),
    Purpose.PARTNERS: gettext_lazy(
        "We pass your contact details to our commercial partners for their offers. This is "
        "allowed unless you object; partners are told at once when you do."
    ),
}


def _get_customer(request: SignedInRequest) -> Customer:
    """The signed-in person's customer record; staff and accounts without one get 404."""
    try:
        return request.user.customer
    except Customer.DoesNotExist as exc:
        raise Http404 from exc


def _get_access_request_for_customer(request: SignedInRequest, pk: int) -> AccessRequest:
    """A copy of the signed-in customer's own data, or 404 (R6.5)."""
    return get_object_or_404(AccessRequest, pk=pk, customer=_get_customer(request))


@require_safe
@login_required
def privacy_page(request: SignedInRequest) -> HttpResponse:
    customer = _get_customer(request)
    states = consent_state(customer)
    return render(
        request,
        "privacy/privacy.html",
        {
            "choices": [(state, EXPLANATIONS[state.purpose]) for state in states.values()],
            "any_granted": any(state.granted for state in states.values()),
            "history": consent_history(customer)[:100],
            "access_requests": customer.access_requests.all()[:5],
            "rectifications": customer.rectification_requests.all()[:10],
            "pin": ServicePin.objects.filter(customer=customer).only("changed_at").first(),
        },
    )


@require_POST
@login_required
def privacy_consent(request: SignedInRequest) -> HttpResponse:
    """One click: object to (or agree again to) a purpose, or object to every purpose."""
    customer = _get_customer(request)
    form = ConsentChangeForm(request.POST)
    if not form.is_valid():
        raise Http404
    purpose, granted = form.cleaned_data["purpose"], form.cleaned_data["granted"]
    if purpose == "all":
        consent_object_all(customer=customer, channel=Consent.Channel.PORTAL, actor=request.user)
    else:
        consent_record(
            customer=customer,
            purpose=purpose,
            granted=granted,
            channel=Consent.Channel.PORTAL,
            actor=request.user,
        )
    messages.success(request, _("Your choice is recorded and applies from now on."))
    return redirect("portal:privacy")


@require_POST
@login_required
def privacy_access_request(request: SignedInRequest) -> HttpResponse:
    access_request(customer=_get_customer(request), actor=request.user)
    messages.success(
        request, _("We are preparing a copy of your data: it will be here in a few minutes.")
    )
    return redirect("portal:privacy")


def _download(request: SignedInRequest, pk: int, kind: str, content_type: str) -> FileResponse:
    copy = _get_access_request_for_customer(request, pk)
    stored = access_file_for(request=copy, kind=kind)
    if stored is None:
        raise Http404
    return private_download(
        stored.open("rb"), filename=f"mes-donnees-{copy.pk}.{kind}", content_type=content_type
    )


@require_safe
@login_required
def privacy_access_json(request: SignedInRequest, pk: int) -> FileResponse:
    return _download(request, pk, "json", "application/json")


@require_safe
@login_required
def privacy_access_pdf(request: SignedInRequest, pk: int) -> FileResponse:
    return _download(request, pk, "pdf", "application/pdf")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def privacy_rectification(request: SignedInRequest) -> HttpResponse:
    customer = _get_customer(request)
    form = RectificationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rectification_request(
                customer=customer,
                kind=form.cleaned_data["kind"],
                changes=form.changes(),
                actor=request.user,
            )
        except RectificationRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Your request is sent: an agent will answer it."))
            return redirect("portal:privacy")
    return render(request, "privacy/rectification.html", {"form": form, "customer": customer})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def privacy_pin(request: SignedInRequest) -> HttpResponse:
    """R7.4: the customer changes their service PIN after typing their password again."""
    customer = _get_customer(request)
    form = ServicePinForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            service_pin_set(customer=customer, pin=form.cleaned_data["pin1"], actor=request.user)
        except PinRefused as refusal:
            messages.error(request, str(refusal))
        else:
            messages.success(request, _("Your service PIN is changed."))
            return redirect("portal:privacy")
    return render(request, "privacy/pin.html", {"form": form})
