"""Supervisors edit the grid in the admin; rows in force are never rewritten (R1.3)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalogue.grid_file import grid_load
from catalogue.management.commands.grid_load import DEMO_GRID
from catalogue.models import GridParameters, Offer, OfferTerms


def _parameters_form(row: GridParameters, **changes) -> dict:
    """Every parameter of the admin form, as `row` holds it (a new parameter is picked up)."""
    data = {
        field.name: getattr(row, field.name)
        for field in GridParameters._meta.concrete_fields
        if field.editable and not field.primary_key
    }
    data.update(changes)
    return data


def test_r1_3_supervisor_cannot_rewrite_a_price_in_force(client, grid, supervisor):
    client.force_login(supervisor)
    row = GridParameters.objects.get()
    url = reverse("admin:catalogue_gridparameters_change", args=[row.pk])
    response = client.post(url, _parameters_form(row, vat_rate="0.2000"))
    assert response.status_code == 200
    assert response.context["adminform"].form.has_error("__all__", code="price_in_force")
    row.refresh_from_db()
    assert row.vat_rate == Decimal("0.1900")


def test_r1_3_supervisor_adds_a_future_price_row(client, grid, supervisor):
    client.force_login(supervisor)
    row = GridParameters.objects.get()
    future = timezone.localdate() + timedelta(days=30)
    response = client.post(
        reverse("admin:catalogue_gridparameters_add"),
        _parameters_form(row, effective_from=future, vat_rate="0.2000"),
    )
    assert response.status_code == 302
    assert GridParameters.objects.filter(effective_from=future, vat_rate="0.2000").exists()


def test_r1_3_supervisor_cannot_delete_a_row_in_force(client, grid, supervisor):
    client.force_login(supervisor)
    row = GridParameters.objects.get()
    response = client.post(
        reverse("admin:catalogue_gridparameters_delete", args=[row.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert GridParameters.objects.filter(pk=row.pk).exists()


def test_r1_3_inline_price_rows_in_force_are_protected(client, grid, supervisor):
    client.force_login(supervisor)
    offer = Offer.objects.get(code="plafonne-15")
    terms = offer.terms.get()
    url = reverse("admin:catalogue_offer_change", args=[offer.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form.initial.get(name, getattr(offer, name)) for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (None, False)}
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        prefix = formset.formset.prefix
        data.update({f"{prefix}-{k}": v for k, v in management.initial.items()})
        for i, inline_form in enumerate(formset.formset.forms):
            for name, field in inline_form.fields.items():
                value = inline_form.initial.get(name, field.initial)
                if value is not None and value is not False:
                    data[f"{prefix}-{i}-{name}"] = getattr(value, "pk", value)
    data["terms-0-monthly_fee"] = "99.000"
    response = client.post(url, data)
    assert response.status_code == 200, response
    terms.refresh_from_db()
    assert terms.monthly_fee == Decimal("15.000")


def test_agent_sees_the_grid_but_cannot_change_it(client, grid, agent):
    client.force_login(agent)
    row = GridParameters.objects.get()
    assert client.get(reverse("admin:catalogue_gridparameters_changelist")).status_code == 200
    response = client.post(
        reverse("admin:catalogue_gridparameters_add"),
        _parameters_form(row, effective_from=date(2030, 1, 1)),
    )
    assert response.status_code == 403


def test_demo_grid_loads_from_the_repository_file_and_twice_adds_nothing(db):
    first = grid_load(DEMO_GRID)
    counts = OfferTerms.objects.count(), Offer.objects.count()
    second = grid_load(DEMO_GRID)
    assert first.total_created > 30
    assert second.total_created == 0 and not second.updated
    assert (OfferTerms.objects.count(), Offer.objects.count()) == counts


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_grid_names_follow_the_page_language(grid, language):
    from django.utils import translation

    offer = Offer.objects.get(code="forfait-liberte-20")
    with translation.override(language):
        assert offer.label == {"fr": offer.name, "ar": offer.name_ar, "en": offer.name_en}[language]
