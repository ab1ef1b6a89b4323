"""R7.7: supervisors record a report of advertising SMS with its evidence; saving it suspends
the line for fraud (R13.1). A report is kept as recorded."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from abuse.models import AdvertisingSmsReport
from abuse.services import ReportRefused, advertising_sms_suspend
from lib.identifiers import normalize_msisdn
from lib.uploads import DocumentField
from subscriptions.models import Line


class ReportForm(forms.ModelForm):
    """The line is found by the number the report gives, typed as it is written (20 123 456,
    +216 20 123 456): the line holding it now, in service."""

    number = forms.CharField(label=_("number reported"), max_length=30)
    evidence_file = DocumentField(label=_("evidence (PDF, JPEG or PNG)"))

    class Meta:
        model = AdvertisingSmsReport
        fields = ["reported_by", "description"]

    def clean_number(self) -> str:
        try:
            msisdn = normalize_msisdn(self.cleaned_data["number"])
        except ValidationError:
            raise ValidationError(
                _("Type a Tunisian mobile number, for example 20 123 456."), code="invalid"
            ) from None
        line = (
            Line.objects.filter(number__msisdn=msisdn)
            .exclude(status__in=[Line.Status.PENDING, Line.Status.TERMINATED])
            .first()
        )
        if line is None:
            raise ValidationError(_("This line is not in service."), code="not_in_service")
        self.cleaned_data["line"] = line
        return msisdn


@admin.register(AdvertisingSmsReport)
class AdvertisingSmsReportAdmin(admin.ModelAdmin):
    form = ReportForm
    list_display = ["line", "reported_by", "recorded_at", "recorded_by", "suspension"]
    list_select_related = ["line__number", "recorded_by", "suspension"]
    search_fields = ["line__number__msisdn"]
    readonly_fields = [
        "evidence_name",
        "evidence_sha256",
        "recorded_at",
        "recorded_by",
        "suspension",
    ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["number", "reported_by", "description", "evidence_file"]
        return ["line", "reported_by", "description", *self.readonly_fields]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            kwargs["form"] = forms.ModelForm
        return super().get_form(request, obj, change=change, **kwargs)

    def has_change_permission(self, request, obj=None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_form(self, request, form, change):
        if change:
            return form.instance
        try:
            return advertising_sms_suspend(
                line=form.cleaned_data["line"],
                reported_by=form.cleaned_data["reported_by"],
                description=form.cleaned_data["description"],
                evidence=form.cleaned_data["evidence_file"],
                actor=request.user,
            )
        except ReportRefused as refusal:
            raise ValidationError(str(refusal)) from refusal

    def save_model(self, request, obj, form, change) -> None:
        """Saved by advertising_sms_suspend (save_form)."""

    def save_related(self, request, form, formsets, change) -> None:
        """A report has no related rows to save."""
