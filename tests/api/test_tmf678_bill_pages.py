"""TMF678 customerBill lists written by PostgreSQL (api.bill_pages) are what `bill_tmf` and
`json_bytes` write, byte for byte; the list answered before DRF answers as DRF does."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.utils import timezone

from api.bill_list import bills_page_orm
from api.bill_pages import BillFilters, bills_page
from billing.invoicing import Period, invoice_issue
from billing.models import BillingRun, Invoice
from billing.payments import payment_record
from einvoicing.models import Submission
from tests.api.conftest import ApiClient
from tests.api.helpers import many_bills

# The suite's instant, whatever the day: the bills' states (overdue, sent) and dates follow it.
pytestmark = pytest.mark.time_machine(timezone.make_aware(datetime(2026, 11, 18, 10, 0)), tick=True)

BASE = "/tmf-api/customerBillManagement/v5"
ROOT = "http://testserver"


def _invoice(contract, number: str, issued_on: date, **fields) -> Invoice:
    return Invoice(
        contract=contract,
        period_start=fields.pop("period_start", issued_on.replace(day=1)),
        period_end=fields.pop("period_end", issued_on.replace(day=28)),
        number=number,
        issued_on=issued_on,
        due_on=fields.pop("due_on", issued_on.replace(day=20)),
        customer_name="Test",
        customer_identity="00000000",
        customer_address="Tunis",
        total_excl_tax=Decimal("10.000"),
        vat_rate=fields.pop("vat_rate", Decimal("0.19")),
        vat_amount=Decimal("1.900"),
        stamp_duty=Decimal("1.000"),
        total_incl_tax=Decimal("12.900"),
        **fields,
    )


@pytest.fixture
def varied_bills(alice, bob, agent):
    """Bills of every kind: in a monthly run or not, final, a credit note, paid in part or in
    full, e-mailed, with their TEIF XML, in summer time, a number and a reference to escape."""
    contract = alice.contracts.get()
    contract.reference = 'C-"x\\é'
    contract.save(update_fields=["reference"])
    BillingRun.objects.create(period_start=date(2026, 4, 1), status="done")
    april = invoice_issue(
        contract_id=contract.pk, period=Period.month(date(2026, 4, 1)), issued_on=date(2026, 5, 1)
    )
    Invoice.objects.filter(pk=april.pk).update(emailed_at=timezone.now())
    Submission.objects.create(
        invoice=april, key=f"test-{april.pk}", xml=ContentFile(b"<TEIF/>", name="teif.xml")
    )
    payment_record(contract=contract, amount="1.000", method="cash", actor=agent)
    many_bills(bob.contracts.get(), 3)
    other = bob.contracts.get()
    with time_machine.travel(datetime(2026, 6, 1, 7, 30, tzinfo=UTC), tick=False):
        Invoice.objects.bulk_create(
            [
                _invoice(other, 'F-"é\\\t€', date(2012, 2, 1)),
                _invoice(other, "A-1", date(2012, 3, 1), kind=Invoice.Kind.CREDIT_NOTE),
                _invoice(other, "F-LAST", date(2012, 4, 1), is_final=True, vat_rate=Decimal(0)),
                # Summer time in Tunisia (2005 to 2008): +02:00.
                _invoice(other, "F-SUMMER", date(2007, 7, 1), period_end=date(2007, 10, 31)),
            ]
        )


@pytest.mark.parametrize(
    "filters, offset, limit, fields",
    [
        (BillFilters(), 0, 100, None),
        (BillFilters(), 1, 3, {"state", "amountDue", "billCycle", "nothing"}),
        (BillFilters(state="partiallyPaid"), 0, 100, {"billDocument", "lastUpdate"}),
        (BillFilters(since=date(2007, 1, 2), until=date(2012, 3, 1)), 0, 10, None),
        (BillFilters(account='C-"x\\\\é'), 0, 100, {"billingAccount", "billingPeriod"}),
        (BillFilters(state="settled"), 0, 100, {"category", "runType", "taxItem"}),
        (BillFilters(day=date(1999, 1, 1)), 0, 100, None),
        (BillFilters(), 50, 100, None),
    ],
)
def test_tmf678_a_page_written_by_postgresql_is_the_one_bill_tmf_writes(
    varied_bills, filters, offset, limit, fields
):
    zone = timezone.get_current_timezone()
    written = bills_page(filters, offset, limit, fields=fields, root=f"{ROOT}{BASE}", zone=zone.key)
    expected = bills_page_orm(filters, offset, limit, fields=fields, base=ROOT, zone=zone)
    assert written == expected


def test_tmf678_the_list_answered_before_drf_answers_as_drf(varied_bills, crm):
    # `Accept: application/*` is negotiated: DRF answers it.
    for params in ({}, {"state": "settled", "fields": "state,billNo", "limit": "2"}):
        fast = crm.get(f"{BASE}/customerBill", **params)
        drf = crm.client.get(
            f"{BASE}/customerBill", params, HTTP_ACCEPT="application/*", **crm.headers
        )
        assert fast.status_code == drf.status_code == 200
        assert fast.content == drf.content
        assert {**fast.headers, "X-Request-ID": ""} == {**drf.headers, "X-Request-ID": ""}


def test_tmf678_a_refused_list_counts_the_keys_request_once(alice, system_key):
    _key, text = system_key(rate_per_minute=2)
    client = ApiClient(text)
    # A wrong filter is answered by DRF, the key checked before it: one request of two.
    assert client.get(f"{BASE}/customerBill", state="paid").status_code == 400
    assert [client.get(f"{BASE}/customerBill").status_code for _ in range(2)] == [200, 429]
    assert ApiClient(None).get(f"{BASE}/customerBill").status_code == 401
