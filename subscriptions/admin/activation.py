"""The boutique's "accept and activate" step (R3.2, R4.1): the agent sees the number and the SIM
card proposed for each complete file, keeps them or chooses others, and is told which ones each
line got. The activation itself is `subscriptions.services.files.file_accept`."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import transaction
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.requests import staff_member
from lib.forms import model_choice
from subscriptions.models import MobileNumber, SimCard, SubscriptionFile
from subscriptions.selectors.files import numbers_to_give, sims_to_give
from subscriptions.services.files import FileRefused, file_accept
from subscriptions.services.records import ActivationRefused

SUBMIT = "activate"


class ActivationForm(forms.Form):
    """The number and the SIM card of one file's line, proposed first."""

    number = forms.ModelChoiceField(label=gettext_lazy("Number"), queryset=MobileNumber.objects)
    sim = forms.ModelChoiceField(label=gettext_lazy("SIM card"), queryset=SimCard.objects)

    def __init__(self, data=None, *, file: SubscriptionFile, **kwargs):
        super().__init__(data, prefix=f"file-{file.pk}", **kwargs)
        self.file = file
        model_choice(self, "number").queryset = numbers_to_give()
        model_choice(self, "sim").queryset = sims_to_give(file.boutique)


def _proposals(files: list[SubscriptionFile]) -> list[ActivationForm]:
    """One unbound form per file, each with its own proposed number and SIM."""
    numbers = iter(numbers_to_give()[: len(files)])
    taken_sims: set[int] = set()
    result = []
    for file in files:
        sim = sims_to_give(file.boutique).exclude(pk__in=taken_sims).first()
        if sim is not None:
            taken_sims.add(sim.pk)
        number = next(numbers, None)
        initial = {"number": number.pk if number else None, "sim": sim.pk if sim else None}
        result.append(ActivationForm(initial=initial, file=file))
    return result


def _twice(forms_: list[ActivationForm]) -> bool:
    """A number or a SIM chosen for two files of the same page: each form gets its error."""
    found = False
    for field in ("number", "sim"):
        seen: dict[int, ActivationForm] = {}
        for form in forms_:
            value = form.cleaned_data.get(field)
            if value is None:
                continue
            if value.pk in seen:
                form.add_error(field, _("Chosen for another file on this page."))
                found = True
            seen[value.pk] = form
    return found


def _activate(request: HttpRequest, form: ActivationForm) -> None:
    number, sim = form.cleaned_data["number"], form.cleaned_data["sim"]
    try:
        with transaction.atomic():
            file_accept(file=form.file, actor=staff_member(request), number=number, sim=sim)
    except FileRefused as refusal:
        messages.error(request, f"{form.file.reference}: {refusal}")
    except ActivationRefused:
        messages.error(
            request,
            _("%(file)s: the number or the SIM card was given to another line meanwhile.")
            % {"file": form.file.reference},
        )
    else:
        messages.success(
            request,
            _("%(file)s: line %(number)s activated with the SIM card %(sim)s.")
            % {"file": form.file.reference, "number": number.msisdn, "sim": sim.iccid},
        )


def accept_and_activate(model_admin: admin.ModelAdmin, request: HttpRequest, queryset):
    """R3.2, R4.1: the page of numbers and SIMs, then the activation of each complete file."""
    files = list(queryset.select_related("customer", "applicant", "boutique").order_by("pk"))
    complete = [f for f in files if f.status == SubscriptionFile.Status.COMPLETE]
    for file in files:
        if file.status != SubscriptionFile.Status.COMPLETE:
            messages.error(
                request, f"{file.reference}: {_('Only a complete file can be accepted.')}"
            )
    if not complete:
        return None
    if SUBMIT in request.POST:
        bound = [ActivationForm(request.POST, file=file) for file in complete]
        valid = all([form.is_valid() for form in bound])
        if valid and not _twice(bound):
            for form in bound:
                _activate(request, form)
            return None
        page_forms = bound
    else:
        page_forms = _proposals(complete)
    context = {
        **model_admin.admin_site.each_context(request),
        "title": _("Accept and activate: number and SIM card of each line"),
        "forms": page_forms,
        "opts": model_admin.model._meta,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "submit_name": SUBMIT,
    }
    return TemplateResponse(request, "admin/subscriptions/subscriptionfile/activate.html", context)
