"""Supervisors edit the tariff grid; a row already in force is never changed, a new row is added."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalogue.models import (
    DestinationPrefix,
    Fee,
    GridParameters,
    InternationalRate,
    Offer,
    OfferTerms,
    Option,
    OptionPrice,
    PassAllowance,
    PrepaidValidity,
)

IN_FORCE_MESSAGE = _(
    "This row has been in force since %(date)s and invoices may use it: add a new row with a "
    "later effective date instead of changing it."
)


def _in_force(form: forms.ModelForm) -> bool:
    """Whether the row as stored (the form's initial data) is already in force."""
    stored = form.initial.get("effective_from")
    return bool(form.instance.pk) and stored is not None and stored <= timezone.localdate()


def _refuse(form: forms.ModelForm) -> ValidationError:
    return ValidationError(
        IN_FORCE_MESSAGE, code="price_in_force", params={"date": form.initial["effective_from"]}
    )


class GridRowForm(forms.ModelForm):
    """R1.3: a price row in force is history; only rows effective in the future can change."""

    def clean(self):
        cleaned = super().clean()
        if _in_force(self) and self.has_changed() and not cleaned.get("DELETE"):
            raise _refuse(self)
        return cleaned


class GridRowFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.deleted_forms:
            if _in_force(form):
                raise _refuse(form)


class GridRowInline(admin.TabularInline):
    form = GridRowForm
    formset = GridRowFormSet
    extra = 0


class OfferTermsInline(GridRowInline):
    model = OfferTerms


class InternationalRateInline(GridRowInline):
    model = InternationalRate


class OptionPriceInline(GridRowInline):
    model = OptionPrice


class PassAllowanceInline(GridRowInline):
    model = PassAllowance


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "kind",
        "minimum_commitment_months",
        "minimum_invoice_applies",
        "is_sold",
    ]
    list_filter = ["kind", "is_sold"]
    search_fields = ["name", "code"]
    inlines = [OfferTermsInline, InternationalRateInline]


@admin.register(Option)
class OptionAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "kind",
        "period",
        "renews",
        "minimum_commitment_months",
        "is_sold",
    ]
    list_filter = ["kind", "period", "is_sold"]
    search_fields = ["name", "code"]
    filter_horizontal = ["offers"]
    inlines = [OptionPriceInline, PassAllowanceInline]


class GridRowAdmin(admin.ModelAdmin):
    form = GridRowForm

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.effective_from <= timezone.localdate():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Fee)
class FeeAdmin(GridRowAdmin):
    list_display = ["kind", "offer", "amount", "effective_from"]
    list_filter = ["kind", "offer"]
    list_select_related = ["offer"]


@admin.register(GridParameters)
class GridParametersAdmin(GridRowAdmin):
    list_display = [
        "effective_from",
        "vat_rate",
        "stamp_duty",
        "minimum_invoice_excl_tax",
        "invoice_due_days",
    ]


@admin.register(PrepaidValidity)
class PrepaidValidityAdmin(GridRowAdmin):
    list_display = ["effective_from", "minimum_top_up", "validity_days"]


@admin.register(DestinationPrefix)
class DestinationPrefixAdmin(GridRowAdmin):
    list_display = ["prefix", "country", "country_name", "zone", "effective_from"]
    list_filter = ["zone", "country"]
    search_fields = ["prefix", "country_name"]
