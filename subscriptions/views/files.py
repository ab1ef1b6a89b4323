"""Customer pages of the subscription journey, the file's follow page and its documents."""

from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_safe

from accounts.admin_scope import boutique_filter
from accounts.requests import SignedInRequest
from accounts.services import account_open, confirmation_send, email_confirm
from catalogue.models import Offer
from catalogue.selectors import SubscriptionPrices, subscription_prices
from lib.downloads import private_download
from lib.pdf import render_pdf
from privacy.models import StaffAccessLog
from privacy.selectors import consent_state
from privacy.services import consents_at_subscription, staff_access_record
from subscriptions.forms import files as forms
from subscriptions.models import Customer, FilePiece, SubscriptionFile
from subscriptions.selectors.files import file_still_missing
from subscriptions.selectors.records import customer_of_account
from subscriptions.services.files import (
    FileRefused,
    file_draft_for,
    file_save_step,
    file_submit,
    file_takes_pieces,
    piece_attach,
    required_documents,
)

STEPS = [
    ("offer", gettext_lazy("Offer")),
    ("options", gettext_lazy("Options")),
    ("identity", gettext_lazy("Identity")),
    ("address", gettext_lazy("Address")),
    ("documents", gettext_lazy("Documents")),
    ("summary", gettext_lazy("Summary")),
]


STEP_NAMES = [name for name, _label in STEPS]


UPLOAD_LATER = {"signed_form"}  # produced at the end, signed, then sent from the follow page


def _get_file_for_applicant(request: SignedInRequest, pk: int) -> SubscriptionFile:
    """A file of the signed-in person, or 404."""
    return get_object_or_404(
        SubscriptionFile.objects.select_related("offer", "boutique", "customer", "line__number"),
        pk=pk,
        applicant=request.user,
    )


def _get_piece_for_viewer(request: SignedInRequest, pk: int) -> FilePiece:
    """A piece visible to its owner, or to staff whose boutique handles the file; else 404."""
    pieces = FilePiece.objects.select_related("file")
    if request.user.is_staff:
        pieces = pieces.filter(boutique_filter(request.user, "file__boutique"))
    else:
        pieces = pieces.filter(file__applicant=request.user)
    return get_object_or_404(pieces, pk=pk)


def _done_steps(file: SubscriptionFile) -> list[str]:
    done = [name for name in STEP_NAMES if name in file.draft]
    if "documents" not in done and file.customer_kind:
        needed = {d.pk for d in _documents_now(file)}
        if needed and needed <= set(
            file.pieces.exclude(document="").values_list("required_document", flat=True)
        ):
            done.append("documents")
    return done


def _first_open_step(file: SubscriptionFile, done: list[str] | None = None) -> str:
    done = _done_steps(file) if done is None else done
    return next((name for name in STEP_NAMES if name not in done), "summary")


def _documents_now(file: SubscriptionFile):
    return required_documents(file.customer_kind).exclude(code__in=UPLOAD_LATER)


@require_http_methods(["GET", "HEAD", "POST"])
def subscribe_account(request: HttpRequest) -> HttpResponse:
    """The first step for a newcomer: the account that will follow the file."""
    if request.user.is_authenticated:
        return redirect("portal:subscribe")
    form = forms.AccountForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        with transaction.atomic():
            user = account_open(
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                mobile=data["mobile"],
                language=request.LANGUAGE_CODE,
            )
        login(request, user, backend="accounts.backends.EmailOrMobileBackend")
        confirmation_send(user=user, base_url=request.build_absolute_uri("/")[:-1])
        messages.info(request, _("We sent you a link to confirm your e-mail address."))
        return redirect("portal:subscribe")
    return render(request, "subscriptions/account.html", {"form": form, "steps": STEPS})


@require_safe
def subscribe(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("portal:subscribe_account")
    file = file_draft_for(applicant=request.user)
    return redirect("portal:subscribe_step", step=_first_open_step(file))


def _build_form(step: str, file: SubscriptionFile, request: HttpRequest):
    data = request.POST if request.method == "POST" else None
    initial = file.draft.get(step, {})
    customer = customer_of_account(request.user)  # a customer's new line starts from theirs
    if step == "offer":
        initial = {**initial, "offer": file.offer_id, "boutique": file.boutique_id}
        if customer is not None:
            initial.setdefault("customer_kind", customer.kind)
        return forms.OfferStepForm(data, initial=initial, customer=customer)
    if step == "options":
        return forms.OptionsStepForm(
            data,
            initial={"options": list(file.options.all())},
            offer=cast(Offer, file.offer),  # the step opens once the offer step chose one
        )
    if step == "identity":
        if customer is not None and (not initial or customer.contracts.exists()):
            initial = forms.IdentityStepForm.initial_from(customer)
        elif not initial and file.customer_kind == "individual":
            initial = {
                "first_name": file.applicant.first_name,
                "last_name": file.applicant.last_name,
            }
        return forms.IdentityStepForm(
            data, initial=initial, customer_kind=file.customer_kind, customer=customer
        )
    if step == "address":
        if customer is not None and (not initial or customer.contracts.exists()):
            initial = forms.AddressStepForm.initial_from(customer)
        return forms.AddressStepForm(data, initial=initial, customer=customer)
    if step == "documents":
        sent = set(file.pieces.exclude(document="").values_list("required_document", flat=True))
        return forms.DocumentsForm(
            data, request.FILES or None, documents=list(_documents_now(file)), already_sent=sent
        )
    if customer is not None:  # their current choices, not the defaults, are shown ticked
        initial = {f"consent_{p}": state.granted for p, state in consent_state(customer).items()}
    return forms.SummaryForm(data, initial=initial)


def _save_step(step: str, form, file: SubscriptionFile) -> None:
    if step == "offer":
        changed_kind = (
            file.customer_kind and file.customer_kind != form.cleaned_data["customer_kind"]
        )
        file.customer_kind = form.cleaned_data["customer_kind"]
        file.offer = form.cleaned_data["offer"]
        file.boutique = form.cleaned_data["boutique"]
        if changed_kind:  # another customer type asks for other pieces and identity
            file.draft = {k: v for k, v in file.draft.items() if k not in ("identity", "documents")}
            file.pieces.all().delete()
        file.save()
        file.options.set(file.options.filter(offers=file.offer))
    if step == "options":
        file.options.set(form.cleaned_data["options"])
    file_save_step(file=file, step=step, values=form.draft_values() if step != "documents" else {})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def subscribe_step(request: SignedInRequest, step: str) -> HttpResponse:
    if step not in STEP_NAMES:
        raise Http404
    file = file_draft_for(applicant=request.user)
    done = _done_steps(file)
    first_open = _first_open_step(file, done)
    if STEP_NAMES.index(step) > STEP_NAMES.index(first_open):
        return redirect("portal:subscribe_step", step=first_open)
    form = _build_form(step, file, request)
    if request.method == "POST":
        valid = form.is_valid()
        if step == "documents":
            # Each good file is kept even when another one is refused.
            for document, upload in form.valid_uploads():
                piece_attach(file=file, document=document, upload=upload, actor=request.user)
        if valid and step == "summary":
            return _submit(request, file, form)
        if valid:
            _save_step(step, form, file)
            following = STEP_NAMES[STEP_NAMES.index(step) + 1]
            return redirect("portal:subscribe_step", step=following)
        if step == "documents":
            form = _build_form(step, file, request)
            form.is_valid()
    context = {
        "form": form,
        "file": file,
        "step": step,
        "steps": STEPS,
        "done": done if request.method != "POST" else _done_steps(file),
        "pieces": {p.required_document_id: p for p in file.pieces.all()},
    }
    if step == "summary":
        context["prices"] = _prices(file)
        context["email_confirmed"] = request.user.email_confirmed_at is not None
    return render(request, f"subscriptions/step_{step}.html", context)


def _prices(file: SubscriptionFile) -> SubscriptionPrices:
    """Issue 14, point 4: the file's prices in force today, from the grid."""
    offer = cast(Offer, file.offer)  # the summary opens once the offer step chose one
    return subscription_prices(offer, list(file.options.all()), on=timezone.localdate())


def _submit(request: SignedInRequest, file: SubscriptionFile, form) -> HttpResponse:
    if request.user.email_confirmed_at is None:
        messages.error(request, _("Confirm your e-mail address first: open the link we sent you."))
        return redirect("portal:subscribe_step", step="summary")
    try:
        with transaction.atomic():
            file_submit(file=file, actor=request.user)
            consents_at_subscription(
                customer=cast(Customer, file.customer),  # file_submit gave the file one
                granted=form.consents_granted(),
                actor=request.user,
            )
    except FileRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("portal:subscribe_step", step="summary")
    messages.success(request, _("Your request is sent. Print the form, sign it and send it back."))
    return redirect("portal:file_detail", pk=file.pk)


@require_http_methods(["GET", "HEAD", "POST"])
def email_confirm_view(request: HttpRequest, token: str) -> HttpResponse:
    user = email_confirm(token=token)
    if user is None:
        messages.error(request, _("This link is not valid any more. Sign in to get a new one."))
        return redirect("portal:login")
    messages.success(request, _("Your e-mail address is confirmed."))
    return redirect("portal:subscribe" if request.user == user else "portal:login")


@login_required
@require_http_methods(["POST"])
def email_confirm_resend(request: SignedInRequest) -> HttpResponse:
    if request.user.email_confirmed_at is None:
        confirmation_send(user=request.user, base_url=request.build_absolute_uri("/")[:-1])
        messages.info(request, _("We sent you a new link."))
    return redirect("portal:subscribe")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def file_detail(request: SignedInRequest, pk: int) -> HttpResponse:
    """The customer follows the file: received, incomplete (which piece), refused, line active."""
    file = _get_file_for_applicant(request, pk)
    if file.status == SubscriptionFile.Status.DRAFT:
        return redirect("portal:subscribe")
    pieces = list(file.pieces.select_related("required_document"))
    open_to_pieces = file_takes_pieces(file)  # a refused or closed file takes nothing more
    to_send = [
        p
        for p in pieces
        if open_to_pieces and p.status in (FilePiece.Status.MISSING, FilePiece.Status.REJECTED)
    ]
    form = forms.DocumentsForm(
        request.POST or None,
        request.FILES or None,
        documents=[p.required_document for p in to_send],
        already_sent=set(),
    )
    if request.method == "POST":
        if not to_send:
            messages.error(request, _("This file is closed."))
            return redirect("portal:file_detail", pk=file.pk)
        form.is_valid()
        accepted = _pieces_attach(request, file, form)
        if accepted:
            _refusals_report(request, form)  # kept for the next page, with the thanks
            messages.success(request, _("Thank you: the boutique will check what you sent."))
            return redirect("portal:file_detail", pk=file.pk)
    missing = file_still_missing(file, pieces) if open_to_pieces else None
    return render(
        request,
        "subscriptions/file_detail.html",
        {"file": file, "pieces": pieces, "form": form if to_send else None, "missing": missing},
    )


def _pieces_attach(request: SignedInRequest, file: SubscriptionFile, form) -> int:
    """Attach each upload that passed its checks; how many were kept."""
    kept = 0
    for document, upload in form.valid_uploads():
        try:
            piece_attach(file=file, document=document, upload=upload, actor=request.user)
        except FileRefused as refusal:
            messages.error(request, str(refusal))
            break
        kept += 1
    return kept


def _refusals_report(request: SignedInRequest, form) -> None:
    """Each refused upload's message, named by its piece, for the page after the redirect."""
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        label = field.label if field is not None else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


@login_required
@require_safe
def file_form_pdf(request: SignedInRequest, pk: int) -> FileResponse:
    """The filled subscription form, to print and sign."""
    file = _get_file_for_applicant(request, pk)
    pdf = render_pdf(
        "pdf/subscription_form.html",
        {
            "file": file,
            "identity": file.draft.get("identity", {}),
            "address": file.draft.get("address", {}),
            "prices": _prices(file),
            "operator": settings.OPERATOR,
        },
        language=request.LANGUAGE_CODE,
    )
    return private_download(
        pdf, filename=f"formulaire-{file.reference}.pdf", content_type="application/pdf"
    )


@login_required
@require_safe
def file_refusal_letter(request: SignedInRequest, pk: int) -> FileResponse:
    file = _get_file_for_applicant(request, pk)
    if not file.refusal_letter:
        raise Http404
    return private_download(
        file.refusal_letter.open("rb"),
        filename=f"refus-{file.reference}.pdf",
        content_type="application/pdf",
    )


@login_required
@require_safe
def piece_download(request: SignedInRequest, pk: int) -> FileResponse:
    """An identity document, to its owner and to the staff of its boutique only."""
    piece = _get_piece_for_viewer(request, pk)
    if not piece.document:
        raise Http404
    if request.user.is_staff:  # R6.5: who of the staff opened whose identity document
        staff_access_record(
            staff=request.user,
            customer_id=piece.file.customer_id,
            what=StaffAccessLog.What.IDENTITY_DOCUMENT,
            detail=f"{piece.file.reference} {piece.required_document.code}",
        )
    name = cast(str, piece.document.name)  # checked above: the piece has a stored document
    extension = name.rsplit(".", 1)[-1]
    return private_download(
        piece.document.open("rb"),
        filename=f"{piece.required_document.code}-{piece.pk}.{extension}",
        content_type=piece.content_type,
        inline=True,  # the browser shows a scan or a PDF itself
    )
