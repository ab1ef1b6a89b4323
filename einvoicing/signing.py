"""The supplier's signature of a TEIF document, `SigFrs`: XAdES baseline B with TTN's signature
policy (so XAdES-EPES), enveloped, as TTN's signature specification and its signed sample show
(../shared/specs/teif/README.md, "Supplier signature").

- exclusive canonicalisation, SHA-256 digests, RSA-SHA256 (ECDSA-SHA256 for an EC key);
- the signature `Id="SigFrs"` after the invoice body; its first reference `Id="r-id-frs"`,
  `URI=""`, the whole document without any `ds:Signature` nor TTN's `RefTtnVal` (TTN's two XPath
  transforms; an enveloped-signature transform follows them, which gives the same node set for
  the document as sent and lets signxml, which skips XPath transforms, verify it too); its second
  the signed properties `#xades-SigFrs`;
- the certificate (and its chain when the file holds one) in `KeyInfo`;
- signed properties: `SigningTime`, `SigningCertificateV2` (digest and IssuerSerialV2), the
  signature policy (settings.EINVOICE_POLICY_*: identifier, description, SHA-256 hash, URL),
  `SignerRoleV2` with the claimed role (EINVOICE_SIGNER_ROLE) and the `DataObjectFormat` of
  `#r-id-frs`.

The constant part of the signature (everything but the two digests, the time and the value) is
built once per process and copied for each document; each document then costs one
canonicalisation of itself, of its signed properties and of its SignedInfo, and one private-key
operation through `cryptography`. The signature is deterministic given the time (PKCS#1 v1.5);
tests verify it with signxml's XAdES verifier and with `teif_verify` below, which also reads a
document as TTN returns it (with `RefTtnVal` and TTN's own signature).

The certificate and key come from the environment (settings.EINVOICE_CERTIFICATE, EINVOICE_KEY,
EINVOICE_KEY_PASSWORD): PEM files, or one PKCS#12 file (.p12/.pfx) holding both as ANCE/TunTrust
deliver them. They are read once per process, and a key that is not the certificate's is refused
then rather than signing invoices nobody can verify.
"""

import base64
import copy
import functools
import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature as InvalidKeySignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    PublicFormat,
    load_pem_private_key,
    pkcs12,
)
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
XADES = "http://uri.etsi.org/01903/v1.3.2#"
NSMAP = {"ds": DS}
SIGNATURE_ID = "SigFrs"
REFERENCE_ID = "r-id-frs"
PROPERTIES_ID = f"xades-{SIGNATURE_ID}"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
XPATH = "http://www.w3.org/TR/1999/REC-xpath-19991116"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"
SIGNED_PROPERTIES_TYPE = "http://uri.etsi.org/01903#SignedProperties"
# What TTN's reference leaves out: every signature (the supplier's and TTN's) and TTN's answer.
EXCLUDED = ("not(ancestor-or-self::ds:Signature)", "not(ancestor-or-self::RefTtnVal)")


class InvalidSignature(Exception):
    """The document's supplier signature does not hold."""


@dataclass(frozen=True)
class Credentials:
    key: PrivateKeyTypes
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...] = ()


def _public(certificate: x509.Certificate) -> bytes:
    return certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)


@functools.lru_cache(maxsize=4)
def _credentials(certificate: str, key: str, password: str) -> Credentials:
    try:
        return _credentials_read(certificate, key, password)
    except (ValueError, TypeError) as error:  # a wrong password, not a key or certificate
        raise ImproperlyConfigured(
            f"The signing key or certificate cannot be read: {error}"
        ) from error


def _credentials_read(certificate: str, key: str, password: str) -> Credentials:
    secret = password.encode() or None
    if Path(certificate).suffix.lower() in {".p12", ".pfx"}:
        private_key, cert, chain = pkcs12.load_key_and_certificates(
            Path(certificate).read_bytes(), secret
        )
        if private_key is None or cert is None:
            raise ImproperlyConfigured(f"{certificate} holds no key and certificate")
        found = Credentials(private_key, cert, tuple(chain))
    else:
        cert, *chain = x509.load_pem_x509_certificates(Path(certificate).read_bytes())
        private_key = load_pem_private_key(Path(key or certificate).read_bytes(), secret)
        found = Credentials(private_key, cert, tuple(chain))
    if not isinstance(found.key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
        raise ImproperlyConfigured("TEIF signatures need an RSA or EC key")
    if found.key.public_key().public_bytes(
        Encoding.DER, PublicFormat.SubjectPublicKeyInfo
    ) != _public(found.certificate):
        raise ImproperlyConfigured(f"The key in {key or certificate} is not the certificate's")
    return found


def credentials() -> Credentials:
    """The operator's signing key and certificate, as configured."""
    if not settings.EINVOICE_CERTIFICATE:
        raise ImproperlyConfigured(
            "EINVOICE_CERTIFICATE is not set: TEIF invoices cannot be signed (see the README)."
        )
    return _credentials(
        settings.EINVOICE_CERTIFICATE, settings.EINVOICE_KEY, settings.EINVOICE_KEY_PASSWORD
    )


@dataclass(frozen=True)
class Policy:
    """TTN's signature policy (an XAdES-EPES SignaturePolicyIdentifier)."""

    identifier: str
    description: str
    sha256: str  # base64
    url: str


def policy() -> Policy:
    return Policy(
        settings.EINVOICE_POLICY_ID,
        settings.EINVOICE_POLICY_DESCRIPTION,
        settings.EINVOICE_POLICY_SHA256,
        settings.EINVOICE_POLICY_URL,
    )


def _der(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def issuer_serial_v2(certificate: x509.Certificate) -> str:
    """XAdES IssuerSerialV2: the DER of IssuerSerial (RFC 5035) { issuer GeneralNames holding
    the issuer's directoryName, serialNumber }, in base64."""
    general_names = _der(0x30, _der(0xA4, certificate.issuer.public_bytes()))
    serial = certificate.serial_number
    serial_der = _der(0x02, serial.to_bytes(serial.bit_length() // 8 + 1, "big", signed=True))
    return base64.b64encode(_der(0x30, general_names + serial_der)).decode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _c14n(element: etree._Element) -> bytes:
    return etree.tostring(element, method="c14n", exclusive=True)


def _ds(parent, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{DS}}}{tag}", attributes)
    element.text = text
    return element


def _xades(parent, tag: str, text: str | None = None, **attributes: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{XADES}}}{tag}", attributes)
    element.text = text
    return element


def _reference(signed_info, uri: str, transforms: list[tuple[str, str | None]], **attributes):
    reference = _ds(signed_info, "Reference", URI=uri, **attributes)
    holder = _ds(reference, "Transforms")
    for algorithm, xpath in transforms:
        transform = _ds(holder, "Transform", Algorithm=algorithm)
        if xpath:
            _ds(transform, "XPath", xpath)
    _ds(reference, "DigestMethod", Algorithm=SHA256)
    return _ds(reference, "DigestValue")


class Signer:
    """Signs documents with one key, certificate, policy and role: the signature's constant
    part is built here once."""

    def __init__(self, found: Credentials, signing_policy: Policy, role: str) -> None:
        # credentials() refuses any other kind of key.
        self.key = cast(rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey, found.key)
        is_rsa = isinstance(found.key, rsa.RSAPrivateKey)
        signature = etree.Element(f"{{{DS}}}Signature", nsmap=NSMAP, Id=SIGNATURE_ID)
        signed_info = _ds(signature, "SignedInfo")
        _ds(signed_info, "CanonicalizationMethod", Algorithm=EXC_C14N)
        _ds(signed_info, "SignatureMethod", Algorithm=RSA_SHA256 if is_rsa else ECDSA_SHA256)
        document_transforms: list[tuple[str, str | None]] = [(XPATH, xpath) for xpath in EXCLUDED]
        document_transforms += [(ENVELOPED, None), (EXC_C14N, None)]
        _reference(signed_info, "", document_transforms, Id=REFERENCE_ID)
        _reference(
            signed_info, f"#{PROPERTIES_ID}", [(EXC_C14N, None)], Type=SIGNED_PROPERTIES_TYPE
        )
        _ds(signature, "SignatureValue", Id=f"value-{SIGNATURE_ID}")
        x509_data = _ds(_ds(signature, "KeyInfo"), "X509Data")
        for certificate in (found.certificate, *found.chain):
            _ds(x509_data, "X509Certificate", _b64(certificate.public_bytes(Encoding.DER)))
        qualifying = etree.SubElement(
            _ds(signature, "Object"),
            f"{{{XADES}}}QualifyingProperties",
            nsmap={"xades": XADES},
            Target=f"#{SIGNATURE_ID}",
        )
        properties = _xades(qualifying, "SignedProperties", Id=PROPERTIES_ID)
        signature_properties = _xades(properties, "SignedSignatureProperties")
        _xades(signature_properties, "SigningTime")
        cert = _xades(_xades(signature_properties, "SigningCertificateV2"), "Cert")
        digest = _xades(cert, "CertDigest")
        _ds(digest, "DigestMethod", Algorithm=SHA256)
        _ds(digest, "DigestValue", _b64(found.certificate.fingerprint(hashes.SHA256())))
        _xades(cert, "IssuerSerialV2", issuer_serial_v2(found.certificate))
        policy_id = _xades(
            _xades(signature_properties, "SignaturePolicyIdentifier"), "SignaturePolicyId"
        )
        sig_policy_id = _xades(policy_id, "SigPolicyId")
        _xades(sig_policy_id, "Identifier", signing_policy.identifier, Qualifier="OIDAsURN")
        _xades(sig_policy_id, "Description", signing_policy.description)
        policy_hash = _xades(policy_id, "SigPolicyHash")
        _ds(policy_hash, "DigestMethod", Algorithm=SHA256)
        _ds(policy_hash, "DigestValue", signing_policy.sha256)
        if signing_policy.url:
            qualifier = _xades(_xades(policy_id, "SigPolicyQualifiers"), "SigPolicyQualifier")
            _xades(qualifier, "SPURI", signing_policy.url)
        roles = _xades(_xades(signature_properties, "SignerRoleV2"), "ClaimedRoles")
        _xades(roles, "ClaimedRole", role)
        data_format = _xades(
            _xades(properties, "SignedDataObjectProperties"),
            "DataObjectFormat",
            ObjectReference=f"#{REFERENCE_ID}",
        )
        _xades(data_format, "MimeType", "application/octet-stream")
        self.template = signature

    def _value(self, signed_info: bytes) -> bytes:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(signed_info, padding.PKCS1v15(), hashes.SHA256())
        # XML-DSig wants the raw r || s, each as long as the curve's order, not DER.
        r, s = decode_dss_signature(self.key.sign(signed_info, ec.ECDSA(hashes.SHA256())))
        size = (self.key.curve.key_size + 7) // 8
        return r.to_bytes(size, "big") + s.to_bytes(size, "big")

    def sign(self, document: etree._Element, *, at: datetime | None = None) -> bytes:
        """The document (no signature yet) signed, as UTF-8 bytes with the XML declaration;
        `document` gets the signature appended."""
        document_digest = hashlib.sha256(_c14n(document)).digest()
        signature = copy.deepcopy(self.template)
        signed_info, value, _key_info, holder = signature
        document_reference, properties_reference = signed_info[2], signed_info[3]
        properties = holder[0][0]
        signing_time = properties[0][0]
        moment = (at or datetime.now(UTC)).astimezone(UTC)
        signing_time.text = moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        document_reference[-1].text = _b64(document_digest)
        document.append(signature)
        properties_reference[-1].text = _b64(hashlib.sha256(_c14n(properties)).digest())
        value.text = _b64(self._value(_c14n(signed_info)))
        return etree.tostring(document, xml_declaration=True, encoding="UTF-8")


@functools.lru_cache(maxsize=4)
def _signer(found: Credentials, signing_policy: Policy, role: str) -> Signer:
    return Signer(found, signing_policy, role)


def signer() -> Signer:
    """The operator's signer, as configured; made once per process."""
    return _signer(credentials(), policy(), settings.EINVOICE_SIGNER_ROLE)


def teif_sign(document: etree._Element) -> bytes:
    """The document signed by the operator (UTF-8 bytes, with the XML declaration)."""
    return signer().sign(document)


def _check_value(certificate: x509.Certificate, value: bytes, signed_info: bytes) -> None:
    public_key = certificate.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(value, signed_info, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            size = len(value) // 2
            r, s = int.from_bytes(value[:size], "big"), int.from_bytes(value[size:], "big")
            public_key.verify(encode_dss_signature(r, s), signed_info, ec.ECDSA(hashes.SHA256()))
        else:
            raise InvalidSignature("unsupported key")
    except InvalidKeySignature as error:
        raise InvalidSignature("the signature value is not the certificate's") from error


def _digest_holds(reference: etree._Element, content: bytes) -> None:
    expected = base64.b64decode(reference.findtext(f"{{{DS}}}DigestValue") or "")
    if not hmac.compare_digest(expected, hashlib.sha256(content).digest()):
        raise InvalidSignature(f"digest mismatch for reference {reference.get('URI')!r}")


def teif_verify(
    signed: bytes, certificate: x509.Certificate, expected_policy: Policy | None = None
) -> etree._Element:
    """The signed document without its signatures and TTN's answer when the supplier signature
    `SigFrs` holds for `certificate` (and names `expected_policy`); raises InvalidSignature
    otherwise. Reads the document as sent and as TTN returns it."""
    root = etree.fromstring(signed)
    signature = root.find(f"{{{DS}}}Signature[@Id='{SIGNATURE_ID}']")
    if signature is None:
        raise InvalidSignature(f"no signature {SIGNATURE_ID}")
    signed_info = signature.find(f"{{{DS}}}SignedInfo")
    references = signed_info.findall(f"{{{DS}}}Reference")
    uris = [reference.get("URI") for reference in references]
    if uris != ["", f"#{PROPERTIES_ID}"]:
        raise InvalidSignature(f"unexpected references {uris}")
    xpaths = [node.text for node in references[0].iter(f"{{{DS}}}XPath")]
    if tuple(xpaths) != EXCLUDED:
        raise InvalidSignature(f"unexpected document transforms {xpaths}")
    properties = signature.find(f".//{{{XADES}}}SignedProperties[@Id='{PROPERTIES_ID}']")
    _digest_holds(references[1], _c14n(properties))
    _check_value(
        certificate,
        base64.b64decode(signature.findtext(f"{{{DS}}}SignatureValue") or ""),
        _c14n(signed_info),
    )
    cert_digest = properties.findtext(f".//{{{XADES}}}CertDigest/{{{DS}}}DigestValue")
    if base64.b64decode(cert_digest or "") != certificate.fingerprint(hashes.SHA256()):
        raise InvalidSignature("the signed properties name another certificate")
    if expected_policy is not None:
        named = properties.findtext(f".//{{{XADES}}}SigPolicyId/{{{XADES}}}Identifier")
        policy_digest = properties.findtext(f".//{{{XADES}}}SigPolicyHash/{{{DS}}}DigestValue")
        if (named, policy_digest) != (expected_policy.identifier, expected_policy.sha256):
            raise InvalidSignature(f"signature policy {named} {policy_digest}")
    content = copy.deepcopy(root)
    for excluded in content.xpath("//ds:Signature | //RefTtnVal", namespaces=NSMAP):
        excluded.getparent().remove(excluded)
    _digest_holds(references[0], _c14n(content))
    return content
