"""The invoice list's rows come from the fragment cache (issue 17): an issued invoice's row is
rendered once per language, and a row shows again what changed on it (a payment, its status)."""

import pytest
from django.core.cache import caches
from django.template import engines
from django.urls import reverse

import billing.views
from billing.models import Invoice
from billing.payments import payment_record
from tests.portal.test_invoice_balance import issue_months, signed_in


@pytest.fixture(autouse=True)
def empty_fragment_cache():
    caches["fragments"].clear()
    yield
    caches["fragments"].clear()


@pytest.fixture
def rows_rendered(monkeypatch) -> list[int]:
    """The ids of the invoices whose row was rendered rather than read from the cache."""
    rendered: list[int] = []
    format_rows = billing.views.invoice_list_rows

    def counting(invoices):
        invoices = list(invoices)
        rendered.extend(invoice.pk for invoice in invoices)
        return format_rows(invoices)

    monkeypatch.setattr(billing.views, "invoice_list_rows", counting)
    return rendered


def _page(client) -> str:
    return " ".join(client.get(reverse("portal:invoice_list")).content.decode().split())


def _invoice_table(page: str) -> str:
    """The table of invoices (the rest of the page has a fresh CSRF token each time)."""
    return page[page.index('id="invoices-caption"') :].split("</table>")[0]


def test_an_issued_invoice_row_is_rendered_once_then_read_from_the_cache(alice, rows_rendered):
    issue_months(alice.contracts.get().pk, 4, 6)
    shown = set(Invoice.objects.filter(contract__customer=alice).values_list("pk", flat=True))
    client = signed_in(alice)
    first = _invoice_table(_page(client))
    assert sorted(rows_rendered) == sorted(shown)
    assert _invoice_table(_page(client)) == first
    assert len(rows_rendered) == len(shown)  # the second page rendered no row


def test_a_row_is_rendered_in_each_language(alice, rows_rendered):
    issue_months(alice.contracts.get().pk, 4, 4)
    client = signed_in(alice)
    french = _page(client)
    client.cookies["django_language"] = "en"
    english = _page(client)
    assert len(rows_rendered) == 2 * Invoice.objects.filter(contract__customer=alice).count()
    assert "Télécharger la facture" in french
    assert "Download invoice" in english


def test_a_paid_invoice_row_shows_it_paid_and_nothing_still_due(alice, agent, rows_rendered):
    contract = alice.contracts.get()
    issue_months(contract.pk, 4, 4)
    invoice = Invoice.objects.get(contract=contract, period_start__month=4)
    client = signed_in(alice)
    page = _page(client)
    owed = sum(contract.invoices.values_list("total_incl_tax", flat=True))
    payment_record(contract=contract, amount=owed, method="cash", actor=agent)  # pays them all
    assert page.count("text-bg-success") < _page(client).count("text-bg-success")  # "Paid"
    assert rows_rendered.count(invoice.pk) == 2


def test_templates_are_compiled_once_per_process_by_the_cached_loader():
    """portal/settings.py names no loaders, so Django wraps the file and app loaders in its
    cached loader: a page parses its templates once per process, not at every request."""
    [loader] = engines["django"].engine.template_loaders
    assert f"{type(loader).__module__}.{type(loader).__name__}" == (
        "django.template.loaders.cached.Loader"
    )
