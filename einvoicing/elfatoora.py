"""TTN's own web service, El Fatoora's SOAP `EfactService` (../shared/specs/teif/README.md,
"Submission"): `saveEfact(login, password, matricule, documentEfact)` deposits a signed document,
`consultEfact(login, password, matricule, criteria)` returns the deposited documents that match,
each with TTN's reference (`generatedRef`) once registered, the document as TTN returns it
(`xmlContent`, base64, with `RefTtnVal` and its `ReferenceCEV`, the QR code as a PNG) and its
negative acknowledgements.

What is assumed, as TTN's WSDL is not in the specs folder: SOAP 1.1, the operations in the
namespace settings.EINVOICE_SOAP_NAMESPACE with unqualified parameters named as above, the
document in base64, the criteria by `documentNumber`, and the answer's fields named as above
(as third-party clients of the service write them). The endpoint is settings.EINVOICE_URL.

The service has no idempotency key: TTN registers a document number once per matricule, and
`send` consults the number first, so a document whose answer was lost (a worker that died, a
timeout after TTN received it) is not deposited again once registered. A SOAP fault from the
server side, an HTTP error without a fault, a timeout or a refused connection raise
`Unavailable` (the task tries again later, with backoff); a client-side fault (the document
refused) is a refusal.
"""

import base64
import binascii
import io
import re

import requests
from django.conf import settings
from lxml import etree
from PIL import Image

from einvoicing.backends import SEAL_PREFIX, Answer, Unavailable

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
PNG = b"\x89PNG\r\n\x1a\n"
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")
# TTN's seal is at most 4000 characters of base64 (implementation guide).
MAX_SEAL = 4000
MAX_SEAL_PIXELS = 1000


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname


def _children(element: etree._Element) -> dict[str, str]:
    return {_local(child): (child.text or "").strip() for child in element}


def seal_data_uri(teif: bytes) -> str:
    """TTN's visible seal (`ReferenceCEV`, a PNG of the QR code) of a document as TTN returns
    it, as a data: URI for the PDF; "" when there is none or it is not a PNG."""
    try:
        root = etree.fromstring(teif)
    except etree.XMLSyntaxError:
        return ""
    seal = "".join(root.findtext("RefTtnVal/ReferenceCEV") or "")
    if not seal or len(seal) > MAX_SEAL or not _BASE64.match(seal):
        return ""
    try:
        image = base64.b64decode(seal, validate=False)
    except binascii.Error:
        return ""
    if not image.startswith(PNG):
        return ""
    try:
        width, height = Image.open(io.BytesIO(image)).size
    except (OSError, ValueError):
        return ""
    if width > MAX_SEAL_PIXELS or height > MAX_SEAL_PIXELS:
        return ""
    return SEAL_PREFIX + base64.b64encode(image).decode()


class ElFatooraBackend:
    """einvoicing.backends' protocol over El Fatoora's SOAP service."""

    def _envelope(self, operation: str, **parameters) -> bytes:
        envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"soapenv": SOAP})
        body = etree.SubElement(envelope, f"{{{SOAP}}}Body")
        call = etree.SubElement(
            body,
            f"{{{settings.EINVOICE_SOAP_NAMESPACE}}}{operation}",
            nsmap={"ser": settings.EINVOICE_SOAP_NAMESPACE},
        )
        arguments = {
            "login": settings.EINVOICE_LOGIN,
            "password": settings.EINVOICE_PASSWORD,
            "matricule": settings.OPERATOR["tax_id"].replace("/", ""),
            **parameters,
        }
        for name, value in arguments.items():
            if isinstance(value, dict):
                holder = etree.SubElement(call, name)
                for key, text in value.items():
                    etree.SubElement(holder, key).text = text
            else:
                etree.SubElement(call, name).text = value
        return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")

    def _call(self, operation: str, **parameters) -> etree._Element:
        try:
            response = requests.post(
                settings.EINVOICE_URL,
                data=self._envelope(operation, **parameters),
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
                timeout=settings.EINVOICE_TIMEOUT_SECONDS,
            )
        except requests.RequestException as error:
            raise Unavailable(f"{operation}: {error}") from error
        try:
            root = etree.fromstring(response.content)
        except etree.XMLSyntaxError:
            raise Unavailable(f"{operation}: TTN answered {response.status_code}") from None
        fault = next((e for e in root.iter() if _local(e) == "Fault"), None)
        if fault is not None:
            found = _children(fault)
            client_side = found.get("faultcode", "").rpartition(":")[2] == "Client"
            if client_side and operation == "saveEfact":
                raise _Refused(found.get("faultstring", "refused")[:2000])
            raise Unavailable(f"{operation}: {found.get('faultstring', 'SOAP fault')}")
        if response.status_code >= 400:
            raise Unavailable(f"{operation}: TTN answered {response.status_code}")
        return root

    def _registered(self, number: str) -> Answer:
        """What TTN says of the document `number`: accepted if one deposit of it is registered,
        else the answer to its latest deposit (refused with its negative acknowledgements, or
        pending), pending when TTN has none."""
        root = self._call("consultEfact", criteria={"documentNumber": number})
        deposits = [item for item in root.iter() if _children(item).get("documentNumber") == number]
        for item in deposits:
            fields = _children(item)
            if fields.get("generatedRef"):
                teif = base64.b64decode(fields.get("xmlContent") or "")
                reference = fields["generatedRef"]
                return Answer(
                    "accepted", reference=reference, qr_text=seal_data_uri(teif) or reference
                )
        if not deposits:
            return Answer("pending")
        latest = max(deposits, key=lambda item: _deposit_id(_children(item)))
        refusals = [
            node.text.strip()
            for node in latest.iter()
            if _local(node) == "message" and node.text and node.text.strip()
        ]
        if refusals:
            return Answer("refused", reason="; ".join(refusals)[:2000])
        return Answer("pending")

    def send(self, *, key: str, number: str, xml: bytes) -> Answer:
        already = self._registered(number)
        if already.status == "accepted":
            return already  # deposited before, its answer lost: registered once
        try:
            self._call("saveEfact", documentEfact=base64.b64encode(xml).decode())
        except _Refused as refusal:
            return Answer("refused", reason=str(refusal))
        return self._registered(number)

    def consult(self, *, key: str, number: str) -> Answer:
        return self._registered(number)


def _deposit_id(fields: dict[str, str]) -> int:
    identifier = fields.get("idSaveEfact", "")
    return int(identifier) if identifier.isdigit() else 0


class _Refused(Exception):
    """A client-side SOAP fault: TTN refuses what was sent."""
