"""The bank's direct debit file (docs/direct-debit-file.md): paid rows are payments allocated to
the oldest invoices (R10.1), rejected rows reverse them with the grid's fee (R9.4), a file
imported twice adds nothing, bad rows are reported by line number and the good ones go in."""

from datetime import date
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from billing.direct_debit import direct_debit_import
from billing.invoicing import Period
from billing.models import Charge, DirectDebitImport, Payment
from catalogue.models import Fee
from tests.billing.helpers import account, balances, issue

HEADER = "account,invoice,amount,date,bank_reference,status\n"


def two_invoices():
    line = account()
    september = issue(line, Period.month(date(2026, 9, 1)), date(2026, 10, 1))
    october = issue(line)
    return line.contract, september, october


def csv_file(*rows: str) -> bytes:
    return (HEADER + "".join(f"{row}\n" for row in rows)).encode()


def test_r10_1_paid_rows_are_direct_debits_allocated_to_the_oldest_invoices(grid, supervisor):
    contract, september, _october = two_invoices()
    report = direct_debit_import(
        name="debits-2026-11-05.csv",
        content=csv_file(
            f"{contract.reference},,30.000,2026-11-05,BNK-0001,paid",
            f",{september.number},5.000,2026-11-05,BNK-0002,paid",  # by invoice number
        ),
        actor=supervisor,
    )
    assert (report.rows_total, report.rows_paid, report.errors) == (2, 2, [])
    payment = Payment.objects.get(reference="BNK-0001")
    assert (payment.method, payment.amount, payment.received_on, payment.recorded_by) == (
        Payment.Method.DIRECT_DEBIT,
        Decimal("30.000"),
        date(2026, 11, 5),
        supervisor,
    )
    assert balances(contract) == [Decimal("0.000"), Decimal("14.600")]  # 24.800 each


def test_a_direct_debit_file_imported_twice_adds_nothing(grid, supervisor):
    contract, *_ = two_invoices()
    content = csv_file(
        f"{contract.reference},,24.800,2026-11-05,BNK-0001,paid",
        f"{contract.reference},,10.000,2026-11-05,BNK-0002,paid",
        f"{contract.reference},,10.000,2026-11-05,BNK-0002,rejected",
    )
    first = direct_debit_import(name="a.csv", content=content, actor=supervisor)
    again = direct_debit_import(name="a.csv", content=content, actor=supervisor)
    assert (first.rows_paid, first.rows_rejected, first.rows_duplicate) == (2, 1, 0)
    assert (again.rows_paid, again.rows_rejected, again.rows_duplicate) == (0, 0, 3)
    assert Payment.objects.filter(contract=contract).count() == 2
    assert Charge.objects.filter(contract=contract).count() == 1  # one fee, not two
    assert balances(contract) == [Decimal("0.000"), Decimal("24.800")]


def test_r9_4_a_rejected_debit_reverses_its_payment_and_adds_the_unpaid_fee(grid, supervisor):
    contract, *_ = two_invoices()
    direct_debit_import(
        name="paid.csv",
        content=csv_file(f"{contract.reference},,24.800,2026-11-05,BNK-0001,paid"),
        actor=supervisor,
    )
    assert balances(contract)[0] == Decimal("0.000")
    report = direct_debit_import(
        name="rejects.csv",
        content=csv_file(f"{contract.reference},,24.800,2026-11-12,BNK-0001,rejected"),
        actor=supervisor,
    )
    assert report.rows_rejected == 1
    payment = Payment.objects.get(reference="BNK-0001")
    assert payment.reversed_at and payment.reversed_by == supervisor
    assert "rejects.csv" in payment.reversal_reason
    assert balances(contract)[0] == Decimal("24.800")
    fee = Charge.objects.get(contract=contract)
    assert fee.fee_kind == Fee.Kind.UNPAID_INSTRUMENT and "BNK-0001" in fee.label


def test_bad_rows_are_reported_with_their_line_number_and_good_rows_go_in(grid, supervisor):
    contract, *_ = two_invoices()
    other, *_ = two_invoices()
    report = direct_debit_import(
        name="mixed.csv",
        content=csv_file(
            f"{contract.reference},,10.000,2026-11-05,BNK-0001,paid",  # line 2: good
            "NO-SUCH-ACCOUNT,,10.000,2026-11-05,BNK-0002,paid",  # 3: unknown account
            f"{contract.reference},,ten,2026-11-05,BNK-0003,paid",  # 4: amount
            f"{contract.reference},,10.000,05/11/2026,BNK-0004,paid",  # 5: date
            f"{contract.reference},,10.000,2026-11-05,BNK-0005,pending",  # 6: status
            f"{contract.reference},,10.000,2026-11-05,BNK-0404,rejected",  # 7: never paid
            f"{other.reference},,10.000,2026-11-05,BNK-0001,paid",  # 8: reference reused
            f"{other.reference},,5.000,2026-11-05,BNK-0006,paid",  # line 9: good
        ),
        actor=supervisor,
    )
    assert [error["row"] for error in report.errors] == [3, 4, 5, 6, 7, 8]
    assert report.rows_paid == 2
    assert set(Payment.objects.values_list("reference", flat=True)) == {"BNK-0001", "BNK-0006"}


def test_a_file_without_the_expected_columns_is_refused_whole(grid, supervisor):
    report = direct_debit_import(name="x.csv", content=b"ref,amount\nA,1\n", actor=supervisor)
    assert report.errors[0]["row"] == 1 and "bank_reference" in report.errors[0]["error"]
    assert not Payment.objects.exists()


def test_a_supervisor_uploads_the_bank_file_in_the_admin(grid, supervisor):
    contract, *_ = two_invoices()
    client = Client()
    client.force_login(supervisor)
    upload = SimpleUploadedFile(
        "debits.csv", csv_file(f"{contract.reference},,24.800,2026-11-05,BNK-0001,paid")
    )
    response = client.post(reverse("admin:billing_directdebitimport_add"), {"upload": upload})
    assert response.status_code == 302
    report = DirectDebitImport.objects.get()
    assert (report.name, report.rows_paid, report.imported_by) == ("debits.csv", 1, supervisor)
    assert balances(contract)[0] == Decimal("0.000")


def test_an_agent_may_not_import_the_bank_file(grid, agent):
    client = Client()
    client.force_login(agent)
    assert client.get(reverse("admin:billing_directdebitimport_add")).status_code == 403
