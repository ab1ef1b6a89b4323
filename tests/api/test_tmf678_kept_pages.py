"""A page of bills kept by the web process (api.bill_pages, api.bill_changes) is given again only
while nothing it reads changed: a payment, an e-mailed bill, a change in flight when the page was
written, a change in the reading transaction itself, a key moved to a boutique."""

import re
import time
from collections import OrderedDict
from datetime import datetime, timedelta
from decimal import Decimal

import psycopg
import pytest
from django.db import connection, transaction
from django.utils import timezone

from api import bill_pages
from api.bill_pages import BillFilters, BillsPage
from api.models import ApiKey, Scope
from api.tasks import prune_bill_changes
from billing.models import Invoice
from billing.payments import payment_record
from portal.celery import app
from tests.api.conftest import ApiClient
from tests.api.helpers import many_bills

# The suite's instant, whatever the day: the bills' states and the changes' ages follow it.
INSTANT = timezone.make_aware(datetime(2026, 11, 18, 10, 0))
pytestmark = pytest.mark.time_machine(INSTANT, tick=True)

BILLS = "/tmf-api/customerBillManagement/v5/customerBill"


@pytest.fixture
def written(monkeypatch) -> list[int]:
    """How many pages were written (not given again), one entry per page."""
    pages: list[int] = []
    write = bill_pages.bills_json

    def counted(*args, **kwargs):
        pages.append(1)
        return write(*args, **kwargs)

    monkeypatch.setattr(bill_pages, "bills_json", counted)
    return pages


def _states(client: ApiClient) -> list[str]:
    answer = client.get(BILLS, limit=5)
    assert answer.status_code == 200
    return [bill["state"] for bill in answer.json()]


def _committed_bills(new_alice, count: int = 3) -> Invoice:
    many_bills(new_alice.contracts.get(), count)
    return Invoice.objects.order_by("-issued_on", "-id").first()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tmf678_a_kept_page_is_given_again_until_a_payment_changes_it(
    new_alice, system_key, agent, written
):
    newest = _committed_bills(new_alice)
    client = ApiClient(system_key(scopes=[Scope.BILLS_READ])[1])
    first = client.get(BILLS, limit=5).content
    assert client.get(BILLS, limit=5).content == first
    assert len(written) == 1  # the second read wrote nothing
    payment_record(contract=newest.contract, amount=Decimal("5.000"), method="cash", actor=agent)
    assert _states(client) == ["validated", "validated", "partiallyPaid"]  # the oldest first
    assert len(written) == 2


def _other_connection() -> psycopg.Connection:
    """Another process's session, its transaction left open (not one of the pool's)."""
    database = connection.settings_dict
    return psycopg.connect(
        dbname=database["NAME"],
        user=database["USER"],
        password=database["PASSWORD"],
        host=database["HOST"],
        port=database["PORT"],
    )


def _commit_elsewhere() -> None:
    """A transaction of another session, begun and committed now."""
    other = _other_connection()
    try:
        other.execute("SELECT pg_current_xact_id()")
        other.commit()
    finally:
        other.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tmf678_a_change_in_flight_when_a_page_was_kept_shows_once_committed(
    new_alice, system_key, written
):
    newest = _committed_bills(new_alice)
    other = _other_connection()
    try:
        other.execute("UPDATE billing_invoice SET emailed_at = now() WHERE id = %s", [newest.pk])
        # Committed after the change began: the page's snapshot lists the change as in flight.
        client = ApiClient(system_key(scopes=[Scope.BILLS_READ])[1])
        assert _states(client)[0] == "validated"  # kept without the change in flight
        assert _states(client)[0] == "validated"
        assert len(written) == 1
        other.commit()
    finally:
        other.close()
    assert _states(client)[0] == "sent"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tmf678_a_change_made_in_the_reading_transaction_shows_at_once(
    new_alice, system_key, written
):
    newest = _committed_bills(new_alice)
    with transaction.atomic():
        client = ApiClient(system_key(scopes=[Scope.BILLS_READ])[1])  # this transaction's first
        _commit_elsewhere()  # a newer transaction ends before the page is read
        assert _states(client)[0] == "validated"
        Invoice.objects.filter(pk=newest.pk).update(emailed_at=INSTANT)
        assert _states(client)[0] == "sent"
    assert len(written) == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tmf678_a_key_moved_to_a_boutique_no_longer_gets_the_page_kept_before(
    new_alice, system_key, sfax
):
    _committed_bills(new_alice)
    key, text = system_key(scopes=[Scope.BILLS_READ])
    client = ApiClient(text)
    assert len(client.get(BILLS, limit=5).json()) == 3
    ApiKey.objects.filter(pk=key.pk).update(boutique=sfax)  # Alice is a customer of Lac
    assert client.get(BILLS, limit=5).json() == []


def test_tmf678_every_table_a_page_of_bills_reads_tells_its_changes(db):
    sql = bill_pages._sql(BillFilters._fields, keyed=True)
    read = set(re.findall(r"(?:FROM|JOIN)\s+([a-z]+_[a-z_]+)", sql))
    read -= {"api_apikey", "api_billchange"}  # the key's, checked on every request
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgrelid::regclass::text FROM pg_trigger WHERE tgname = 'api_bill_changed'"
        )
        triggered = {table for (table,) in cursor.fetchall()}
    assert "billing_paymentallocation" in read
    assert read <= triggered


def test_tmf678_bill_changes_older_than_a_day_are_pruned_daily(db):
    now = INSTANT
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO api_billchange (xid, at) VALUES ('1'::xid8, %s), ('2'::xid8, %s)",
            [now - timedelta(days=1, minutes=1), now - timedelta(hours=23)],
        )
    assert prune_bill_changes.apply().get() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT xid::text FROM api_billchange WHERE xid < '3'::xid8")
        assert cursor.fetchall() == [("2",)]
    schedule = app.conf.beat_schedule["api-prune-bill-changes"]
    assert schedule["task"] == "api.tasks.prune_bill_changes"


def test_tmf678_pages_kept_stay_within_their_number_bytes_and_hour(monkeypatch):
    monkeypatch.setattr(bill_pages, "_kept", OrderedDict())
    monkeypatch.setattr(bill_pages, "PAGES_KEPT", 3)
    monkeypatch.setattr(bill_pages, "PAGE_BYTES_KEPT", 250)

    def page(size: int, age: float = 0) -> bill_pages._Kept:
        body = BillsPage(1, 1, b"x" * size)
        return bill_pages._Kept("1:2:", None, time.monotonic() - age, body)

    for name in range(4):
        bill_pages._page_keep((name,), page(100))
    assert list(bill_pages._kept) == [(2,), (3,)]  # the oldest dropped past 250 bytes
    for name in range(4, 8):
        bill_pages._page_keep((name,), page(1))
    assert list(bill_pages._kept) == [(5,), (6,), (7,)]  # the newest 3
    bill_pages._page_keep(("old",), page(1, age=bill_pages.PAGE_KEPT_SECONDS + 1))
    assert bill_pages._page_kept(("old",)) is None
    assert bill_pages._page_kept((7,)) is not None
