"""Form helpers."""

from collections.abc import Callable
from typing import Any, cast

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms


def submit_helper(label: str) -> FormHelper:
    """A crispy-forms helper with one submit button labelled `label`."""
    helper = FormHelper()
    helper.add_input(Submit("submit", label))
    return helper


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """The field `name` of `form`, declared as a ModelChoiceField (or a multiple one), typed as
    such for its queryset to be narrowed per form (`form.fields` holds plain `Field`s)."""
    return cast(forms.ModelChoiceField, form.fields[name])


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    """The field `name` of `form`, declared as a ChoiceField, typed as such for its choices to be
    narrowed per form."""
    return cast(forms.ChoiceField, form.fields[name])


def label_choices(field: forms.ModelChoiceField, label: Callable[[Any], str]) -> None:
    """Each choice of `field` (one form's copy of it) shown as `label(instance)`."""
    # Django's documented hook is a method; this form's copy of the field gets its own.
    field.label_from_instance = label  # type: ignore[method-assign, assignment]
