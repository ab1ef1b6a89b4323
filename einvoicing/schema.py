"""TTN's TEIF 1.8.8 schemas, XSD 1.1 (xs:assert, xs:alternative): checked with xmlschema's
XSD 1.1 processor, as lxml (XSD 1.0) cannot load them. The schema files are TTN's, unchanged,
in settings.EINVOICE_SCHEMA_DIR; the W3C xmldsig schema they import is read from there too,
never fetched."""

import functools
from pathlib import Path

import xmlschema
from django.conf import settings

DS = "http://www.w3.org/2000/09/xmldsig#"


@functools.lru_cache(maxsize=4)
def _schema(folder: str, signed: bool) -> xmlschema.XMLSchema11:
    base = Path(folder)
    if not signed:
        return xmlschema.XMLSchema11(base / "facture_INVOIC_V1.8.8_withoutSig.xsd")
    return xmlschema.XMLSchema11(
        base / "facture_INVOIC_V1.8.8_withSig.xsd",
        locations={DS: str(base / "xmldsig-core-schema.xsd")},
        allow="local",
    )


def teif_errors(document, *, signed: bool) -> list[str]:
    """What TTN's schema finds wrong with `document` (an lxml tree or XML bytes); [] if valid."""
    schema = _schema(str(settings.EINVOICE_SCHEMA_DIR), signed)
    return [f"{error.path}: {error.reason}" for error in schema.iter_errors(document)]
