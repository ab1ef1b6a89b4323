"""Formats of Tunisian identifiers (R3.1 for CIN and matricule fiscal; MSISDN; SIM ICCID)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from lib.identifiers import (
    luhn_check_digit,
    normalize_cin,
    normalize_iccid,
    normalize_msisdn,
    normalize_passport,
    normalize_tax_id,
)
from tests.factories import CustomerFactory


@pytest.mark.parametrize("raw", ["08123456", " 08 123 456 ", "08-123-456"])
def test_r3_1_cin_has_exactly_8_digits(raw):
    assert normalize_cin(raw) == "08123456"


@pytest.mark.parametrize("raw", ["0812345", "081234567", "0812345A", ""])
def test_r3_1_cin_refuses_anything_but_8_digits(raw):
    with pytest.raises(ValidationError) as error:
        normalize_cin(raw)
    assert error.value.code == "invalid_cin"


def test_r3_1_passport_number_is_upper_case_alphanumeric():
    assert normalize_passport("ab 123456") == "AB123456"
    with pytest.raises(ValidationError):
        normalize_passport("A1")


@pytest.mark.parametrize(
    "raw", ["+21620123456", "20 123 456", "0021620123456", "216 20 123 456", "20-123-456"]
)
def test_msisdn_is_normalised_to_plus_216_and_8_digits(raw):
    assert normalize_msisdn(raw) == "+21620123456"


@pytest.mark.parametrize("raw", ["+2162012345", "+216201234567", "+33612345678", "abc", ""])
def test_msisdn_refuses_other_lengths_and_countries(raw):
    with pytest.raises(ValidationError) as error:
        normalize_msisdn(raw)
    assert error.value.code == "invalid_msisdn"


def test_iccid_check_digit_is_luhn():
    body = "8921601000000000001"[:-1]
    iccid = body + str(luhn_check_digit(body))
    assert normalize_iccid(iccid) == iccid
    wrong = body + str((luhn_check_digit(body) + 1) % 10)
    with pytest.raises(ValidationError) as error:
        normalize_iccid(wrong)
    assert error.value.code == "iccid_check_digit"


def test_iccid_known_good_number_passes():
    # A real-world style 19-digit ICCID with a valid Luhn digit.
    assert normalize_iccid("8944500102198304826") == "8944500102198304826"


@pytest.mark.parametrize("raw", ["1234", "7912345678901234567", "89216010000000000012345"])
def test_iccid_refuses_wrong_length_or_prefix(raw):
    with pytest.raises(ValidationError) as error:
        normalize_iccid(raw)
    assert error.value.code == "invalid_iccid"


@pytest.mark.parametrize(
    "raw", ["1234567A/A/M/000", "1234567aam000", "1234567 A A M 000", "1234567A-A-M-000"]
)
def test_r3_1_tax_id_matricule_fiscal_is_normalised(raw):
    assert normalize_tax_id(raw) == "1234567A/A/M/000"


@pytest.mark.parametrize(
    "raw",
    [
        "123456A/A/M/000",  # 6 digits
        "1234567I/A/M/000",  # I is never a check letter
        "1234567A/X/M/000",  # unknown VAT code
        "1234567A/A/Z/000",  # unknown category
        "1234567A/A/M/00",  # 2-digit establishment
    ],
)
def test_r3_1_tax_id_matricule_fiscal_refuses_bad_format(raw):
    with pytest.raises(ValidationError) as error:
        normalize_tax_id(raw)
    assert error.value.code == "invalid_tax_id"


def test_r3_1_model_validation_uses_the_same_formats(db):
    customer = CustomerFactory.build(cin="1234", boutique=None, user=None)
    with pytest.raises(ValidationError) as error:
        customer.full_clean(exclude=["boutique", "user"])
    assert "cin" in error.value.message_dict


def test_r3_1_an_individual_without_cin_or_passport_is_refused_by_the_database(db):
    with pytest.raises(IntegrityError):
        CustomerFactory(cin="", passport_number="")


def test_r3_1_a_company_needs_trade_register_and_tax_id(db):
    with pytest.raises(IntegrityError):
        CustomerFactory(kind="company", cin="", company_name="ACME", tax_id="")
