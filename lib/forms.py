"""Form helpers."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit


def submit_helper(label: str) -> FormHelper:
    """A crispy-forms helper with one submit button labelled `label`."""
    helper = FormHelper()
    helper.add_input(Submit("submit", label))
    return helper
