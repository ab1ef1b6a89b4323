"""The customer's invoice list: what is still due on each invoice and each account's balance
(what is owed in all, the credit for the next invoices), in a fixed number of queries."""

from datetime import date
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from billing.invoicing import Period, invoice_issue
from billing.payments import payment_record
from lib.money import format_tnd
from tests.billing.helpers import flat

# Session, user with its customer, invoices, account balances.
LIST_QUERIES = 4


def signed_in(customer) -> Client:
    client = Client()
    client.force_login(customer.user)
    return client


def issue_months(contract_id: int, first: int, last: int) -> None:
    for month in range(first, last + 1):
        start = date(2026 + (month - 1) // 12, (month - 1) % 12 + 1, 1)
        invoice_issue(contract_id=contract_id, period=Period.month(start), issued_on=start)


def test_the_invoice_list_shows_what_is_still_due_and_the_accounts_balance(alice, agent):
    contract = alice.contracts.get()
    issue_months(contract.pk, 4, 5)  # April and May 2026, unpaid
    april, may = contract.invoices.filter(period_start__month__in=[4, 5]).order_by("period_start")
    payment_record(contract=contract, amount="10.000", method="cash", actor=agent)
    page = signed_in(alice).get(reverse("portal:invoice_list"))
    due = {invoice.number: invoice.due for invoice in page.context["invoices"]}
    assert due[april.number] == april.total_incl_tax - Decimal("10.000")
    assert due[may.number] == may.total_incl_tax
    [account] = page.context["accounts"]
    assert account.owed == april.total_incl_tax + may.total_incl_tax - Decimal("10.000")
    assert account.credit == Decimal("0.000")
    text = " ".join(page.content.decode().replace("\xa0", " ").split())
    with translation.override("fr"):
        assert flat(format_tnd(account.owed)) in text
        assert flat(format_tnd(due[april.number])) in text


def test_the_invoice_list_shows_the_credit_of_money_paid_in_advance(alice, agent):
    contract = alice.contracts.get()
    payment_record(contract=contract, amount="15.500", method="cash", actor=agent)
    page = signed_in(alice).get(reverse("portal:invoice_list"))
    [account] = page.context["accounts"]
    assert (account.owed, account.credit, account.balance) == (
        Decimal("0.000"),
        Decimal("15.500"),
        Decimal("-15.500"),
    )


def test_the_invoice_list_takes_as_many_queries_for_1_and_20_invoices(
    alice, django_assert_max_num_queries
):
    client = signed_in(alice)
    url = reverse("portal:invoice_list")
    with django_assert_max_num_queries(LIST_QUERIES), CaptureQueriesContext(connection) as one:
        page = client.get(url)
    assert len(page.context["invoices"]) == 1
    issue_months(alice.contracts.get().pk, 4, 22)  # April 2026 to October 2027
    with django_assert_max_num_queries(LIST_QUERIES), CaptureQueriesContext(connection) as many:
        page = client.get(url)
    assert len(page.context["invoices"]) == 20
    assert len(many) == len(one)
