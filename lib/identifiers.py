"""Formats of Tunisian identifiers: CIN, passport, MSISDN, SIM ICCID, matricule fiscal.

Each `normalize_*` returns the canonical form or raises ValidationError with a code, so that forms
(`clean_<field>`) and model validators share one definition.
"""

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CIN_RE = re.compile(r"^\d{8}$")
PASSPORT_RE = re.compile(r"^[A-Z0-9]{6,9}$")
# Matricule fiscal: 7 digits, a check letter (never I, O or U), the VAT code, the category code
# and the 3-digit secondary establishment number, e.g. 1234567A/A/M/000.
TAX_ID_RE = re.compile(r"^(\d{7})([A-HJ-NP-TV-Z])/?([ABDNP])/?([CEMNP])/?(\d{3})$")
ICCID_RE = re.compile(r"^89\d{17,18}$")
_SEPARATORS = re.compile(r"[\s.\-/()]")


def normalize_cin(value: str) -> str:
    cin = _SEPARATORS.sub("", value or "")
    if not CIN_RE.match(cin):
        raise ValidationError(_("A CIN number has exactly 8 digits."), code="invalid_cin")
    return cin


def normalize_passport(value: str) -> str:
    number = _SEPARATORS.sub("", value or "").upper()
    if not PASSPORT_RE.match(number):
        raise ValidationError(
            _("A passport number has 6 to 9 letters or digits."), code="invalid_passport"
        )
    return number


def normalize_msisdn(value: str) -> str:
    """Return a Tunisian mobile number as E.164 (+216 and 8 digits)."""
    raw = (value or "").strip()
    try:
        number = phonenumbers.parse(raw, "TN")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or number.country_code != 216
        or len(str(number.national_number)) != 8
        or not phonenumbers.is_valid_number(number)
    ):
        raise ValidationError(
            _("Enter a Tunisian mobile number: +216 followed by 8 digits."), code="invalid_msisdn"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def luhn_check_digit(digits: str) -> int:
    """The Luhn digit that completes `digits` (ITU-T E.118 for SIM ICCIDs)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def normalize_iccid(value: str) -> str:
    iccid = _SEPARATORS.sub("", value or "")
    if not ICCID_RE.match(iccid):
        raise ValidationError(
            _("A SIM number (ICCID) has 19 or 20 digits and starts with 89."), code="invalid_iccid"
        )
    if luhn_check_digit(iccid[:-1]) != int(iccid[-1]):
        raise ValidationError(
            _("This SIM number (ICCID) has a wrong check digit: please check it."),
            code="iccid_check_digit",
        )
    return iccid


def normalize_tax_id(value: str) -> str:
    compact = _SEPARATORS.sub("", (value or "").upper())
    match = TAX_ID_RE.match(compact)
    if not match:
        raise ValidationError(
            _("A matricule fiscal looks like 1234567A/A/M/000."), code="invalid_tax_id"
        )
    digits, key, vat_code, category, establishment = match.groups()
    return f"{digits}{key}/{vat_code}/{category}/{establishment}"


def _validator(normalizer):
    def validate(value: str) -> None:
        if normalizer(value) != value:
            raise ValidationError(
                _("Use the canonical form %(form)s."),
                code="not_canonical",
                params={"form": normalizer(value)},
            )

    # A module-level name, so that migrations can import the validator by its path.
    validate.__name__ = validate.__qualname__ = (
        f"validate_{normalizer.__name__.removeprefix('normalize_')}"
    )
    return validate


validate_cin = _validator(normalize_cin)
validate_passport = _validator(normalize_passport)
validate_msisdn = _validator(normalize_msisdn)
validate_iccid = _validator(normalize_iccid)
validate_tax_id = _validator(normalize_tax_id)
