"""Banka and Light payments imported from the providers' file (R2.3, docs/top-up-csv.md)."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command

from subscriptions.models import Line, TopUp
from subscriptions.services.prepaid import top_ups_import
from tests.subscriptions.prepaid_lines import prepaid_line


@pytest.fixture
def line(grid, lac) -> Line:
    return prepaid_line(boutique=lac, email="carla@example.tn", activated=datetime(2026, 4, 30))


def csv_of(*rows: str) -> bytes:
    return ("channel,msisdn,amount,reference\n" + "\n".join(rows) + "\n").encode()


def test_r2_3_a_file_imported_twice_credits_each_payment_once(line):
    msisdn = line.number.msisdn
    content = csv_of(f"banka,{msisdn},10.000,BK-1", f"light,{msisdn},5,LT-1")
    first = top_ups_import(name="jour.csv", content=content)
    second = top_ups_import(name="jour.csv", content=content)
    assert (first.recorded, first.already_recorded, first.errors) == (2, 0, [])
    assert (second.recorded, second.already_recorded, second.errors) == (0, 2, [])
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("15.000")
    assert set(TopUp.objects.values_list("job", flat=True)) == {"top-up import jour.csv"}


def test_r2_3_bad_rows_are_reported_by_line_and_good_rows_go_in(line):
    msisdn = line.number.msisdn
    report = top_ups_import(
        name="jour.csv",
        content=csv_of(
            f"cash,{msisdn},10,X-1",
            "banka,+21629999999,10,BK-2",
            f"banka,{msisdn},ten,BK-3",
            f"light,{msisdn},5,",
            f"light,{msisdn},5,LT-9",
        ),
    )
    assert [error["row"] for error in report.errors] == [2, 3, 4, 5]
    assert report.recorded == 1
    assert TopUp.objects.get().reference == "LT-9"


def test_r2_3_a_file_without_the_columns_is_refused(line):
    report = top_ups_import(name="x.csv", content=b"a,b\n1,2\n")
    assert report.errors[0]["row"] == 1
    assert not TopUp.objects.exists()


def test_r2_3_import_command(line, tmp_path, capsys):
    path = tmp_path / "jour.csv"
    path.write_bytes(csv_of(f"banka,{line.number.msisdn},10,BK-1"))
    call_command("import_top_ups", str(path))
    call_command("import_top_ups", str(path))
    out = capsys.readouterr().out
    assert "jour.csv: 1 recorded, 0 already there, 0 refused" in out
    assert "jour.csv: 0 recorded, 1 already there, 0 refused" in out
