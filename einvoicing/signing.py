"""The supplier's signature of a TEIF document: XAdES baseline B, enveloped (signxml).

As TTN's signature specification asks: RSA-SHA256, exclusive canonicalisation, SHA-256 digests,
the signature `Id="SigFrs"` after the invoice body, its first reference (`Id="r-id-frs"`,
`URI=""`) the whole document without the signature (enveloped transform), the X.509 certificate
in `KeyInfo`, `SigningTime`, `SigningCertificateV2`, a claimed role and the data object format
of the document. The document is signed on one line, unindented.

The certificate and key come from the environment (settings.EINVOICE_CERTIFICATE,
EINVOICE_KEY, EINVOICE_KEY_PASSWORD): PEM files, or one PKCS#12 file (.p12/.pfx) holding both as
ANCE/TunTrust deliver them. They are read once per process.
"""

import functools
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_private_key, pkcs12
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from lxml import etree
from signxml import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.xades import (
    XAdESDataObjectFormat,
    XAdESSignatureConfiguration,
    XAdESSigner,
    XAdESVerifier,
)

DS = "http://www.w3.org/2000/09/xmldsig#"
SIGNATURE_ID = "SigFrs"
REFERENCE_ID = "r-id-frs"
# The document's reference, the signed properties and the certificate (KeyInfo).
REFERENCES = 3


@dataclass(frozen=True)
class Credentials:
    key: PrivateKeyTypes
    certificate: x509.Certificate


@functools.lru_cache(maxsize=4)
def _credentials(certificate: str, key: str, password: str) -> Credentials:
    secret = password.encode() or None
    if Path(certificate).suffix.lower() in {".p12", ".pfx"}:
        private_key, cert, _chain = pkcs12.load_key_and_certificates(
            Path(certificate).read_bytes(), secret
        )
        if private_key is None or cert is None:
            raise ImproperlyConfigured(f"{certificate} holds no key and certificate")
        return Credentials(private_key, cert)
    cert = x509.load_pem_x509_certificate(Path(certificate).read_bytes())
    private_key = load_pem_private_key(Path(key or certificate).read_bytes(), secret)
    return Credentials(private_key, cert)


def credentials() -> Credentials:
    """The operator's signing key and certificate, as configured."""
    if not settings.EINVOICE_CERTIFICATE:
        raise ImproperlyConfigured(
            "EINVOICE_CERTIFICATE is not set: TEIF invoices cannot be signed (see the README)."
        )
    return _credentials(
        settings.EINVOICE_CERTIFICATE, settings.EINVOICE_KEY, settings.EINVOICE_KEY_PASSWORD
    )


def _ttn_ids(sig_root: etree._Element, signing_settings) -> None:
    """Runs before signxml's XAdES annotator, which keeps the ids it finds."""
    sig_root.set("Id", SIGNATURE_ID)
    next(sig_root.iter(f"{{{DS}}}Reference")).set("Id", REFERENCE_ID)


class _Signer(XAdESSigner):
    """signxml digests the signed properties and the certificate with the configured
    canonicalisation but names no transform on their references, so that a verifier reads them
    with the default, inclusive one: with exclusive C14N (TTN's) the digests would not match.
    Each such reference names its canonicalisation here, as TTN's own signature does."""

    def _add_reference_to_signed_info(self, sig_root, node_to_reference, **attrs):
        super()._add_reference_to_signed_info(sig_root, node_to_reference, **attrs)
        reference = list(sig_root.iter(f"{{{DS}}}Reference"))[-1]
        transforms = etree.Element(f"{{{DS}}}Transforms", nsmap=self.namespaces)
        etree.SubElement(
            transforms, f"{{{DS}}}Transform", Algorithm=self.c14n_alg.value, nsmap=self.namespaces
        )
        reference.insert(0, transforms)


def _signer() -> XAdESSigner:
    signer = _Signer(
        claimed_roles=["Fournisseur"],
        data_object_format=XAdESDataObjectFormat(
            Description="Facture électronique TEIF", MimeType="text/xml"
        ),
        signature_algorithm=SignatureMethod.RSA_SHA256,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signer.signature_annotators.insert(0, _ttn_ids)
    return signer


def teif_sign(document: etree._Element) -> bytes:
    """The document signed (UTF-8 bytes, with the XML declaration)."""
    found = credentials()
    signed = _signer().sign(document, key=found.key, cert=[found.certificate])
    return etree.tostring(signed, xml_declaration=True, encoding="UTF-8")


def teif_verify(signed: bytes, certificate: x509.Certificate) -> etree._Element:
    """The signed content when the signature is the certificate's and nothing was changed;
    raises signxml.exceptions.InvalidSignature (or InvalidDigest) otherwise."""
    results = XAdESVerifier().verify(
        signed,
        x509_cert=certificate,
        expect_config=XAdESSignatureConfiguration(expect_references=REFERENCES),
    )
    return results[0].signed_xml
