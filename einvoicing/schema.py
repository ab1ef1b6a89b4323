"""TTN's TEIF 1.8.8 schemas, XSD 1.1 (xs:assert, xs:alternative), checked two ways.

`teif_errors`: xmlschema's XSD 1.1 processor on TTN's files as published, the reference (tens of
milliseconds a document). The tests check every document they produce with it.

`teif_fast_errors`, what the documents queue runs for each invoice (a fraction of a millisecond):
libxml2 (lxml) on an XSD 1.0 copy of the unsigned schema made in memory at load, plus the XSD 1.1
parts that XSD 1.0 cannot say, checked here in Python. TTN's schema uses 1.1 in two places only:
  - `PartnerDetails` takes, by `xs:alternative`, the type `PartDetailTestType` for the supplier
    (`functionCode="I-62"`) and `PartDetailType` otherwise; the two are the same but for the
    type of the partner identifier, whose only difference is the assertion below. The 1.0 copy
    gives every partner `PartDetailType`.
  - `xs:assert` on `PartnerIdentifierTestType` (the header's `MessageSenderIdentifier` and the
    supplier's `PartnerIdentifier`): a matricule fiscal (I-01) is 13 characters matching
    `[0-9]{7}[A-Z but I O U][ABDNP][CMNP]000`, a CIN (I-02) 8 digits, a residence card (I-03)
    9 digits. `_assertion_errors` checks the same (XPath `matches` finds the pattern anywhere,
    as `re.search` does).
The copy is made only if the schema holds exactly these two alternatives and these assertions
(`_ASSERTED_TYPES`): a new TTN schema using XSD 1.1 elsewhere is refused at load, not checked
less. Tests compare the two checks on valid documents and on documents broken in each of these
ways.

The schema files are TTN's, unchanged, in settings.EINVOICE_SCHEMA_DIR; the W3C xmldsig schema
they import is read from there too, never fetched.
"""

import functools
import re
from pathlib import Path

import xmlschema
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
XS = "http://www.w3.org/2001/XMLSchema"
VC_MIN_VERSION = "{http://www.w3.org/2007/XMLSchema-versioning}minVersion"
UNSIGNED_FILE = "facture_INVOIC_V1.8.8_withoutSig.xsd"
SIGNED_FILE = "facture_INVOIC_V1.8.8_withSig.xsd"
# The alternatives of PartnerDetails, and the types carrying an assertion.
_ALTERNATIVES = [
    ("@functionCode ='I-62'", "PartDetailTestType"),
    ("@functionCode !='I-62'", "PartDetailType"),
]
_ASSERTED_TYPES = {"PartnerIdentifierTestType", "SenderIdentifierTestType"}
_IDENTIFIER_RULES = {
    "I-01": (13, re.compile(r"[0-9]{7}[ABCDEFGHJKLMNPQRSTVWXYZ][ABDNP][CMNP][0]{3}")),
    "I-02": (8, re.compile(r"[0-9]{8}")),
    "I-03": (9, re.compile(r"[0-9]{9}")),
}

# The elements of type PartnerIdentifierTestType: the sender, and the supplier partner's id.
_ASSERTED_PATHS = [
    "InvoiceHeader/MessageSenderIdentifier",
    "InvoiceBody/PartnerSection/PartnerDetails[@functionCode='I-62']/Nad/PartnerIdentifier",
]


@functools.lru_cache(maxsize=4)
def _schema(folder: str, signed: bool) -> xmlschema.XMLSchema11:
    base = Path(folder)
    if not signed:
        return xmlschema.XMLSchema11(base / UNSIGNED_FILE)
    return xmlschema.XMLSchema11(
        base / SIGNED_FILE,
        locations={DS: str(base / "xmldsig-core-schema.xsd")},
        allow="local",
    )


def teif_errors(document, *, signed: bool) -> list[str]:
    """What TTN's schema finds wrong with `document` (an lxml tree or XML bytes); [] if valid."""
    schema = _schema(str(settings.EINVOICE_SCHEMA_DIR), signed)
    return [f"{error.path}: {error.reason}" for error in schema.iter_errors(document)]


def xsd10_copy(xsd: etree._Element) -> etree._Element:
    """TTN's unsigned schema without its XSD 1.1 parts (see the module's docstring)."""
    schema = etree.fromstring(etree.tostring(xsd))
    schema.attrib.pop(VC_MIN_VERSION, None)
    namespaces = {"xs": XS}
    alternatives = schema.xpath("//xs:alternative", namespaces=namespaces)
    found = [(node.get("test"), node.get("type")) for node in alternatives]
    holders = {node.getparent() for node in alternatives}
    asserts = schema.xpath("//xs:assert", namespaces=namespaces)
    asserted = {
        "".join(node.xpath("ancestor::xs:complexType[1]/@name", namespaces=namespaces))
        for node in asserts
    }
    facets = schema.xpath("//xs:assertion", namespaces=namespaces)
    if found != _ALTERNATIVES or len(holders) != 1 or asserted != _ASSERTED_TYPES or facets:
        raise ImproperlyConfigured(
            f"TTN's schema uses XSD 1.1 where the fast check does not expect it: {found}, "
            f"{sorted(asserted)}; validate with teif_errors only."
        )
    (holder,) = holders
    holder.set("type", _ALTERNATIVES[1][1])
    for node in [*alternatives, *asserts]:
        node.getparent().remove(node)
    return schema


@functools.lru_cache(maxsize=2)
def _fast_schema(folder: str) -> etree.XMLSchema:
    return etree.XMLSchema(xsd10_copy(etree.parse(Path(folder) / UNSIGNED_FILE).getroot()))


def _assertion_errors(document: etree._Element) -> list[str]:
    errors = []
    for path in _ASSERTED_PATHS:
        element = document.find(path)
        if element is None or element.get("type") not in _IDENTIFIER_RULES:
            continue
        length, pattern = _IDENTIFIER_RULES[element.get("type")]
        value = element.text or ""
        if len(value) != length or not pattern.search(value):
            errors.append(
                f"/TEIF/{path}: {value!r} is not a valid {element.get('type')} identifier"
            )
    return errors


def teif_fast_errors(document: etree._Element) -> list[str]:
    """What TTN's unsigned schema finds wrong with the tree `document`, by the fast check; []
    if valid."""
    schema = _fast_schema(str(settings.EINVOICE_SCHEMA_DIR))
    if schema.validate(document):
        errors = []
    else:
        errors = [f"line {error.line}: {error.message}" for error in schema.error_log]
    return errors + _assertion_errors(document)
