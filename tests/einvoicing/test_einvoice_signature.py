"""Issue 18: the supplier signature as TTN asks for it (XAdES-B with TTN's signature policy),
made by the fast signer and accepted by signxml's verifier; the fast schema check agrees with
TTN's XSD 1.1 schema."""

import base64
import copy
import dataclasses
import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from lxml import etree
from signxml import DigestAlgorithm
from signxml.exceptions import InvalidDigest
from signxml.xades import XAdESSignatureConfiguration, XAdESSignaturePolicy, XAdESVerifier

from einvoicing.batches import submissions_send
from einvoicing.models import Submission
from einvoicing.schema import teif_errors, teif_fast_errors, xsd10_copy
from einvoicing.services import teif_signed
from einvoicing.signing import (
    InvalidSignature,
    Signer,
    credentials,
    issuer_serial_v2,
    policy,
    teif_verify,
)
from einvoicing.teif import teif_document
from tests.billing.helpers import issue
from tests.einvoicing.helpers import COMPANY, account, company

DS = "{http://www.w3.org/2000/09/xmldsig#}"
XADES = "{http://uri.etsi.org/01903/v1.3.2#}"
HERE = Path(__file__).parent


def signxml_verify(signed: bytes, certificate: x509.Certificate):
    found = policy()
    return XAdESVerifier().verify(
        signed,
        x509_cert=certificate,
        expect_signature_policy=XAdESSignaturePolicy(
            Identifier=found.identifier,
            Description=found.description,
            DigestMethod=DigestAlgorithm.SHA256,
            DigestValue=found.sha256,
        ),
        expect_config=XAdESSignatureConfiguration(expect_references=2),
    )


def test_einvoice_the_signature_carries_ttns_policy_role_certificate_and_time(
    grid, settings, certificate
):
    settings.EINVOICE_POLICY_ID = "urn:2.16.788.1.2.1.3"
    settings.EINVOICE_POLICY_SHA256 = base64.b64encode(b"p" * 32).decode()
    settings.EINVOICE_POLICY_URL = "https://www.tradenet.com.tn/politique.pdf"
    settings.EINVOICE_SIGNER_ROLE = "Directeur financier"
    signed = teif_signed(issue(account(**COMPANY)))
    assert teif_errors(signed, signed=True) == []
    signature = etree.fromstring(signed).find(f"{DS}Signature")
    properties = signature.find(f".//{XADES}SignedProperties")
    assert properties.get("Id") == "xades-SigFrs"
    assert properties.findtext(f".//{XADES}SigPolicyId/{XADES}Identifier") == (
        "urn:2.16.788.1.2.1.3"
    )
    assert properties.findtext(f".//{XADES}SigPolicyHash/{DS}DigestValue") == (
        settings.EINVOICE_POLICY_SHA256
    )
    assert properties.findtext(f".//{XADES}SPURI") == settings.EINVOICE_POLICY_URL
    assert properties.findtext(f".//{XADES}SignerRoleV2//{XADES}ClaimedRole") == (
        "Directeur financier"
    )
    assert properties.find(f".//{XADES}DataObjectFormat").get("ObjectReference") == "#r-id-frs"
    assert properties.findtext(f".//{XADES}IssuerSerialV2") == issuer_serial_v2(certificate)
    signing_time = datetime.fromisoformat(properties.findtext(f".//{XADES}SigningTime"))
    assert abs((datetime.now(UTC) - signing_time).total_seconds()) < 60
    xpaths = [node.text for node in signature.iter(f"{DS}XPath")]
    assert xpaths == ["not(ancestor-or-self::ds:Signature)", "not(ancestor-or-self::RefTtnVal)"]

    document, signed_properties = signxml_verify(signed, certificate)
    assert document.signed_xml.findtext("InvoiceBody/Bgm/DocumentIdentifier").startswith("F")
    assert signed_properties.signed_properties.findtext(f"{XADES}SigningTime")
    teif_verify(signed, certificate, expected_policy=policy())
    other = dataclasses.replace(policy(), sha256=base64.b64encode(b"q" * 32).decode())
    with pytest.raises(InvalidSignature, match="signature policy"):
        teif_verify(signed, certificate, expected_policy=other)


def test_einvoice_signxml_refuses_the_signature_when_one_amount_is_changed(grid, certificate):
    signed = teif_signed(issue(account(**COMPANY)))
    changed = signed.replace(b">24.800<", b">24.700<", 1)
    assert changed != signed
    with pytest.raises(InvalidDigest):
        signxml_verify(changed, certificate)


def test_einvoice_the_signature_still_holds_once_ttn_adds_its_reference_and_signature(
    grid, certificate
):
    signed = teif_signed(issue(account(**COMPANY)))
    returned = etree.fromstring(signed)
    answer = etree.SubElement(returned, "RefTtnVal")
    etree.SubElement(answer, "ReferenceTTN", refID="I-88").text = "0" * 27
    ttn = copy.deepcopy(returned.find(f"{DS}Signature"))
    ttn.set("Id", "SigTTN")
    returned.append(ttn)
    content = teif_verify(etree.tostring(returned), certificate)
    assert content.find("RefTtnVal") is None and content.find(f"{DS}Signature") is None


def test_einvoice_the_issuer_serial_is_encoded_as_in_ttns_sample():
    """TTN's signed sample names its certificate (kept beside this test) by this value."""
    sample = x509.load_pem_x509_certificate((HERE / "ttn_sample_certificate.pem").read_bytes())
    assert issuer_serial_v2(sample) == (
        "MIGAMHSkcjBwMQswCQYDVQQGEwJUTjEOMAwGA1UEBwwFVHVuaXMxLjAsBgNVBAoMJU5hdGlvbmFsIERpZ2l0YWw"
        "gQ2VydGlmaWNhdGlvbiBBZ2VuY3kxITAfBgNVBAMMGFRuVHJ1c3QgUXVhbGlmaWVkIEdvdiBDQQIIBW0G+ewtTEA="
    )


def test_einvoice_signing_is_deterministic_for_a_given_time(grid):
    invoice = issue(account(**COMPANY))
    signer = Signer(credentials(), policy(), "Fournisseur")
    at = datetime(2026, 11, 1, 9, 30, tzinfo=UTC)
    lines = list(invoice.lines.all())
    first = signer.sign(teif_document(invoice, lines), at=at)
    assert signer.sign(teif_document(invoice, lines), at=at) == first
    assert b"<xades:SigningTime>2026-11-01T09:30:00Z<" in first


def _ec_certificate(folder: Path) -> tuple[dict, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Signature TEIF EC de test")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now.replace(year=now.year - 1))
        .not_valid_after(now.replace(year=now.year + 1))
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM) + key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    (folder / "ec.pem").write_bytes(pem)
    path = str(folder / "ec.pem")
    return {"EINVOICE_CERTIFICATE": path, "EINVOICE_KEY": "", "EINVOICE_KEY_PASSWORD": ""}, (
        certificate
    )


def test_einvoice_an_ec_key_signs_too(grid, settings, tmp_path):
    named, certificate = _ec_certificate(tmp_path)
    for name, value in named.items():
        setattr(settings, name, value)
    signed = teif_signed(issue(account(**COMPANY)))
    assert b"ecdsa-sha256" in signed
    signxml_verify(signed, certificate)
    teif_verify(signed, certificate)
    assert teif_errors(signed, signed=True) == []


def test_einvoice_a_key_that_is_not_the_certificates_is_refused(settings, tmp_path, certificate):
    named, _ = _ec_certificate(tmp_path)
    settings.EINVOICE_KEY = named["EINVOICE_CERTIFICATE"]
    settings.EINVOICE_KEY_PASSWORD = ""
    with pytest.raises(ImproperlyConfigured, match="not the certificate's"):
        credentials()


# --- The fast schema check ------------------------------------------------------------------


def _set(tree, path: str, value: str, attribute: str | None = None):
    changed = copy.deepcopy(tree)
    element = changed.find(path)
    if attribute:
        element.set(attribute, value)
    else:
        element.text = value
    return changed


SENDER = "InvoiceHeader/MessageSenderIdentifier"
PARTNER = "InvoiceBody/PartnerSection/PartnerDetails[@functionCode='{}']/Nad/PartnerIdentifier"
SUPPLIER_ID, CUSTOMER_ID = PARTNER.format("I-62"), PARTNER.format("I-64")


def test_einvoice_the_fast_check_agrees_with_ttns_xsd_1_1_schema(grid):
    tree = teif_document(invoice := issue(account(**COMPANY)), list(invoice.lines.all()))
    cases = {
        "as built": (tree, True),
        "a secondary establishment sends": (_set(tree, SENDER, "0000000AAM001"), False),
        "VAT code F": (_set(tree, SENDER, "0000000AFM000"), False),
        "a sender's CIN of 7 digits": (
            _set(_set(tree, SENDER, "1234567"), SENDER, "I-02", "type"),
            False,
        ),
        "a sender's residence card of 9 digits": (
            _set(_set(tree, SENDER, "123456789"), SENDER, "I-03", "type"),
            True,
        ),
        "a sender's residence card of 8 digits": (
            _set(_set(tree, SENDER, "12345678"), SENDER, "I-03", "type"),
            False,
        ),
        "a supplier partner with slashes": (_set(tree, SUPPLIER_ID, "0000000A/A/M/000"), False),
        "a supplier partner of 14 characters": (_set(tree, SUPPLIER_ID, "10000000AAM000"), False),
        "a customer's matricule is not asserted": (_set(tree, CUSTOMER_ID, "12/34"), True),
        "a comma in an amount": (
            _set(tree, "InvoiceBody/InvoiceMoa/AmountDetails/Moa/Amount", "20,000"),
            False,
        ),
        "an unknown document type": (
            _set(tree, "InvoiceBody/Bgm/DocumentType", "I-19", "code"),
            False,
        ),
        "version 1.8.9": (_set(tree, ".", "1.8.9", "version"), False),
        "an I-69 partner": (
            _set(tree, "InvoiceBody/PartnerSection/PartnerDetails[2]", "I-69", "functionCode"),
            False,
        ),
    }
    for case, (document, valid) in cases.items():
        full = teif_errors(document, signed=False)
        fast = teif_fast_errors(document)
        assert (full == [], fast == []) == (valid, valid), (case, full, fast)


def test_einvoice_the_fast_check_refuses_a_schema_with_other_xsd_1_1_parts(settings):
    path = Path(settings.EINVOICE_SCHEMA_DIR) / "facture_INVOIC_V1.8.8_withoutSig.xsd"
    xsd = etree.parse(path).getroot()
    assert xsd10_copy(xsd).find(".//{http://www.w3.org/2001/XMLSchema}assert") is None
    other_type = xsd.find("{http://www.w3.org/2001/XMLSchema}complexType[@name='PartDetailType']")
    etree.SubElement(other_type, "{http://www.w3.org/2001/XMLSchema}assert", test="true()")
    with pytest.raises(ImproperlyConfigured, match=r"XSD 1\.1"):
        xsd10_copy(xsd)


def test_einvoice_check_command_checks_the_stored_documents_and_finds_a_changed_one(grid):
    ids = [Submission.objects.get(invoice=issue(account(**company(n)))).pk for n in range(2)]
    submissions_send(submission_ids=ids, job="test")
    out = io.StringIO()
    call_command("einvoice_check", "--sample", "5", stdout=out)
    assert "2 of 2 documents valid and verified" in out.getvalue()

    changed = Submission.objects.get(pk=ids[0])
    with changed.xml.open("rb") as stored:
        document = stored.read()
    with changed.xml.storage.open(changed.xml.name, "wb") as rewritten:
        rewritten.write(document.replace(b">24.800<", b">24.700<", 1))
    errors = io.StringIO()
    with pytest.raises(CommandError, match="1 documents fail"):
        call_command("einvoice_check", stdout=io.StringIO(), stderr=errors)
    assert f"{changed.key}: signature: digest mismatch" in errors.getvalue()
