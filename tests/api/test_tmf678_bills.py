"""TMF678 Customer Bill (read side): bills, their lines and the monthly runs, as TM Forum's
published schemas define them, money in TND with three decimals, a page in constant queries."""

import re
from datetime import date
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.db.models import Sum
from django.utils import timezone

from api.models import Scope
from billing.invoicing import Period, invoice_issue
from billing.models import BillingRun, Invoice
from billing.payments import payment_record
from einvoicing.models import Submission
from tests.api.conftest import ApiClient
from tests.api.helpers import many_bills
from tests.api.tmf_schema import tmf_validate

BASE = "/tmf-api/customerBillManagement/v5"
TEIF = b'<?xml version="1.0" encoding="UTF-8"?><TEIF version="1.8.8"/>'
MONEY = re.compile(r'"value":(-?\d+(?:\.\d+)?)')


@pytest.fixture
def march_run(db):
    return BillingRun.objects.create(
        period_start=date(2026, 3, 1), status="done", finished_at=timezone.now()
    )


def test_tmf678_bills_and_one_bill_match_the_tmf_schema_with_their_amounts(
    alice, bob, march_run, crm
):
    answer = crm.get(f"{BASE}/customerBill")
    assert answer.status_code == 200
    bills = answer.json()
    assert answer["X-Total-Count"] == "2"
    for bill in bills:
        tmf_validate("TMF678", "CustomerBill", bill)
    # Money is TND with its three decimals, as written.
    assert all(re.fullmatch(r"-?\d+\.\d{3}", value) for value in MONEY.findall(answer.text))
    invoice = alice.contracts.get().invoices.get()
    one = crm.get(f"{BASE}/customerBill/{invoice.pk}").json()
    tmf_validate("TMF678", "CustomerBill", one)
    assert one["billNo"] == invoice.number
    assert one["billingAccount"]["id"] == invoice.contract.reference
    assert one["taxIncludedAmount"] == {"unit": "TND", "value": float(invoice.total_incl_tax)}
    assert one["taxExcludedAmount"]["value"] == float(invoice.total_excl_tax)
    assert one["amountDue"]["value"] == float(invoice.amount_due)
    assert one["remainingAmount"]["value"] == 0  # paid in full by the fixture
    assert one["state"] == "settled"
    vat, stamp = one["taxItem"]
    assert (vat["taxCategory"], vat["taxAmount"]["value"]) == ("VAT", float(invoice.vat_amount))
    assert stamp["taxAmount"]["value"] == float(invoice.stamp_duty)
    assert one["billingPeriod"]["startDateTime"].startswith("2026-03-01T00:00:00+01:00")
    assert one["paymentDueDate"].startswith(invoice.due_on.isoformat())
    assert one["billCycle"]["id"] == "2026-03"
    assert one["billDocument"][0]["href"].endswith(f"/customerBill/{invoice.pk}/document")


def test_tmf678_bill_states_follow_sending_and_payments(alice, agent, crm):
    contract = alice.contracts.get()
    april = invoice_issue(
        contract_id=contract.pk, period=Period.month(date(2026, 4, 1)), issued_on=date(2026, 5, 1)
    )

    def state() -> str:
        one = crm.get(f"{BASE}/customerBill/{april.pk}").json()
        # The list (one prepared query, api.bill_pages) tells the bill as the detail does (the
        # ORM's bills_annotated), and its state filter finds it.
        listed = {bill["id"]: bill for bill in crm.get(f"{BASE}/customerBill").json()}
        assert listed[str(april.pk)] == one
        same_state = crm.get(f"{BASE}/customerBill", state=one["state"]).json()
        assert str(april.pk) in {bill["id"] for bill in same_state}
        return one["state"]

    assert state() == "validated"
    Invoice.objects.filter(pk=april.pk).update(emailed_at=timezone.now())
    assert state() == "sent"
    payment_record(contract=contract, amount="1.000", method="cash", actor=agent)
    assert state() == "partiallyPaid"
    one = crm.get(f"{BASE}/customerBill/{april.pk}").json()
    assert Decimal(str(one["remainingAmount"]["value"])) == april.total_incl_tax - Decimal("1.000")
    payment_record(contract=contract, amount=april.total_incl_tax, method="cash", actor=agent)
    assert state() == "settled"


def test_tmf678_filters_pagination_and_fields(alice, bob, crm):
    contract = alice.contracts.get()
    for month in (4, 5):
        invoice_issue(
            contract_id=contract.pk,
            period=Period.month(date(2026, month, 1)),
            issued_on=date(2026, month + 1, 1),
        )
    mine = crm.get(f"{BASE}/customerBill", **{"billingAccount.id": contract.reference}).json()
    assert {bill["billingAccount"]["id"] for bill in mine} == {contract.reference}
    assert len(mine) == 3
    unpaid = crm.get(f"{BASE}/customerBill", state="validated").json()
    assert len(unpaid) == 2
    assert [
        b["billDate"][:10] for b in crm.get(f"{BASE}/customerBill", billDate="2026-06-01").json()
    ] == ["2026-06-01"]
    assert len(crm.get(f"{BASE}/customerBill", **{"billDate.gte": "2026-05-01"}).json()) == 2
    page = crm.get(f"{BASE}/customerBill", offset=1, limit=2)
    assert (page["X-Total-Count"], page["X-Result-Count"], len(page.json())) == ("4", "2", 2)
    assert (
        crm.get(f"{BASE}/customerBill", offset=1, limit=2).json()
        == crm.get(f"{BASE}/customerBill").json()[1:3]
    )
    slim = crm.get(f"{BASE}/customerBill", fields="state,amountDue").json()
    assert set(slim[0]) == {"id", "href", "@type", "state", "amountDue"}
    assert crm.get(f"{BASE}/customerBill", state="paid").status_code == 400
    assert crm.get(f"{BASE}/customerBill", limit="many").status_code == 400
    bad = crm.get(f"{BASE}/customerBill", billDate="yesterday")
    assert bad.status_code == 400
    tmf_validate("TMF678", "Error", bad.json())


def test_tmf678_applied_rates_are_the_bill_lines(alice, crm):
    invoice = alice.contracts.get().invoices.get()
    answer = crm.get(f"{BASE}/appliedCustomerBillingRate", **{"bill.id": str(invoice.pk)})
    rates = answer.json()
    assert len(rates) == invoice.lines.count() > 0
    for rate in rates:
        tmf_validate("TMF678", "AppliedCustomerBillingRate", rate)
        assert rate["bill"]["id"] == str(invoice.pk)
    total = sum(Decimal(str(rate["taxExcludedAmount"]["value"])) for rate in rates)
    assert total == invoice.lines.aggregate(s=Sum("amount_excl_tax"))["s"]
    one = crm.get(f"{BASE}/appliedCustomerBillingRate/{rates[0]['id']}").json()
    assert one == rates[0]


def test_tmf678_bill_cycles_are_the_monthly_runs(march_run, crm):
    cycles = crm.get(f"{BASE}/billCycle").json()
    assert [cycle["id"] for cycle in cycles] == ["2026-03"]
    one = crm.get(f"{BASE}/billCycle/2026-03").json()
    tmf_validate("TMF678", "BillCycle", one)
    assert one["validFor"]["endDateTime"].startswith("2026-03-31T23:59:59")
    assert crm.get(f"{BASE}/billCycle/2026-02").status_code == 404


def test_tmf678_bill_document_is_the_invoice_pdf(alice, crm):
    invoice = alice.contracts.get().invoices.get()
    answer = crm.get(f"{BASE}/customerBill/{invoice.pk}/document")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert b"".join(answer.streaming_content).startswith(b"%PDF")


def test_tmf678_a_page_of_100_bills_takes_a_constant_number_of_queries(
    alice, agent, crm, django_assert_num_queries
):
    contract = alice.contracts.get()
    many_bills(contract, 10)
    crm.get(f"{BASE}/billCycle")
    # The key with its rate and last use, and the page with its total, payments, runs and
    # e-invoices: one statement (api.bill_pages).
    with django_assert_num_queries(1):
        assert len(crm.get(f"{BASE}/customerBill", limit=100).json()) == 11
    many_bills(contract, 120, first=10)
    payment_record(contract=contract, amount="500.000", method="cash", actor=agent)
    with django_assert_num_queries(1):
        assert len(crm.get(f"{BASE}/customerBill", limit=100).json()) == 100
    with django_assert_num_queries(1):
        assert len(crm.get(f"{BASE}/customerBill", limit=100, state="settled").json()) > 0
    with django_assert_num_queries(1):
        answer = crm.get(f"{BASE}/customerBill", offset=1000, limit=100)
        assert (answer.json(), answer["X-Total-Count"]) == ([], "131")
    with django_assert_num_queries(3):
        assert len(crm.get(f"{BASE}/appliedCustomerBillingRate", limit=100).json()) == 100


def test_tmf678_bill_documents_are_the_pdf_and_the_teif_xml_once_it_exists(
    alice, bob, lac, system_key, private_storage
):
    invoice = alice.contracts.get().invoices.get()
    _key, text = system_key(scopes=[Scope.BILLS_READ], boutique=lac)
    finance = ApiClient(text)
    url = f"{BASE}/customerBill/{invoice.pk}"
    before = finance.get(url).json()
    tmf_validate("TMF678", "CustomerBill", before)
    assert [d["name"] for d in before["billDocument"]] == [f"{invoice.number}.pdf"]
    assert finance.get(f"{url}/document.xml").status_code == 404
    Submission.objects.create(
        invoice=invoice, key=f"test-{invoice.pk}", xml=ContentFile(TEIF, name="teif.xml")
    )
    after = finance.get(url).json()
    tmf_validate("TMF678", "CustomerBill", after)
    pdf, xml = after["billDocument"]
    assert (pdf["name"], xml["name"]) == (f"{invoice.number}.pdf", f"{invoice.number}.xml")
    listed = finance.get(f"{BASE}/customerBill").json()
    assert [d["href"] for d in listed[0]["billDocument"]] == [pdf["href"], xml["href"]]
    path = urlsplit(xml["href"]).path
    answer = finance.get(path)
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/xml"
    assert b"".join(answer.streaming_content) == TEIF
    document = finance.get(urlsplit(pdf["href"]).path)
    assert b"".join(document.streaming_content).startswith(b"%PDF")
    # Another boutique's customer: nothing tells the bill exists.
    bob_invoice = bob.contracts.get().invoices.get()
    Submission.objects.create(
        invoice=bob_invoice, key=f"test-{bob_invoice.pk}", xml=ContentFile(TEIF, name="b.xml")
    )
    for suffix in ("/document", "/document.xml"):
        assert finance.get(f"{BASE}/customerBill/{bob_invoice.pk}{suffix}").status_code == 404
    # The privacy scope alone does not read bills.
    _key, privacy_text = system_key(scopes=[Scope.PRIVACY_READ])
    assert ApiClient(privacy_text).get(path).status_code == 403
