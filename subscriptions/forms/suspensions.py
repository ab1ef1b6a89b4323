"""Form of the suspension at the customer's request (R13.2). Forms validate; they never act."""

from django import forms
from django.utils.translation import gettext_lazy as _

from lib.forms import submit_helper


class SuspensionRequestForm(forms.Form):
    """R13.2: the customer confirms they understand that every sum owed becomes payable."""

    confirm = forms.BooleanField(
        label=_("I understand that everything I owe becomes payable at once.")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = submit_helper(_("Suspend my line"))
