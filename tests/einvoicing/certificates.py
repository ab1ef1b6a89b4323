"""A throw-away signing certificate for the tests: an RSA key and a self-signed certificate,
made once per test process and written as PEM files (the key encrypted with a password)."""

import functools
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

PASSWORD = "throw-away"


@functools.cache
def throwaway() -> tuple[dict, x509.Certificate]:
    """The settings naming the certificate, and the certificate itself."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "TN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Opérateur Mobile de Tunisie (tests)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Signature TEIF de test"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    folder = Path(tempfile.mkdtemp(prefix="teif-cert-"))
    (folder / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(PASSWORD.encode()),
        )
    )
    return (
        {
            "EINVOICE_CERTIFICATE": str(folder / "cert.pem"),
            "EINVOICE_KEY": str(folder / "key.pem"),
            "EINVOICE_KEY_PASSWORD": PASSWORD,
        },
        certificate,
    )
