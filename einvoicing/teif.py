"""An invoice or credit note as a TEIF 1.8.8 document (TTN's El Fatoora format), unsigned.

Built from the invoice's frozen snapshot only (its number, dates, customer name, identity and
address, lines and totals as issued) and the operator's identity (settings.OPERATOR); never from
the customer's or the grid's live rows. Codes are those of TTN's schemas and implementation guide
(../shared/specs/teif/README.md): TEIF has no namespace, its element names keep TTN's spellings
(`MessageRecieverIdentifier`, `PartnerAdresses`, `AdressDescription`), amounts are written with
a dot and three decimals (the millime), dates as ddMMyy.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import cast

from django.conf import settings
from lxml import etree
from num2words import num2words

from billing.models import Invoice, InvoiceLine
from lib.identifiers import CIN_RE, TAX_ID_RE
from lib.money import ZERO

VERSION = "1.8.8"

# Identifier types (list I-0): I-01 matricule fiscal, I-02 CIN. I-03 is the residence card
# (9 digits), not a passport: a passport (a foreign customer) is I-04, "other identifier".
MATRICULE_FISCAL, CIN, OTHER_IDENTIFIER = "I-01", "I-02", "I-04"
INVOICE, CREDIT_NOTE = "I-11", "I-12"
ISSUE_DATE, DUE_DATE, PERIOD = "I-31", "I-32", "I-36"
SUPPLIER, CUSTOMER = "I-62", "I-64"
ACCOUNT_REFERENCE, CORRECTED_INVOICE = "I-81", "I-89"
VAT, STAMP_DUTY = "I-1602", "I-1601"
# Amount types: I-183 unit price, I-171 line total, I-176 total excl. tax, I-182 taxable
# base, I-181 total of taxes, I-180 total incl. tax, I-177 base of one tax, I-178 its amount.
UNIT_PRICE, LINE_TOTAL = "I-183", "I-171"
TOTAL_EXCL_TAX, TAXABLE_BASE, TOTAL_TAX, TOTAL_INCL_TAX = "I-176", "I-182", "I-181", "I-180"
TAX_BASE, TAX_AMOUNT = "I-177", "I-178"
LANGUAGES = {"ar", "fr", "en"}
_SEPARATORS = re.compile(r"[\s.\-/()]")


@dataclass(frozen=True)
class Identifier:
    type: str
    value: str


def identifier(identity: str) -> Identifier:
    """The TEIF identifier of a frozen "CIN or matricule fiscal": a matricule fiscal written as
    TEIF wants it (13 characters, no slashes), a CIN, else a passport or foreign identifier."""
    compact = _SEPARATORS.sub("", identity).upper()
    if TAX_ID_RE.match(compact):
        return Identifier(MATRICULE_FISCAL, compact)
    if CIN_RE.match(compact):
        return Identifier(CIN, compact)
    return Identifier(OTHER_IDENTIFIER, compact)


def teif_date(day: date) -> str:
    return f"{day:%d%m%y}"


def teif_amount(amount: Decimal) -> str:
    """To the millime, with a dot: valid against both TTN schemas."""
    return f"{amount:.3f}"


def teif_rate(rate: Decimal) -> str:
    """A VAT rate as a percentage without trailing zeros: 0.1900 -> "19", 0.0700 -> "7"."""
    percent = (rate * 100).normalize()
    return f"{percent:f}"


def amount_in_words(amount: Decimal) -> str:
    """The amount in French words, as TTN prints it: "VINGT-QUATRE DINARS ET HUIT CENTS
    MILLIMES"."""
    sign = "MOINS " if amount < 0 else ""
    dinars, millimes = divmod(int(abs(amount) * 1000), 1000)
    words = f"{num2words(dinars, lang='fr')} dinar{'s' if dinars > 1 else ''}"
    if millimes:
        words += f" et {num2words(millimes, lang='fr')} millime{'s' if millimes > 1 else ''}"
    return (sign + words).upper()


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attributes: str):
    element = etree.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element


def _moa(parent: etree._Element, code: str, amount: Decimal, words: bool = False) -> None:
    moa = _sub(parent, "Moa", amountTypeCode=code, currencyCodeList="ISO_4217")
    _sub(moa, "Amount", teif_amount(amount), currencyIdentifier="TND")
    if words:
        _sub(moa, "AmountDescription", amount_in_words(amount), lang="fr")


def _tax(parent: etree._Element, code: str, name: str, rate: str) -> None:
    _sub(parent, "TaxTypeName", name, code=code)
    _sub(_sub(parent, "TaxDetails"), "TaxRate", rate)


def _partner(
    section: etree._Element,
    function: str,
    who: Identifier,
    name: str,
    name_type: str,
    address: str,
    language: str,
) -> etree._Element:
    details = _sub(section, "PartnerDetails", functionCode=function)
    nad = _sub(details, "Nad")
    _sub(nad, "PartnerIdentifier", who.value, type=who.type)
    _sub(nad, "PartnerName", name[:200], nameType=name_type)
    addresses = _sub(nad, "PartnerAdresses", lang=language)
    _sub(addresses, "AdressDescription", address[:500])
    _sub(addresses, "Country", "TN", codeList="ISO_3166-1")
    return details


def _line(section: etree._Element, position: int, line: InvoiceLine, rate: str, lang: str):
    lin = _sub(section, "Lin")
    _sub(lin, "ItemIdentifier", str(position))
    imd = _sub(lin, "LinImd", lang=lang)
    _sub(imd, "ItemCode", line.kind)
    _sub(imd, "ItemDescription", line.label[:500])
    qty = _sub(lin, "LinQty")
    _sub(qty, "Quantity", f"{line.quantity:.3f}", measurementUnit="UNIT")
    tax = _sub(lin, "LinTax")
    _tax(tax, VAT, "TVA", rate if line.taxable else "0")
    moa = _sub(lin, "LinMoa")
    _moa(_sub(moa, "MoaDetails"), UNIT_PRICE, line.unit_price)
    _moa(_sub(moa, "MoaDetails"), LINE_TOTAL, line.amount_excl_tax)


def _invoice_tax(parent: etree._Element, code: str, name: str, rate: str, amounts) -> None:
    details = _sub(parent, "InvoiceTaxDetails")
    _tax(_sub(details, "Tax"), code, name, rate)
    for amount_code, amount in amounts:
        _moa(_sub(details, "AmountDetails"), amount_code, amount)


def teif_document(invoice: Invoice, lines: list[InvoiceLine]) -> etree._Element:
    """The invoice's TEIF tree, before signing. `lines` are the invoice's lines in order; a
    credit note's `corrects` is read (one query unless selected with it)."""
    operator = settings.OPERATOR
    supplier = identifier(operator["tax_id"])
    customer = identifier(invoice.customer_identity)
    lang = invoice.language if invoice.language in LANGUAGES else "fr"
    rate = teif_rate(invoice.vat_rate)
    taxable = sum((line.amount_excl_tax for line in lines if line.taxable), ZERO)
    untaxed = invoice.total_excl_tax - taxable

    root = etree.Element("TEIF", version=VERSION, controlingAgency="TTN")
    header = _sub(root, "InvoiceHeader")
    _sub(header, "MessageSenderIdentifier", supplier.value, type=supplier.type)
    _sub(header, "MessageRecieverIdentifier", customer.value, type=customer.type)

    body = _sub(root, "InvoiceBody")
    bgm = _sub(body, "Bgm")
    _sub(bgm, "DocumentIdentifier", invoice.number)
    if invoice.kind == Invoice.Kind.CREDIT_NOTE:
        _sub(bgm, "DocumentType", "Facture d'avoir", code=CREDIT_NOTE)
        corrected = cast(Invoice, invoice.corrects)  # a credit note corrects an invoice
        reference = _sub(_sub(bgm, "DocumentReferences"), "DocumentReference")
        _sub(reference, "Reference", corrected.number, refID=CORRECTED_INVOICE)
        dates = _sub(reference, "ReferenceDate")
        day = teif_date(corrected.issued_on)
        _sub(dates, "DateText", day, functionCode=ISSUE_DATE, format="ddMMyy")
    else:
        _sub(bgm, "DocumentType", "Facture", code=INVOICE)

    dtm = _sub(body, "Dtm")
    _sub(dtm, "DateText", teif_date(invoice.issued_on), functionCode=ISSUE_DATE, format="ddMMyy")
    _sub(dtm, "DateText", teif_date(invoice.due_on), functionCode=DUE_DATE, format="ddMMyy")
    period = f"{teif_date(invoice.period_start)}-{teif_date(invoice.period_end)}"
    _sub(dtm, "DateText", period, functionCode=PERIOD, format="ddMMyy-ddMMyy")

    partners = _sub(body, "PartnerSection")
    _partner(
        partners, SUPPLIER, supplier, operator["name"], "Qualification", operator["address"], "fr"
    )
    buyer = _partner(
        partners,
        CUSTOMER,
        customer,
        invoice.customer_name,
        "Qualification" if customer.type == MATRICULE_FISCAL else "Physical",
        invoice.customer_address,
        lang,
    )
    account = _sub(buyer, "RffSection")
    _sub(account, "Reference", invoice.contract.reference, refID=ACCOUNT_REFERENCE)

    section = _sub(body, "LinSection")
    for position, line in enumerate(lines, start=1):
        _line(section, position, line, rate, lang)

    totals = _sub(body, "InvoiceMoa")
    _moa(_sub(totals, "AmountDetails"), TOTAL_EXCL_TAX, invoice.total_excl_tax)
    _moa(_sub(totals, "AmountDetails"), TAXABLE_BASE, taxable)
    _moa(_sub(totals, "AmountDetails"), TOTAL_TAX, invoice.vat_amount + invoice.stamp_duty)
    _moa(_sub(totals, "AmountDetails"), TOTAL_INCL_TAX, invoice.total_incl_tax, words=True)

    taxes = _sub(body, "InvoiceTax")
    if taxable or not untaxed:
        _invoice_tax(
            taxes, VAT, "TVA", rate, [(TAX_BASE, taxable), (TAX_AMOUNT, invoice.vat_amount)]
        )
    if untaxed:  # a debt carried from another account was taxed on its own invoice (R10.4)
        _invoice_tax(taxes, VAT, "TVA", "0", [(TAX_BASE, untaxed), (TAX_AMOUNT, ZERO)])
    if invoice.stamp_duty:
        _invoice_tax(taxes, STAMP_DUTY, "Droit de timbre", "0", [(TAX_AMOUNT, invoice.stamp_duty)])
    return root
