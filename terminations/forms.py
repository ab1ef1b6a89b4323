from django import forms
from django.utils.translation import gettext_lazy as _

from lib.customer_text import without_rule_ids_lazy
from lib.forms import label_choices, model_choice
from subscriptions.models import Customer, Line
from terminations.models import TerminationRequest


class TerminationRequestForm(forms.Form):
    """The lines to terminate and the motive; the form only validates."""

    lines = forms.ModelMultipleChoiceField(
        label=_("Lines to terminate"),
        queryset=Line.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one line.")},
    )
    motive = forms.ChoiceField(
        label=_("Motive"),
        choices=[
            (value, without_rule_ids_lazy(label))
            for value, label in TerminationRequest.Motive.choices
        ],
        initial=TerminationRequest.Motive.ORDINARY,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, customer: Customer, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        model_choice(self, "lines").queryset = (
            Line.objects.filter(contract__customer=customer)
            .exclude(status__in=[Line.Status.PENDING, Line.Status.TERMINATED])
            .select_related("number", "offer")
        )
        label_choices(
            model_choice(self, "lines"), lambda line: f"{line.number} — {line.offer.label}"
        )
