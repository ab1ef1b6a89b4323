"""Who receives the signed TEIF documents: a class named by settings.EINVOICE_BACKEND: the
recording one (development, tests), einvoicing.elfatoora.ElFatooraBackend (TTN's SOAP service),
or HttpBackend (a JSON gateway the operator runs in front of TTN, if it has one).

`send` submits one document under its idempotency key and returns TTN's answer (accepted with
its reference and the content of its QR code, refused with its reason, or pending); `consult`
asks again for the answer to a key already sent. Both raise `Unavailable` when the platform
cannot be reached or answers with a server error: the task retries later, with the same key.
"""

import base64
import hashlib
from dataclasses import dataclass
from typing import ClassVar, Protocol

import requests
from django.conf import settings
from django.utils.module_loading import import_string

# How Answer.qr_text carries TTN's own seal (the PNG of its QR code) instead of a QR's content.
SEAL_PREFIX = "data:image/png;base64,"


class Unavailable(Exception):
    """The platform was not reached or failed; the same document is sent again later."""


@dataclass(frozen=True)
class Answer:
    status: str  # "accepted", "refused" or "pending"
    reference: str = ""
    qr_text: str = ""
    reason: str = ""


class Backend(Protocol):
    def send(self, *, key: str, number: str, xml: bytes) -> Answer: ...

    def consult(self, *, key: str, number: str) -> Answer: ...


@dataclass(frozen=True)
class Sent:
    key: str
    number: str
    xml: bytes


class RecordingBackend:
    """Development and tests: keeps every document it is sent (`sent`) and accepts each key
    once, with a reference of 27 digits derived from the key, as TTN's are; a key sent again
    gets its first answer back and registers nothing new (`registered`)."""

    sent: ClassVar[list[Sent]] = []
    registered: ClassVar[dict[str, Answer]] = {}

    def send(self, *, key: str, number: str, xml: bytes) -> Answer:
        self.sent.append(Sent(key, number, xml))
        if key not in self.registered:
            reference = f"{int(hashlib.sha256(key.encode()).hexdigest(), 16) % 10**27:027d}"
            self.registered[key] = Answer(
                "accepted", reference=reference, qr_text=f"TTN {reference} {number}"
            )
        return self.registered[key]

    def consult(self, *, key: str, number: str) -> Answer:
        return self.registered.get(key, Answer("pending"))


class HttpBackend:
    """The platform over HTTPS (settings.EINVOICE_URL, EINVOICE_LOGIN, EINVOICE_PASSWORD): the
    document is POSTed as JSON with the operator's matricule and the key in `Idempotency-Key`;
    the answer is JSON `{"status", "reference", "qr", "reason"}`. `consult` GETs `<url>/<key>`."""

    def _answer(self, response: requests.Response) -> Answer:
        # A server error, a rate limit or a rejected TTN account is not the invoice's fault:
        # the same document is sent again later (the account corrected meanwhile).
        if response.status_code >= 500 or response.status_code in {401, 403, 429}:
            raise Unavailable(f"TTN answered {response.status_code}")
        if response.status_code == 404:
            return Answer("pending")
        if response.status_code >= 400:
            return Answer("refused", reason=f"HTTP {response.status_code}: {response.text[:2000]}")
        body = response.json()
        return Answer(
            status=body.get("status", "pending"),
            reference=body.get("reference", ""),
            qr_text=body.get("qr", ""),
            reason=body.get("reason", ""),
        )

    def _call(self, method: str, url: str, **kwargs) -> Answer:
        try:
            response = requests.request(
                method,
                url,
                auth=(settings.EINVOICE_LOGIN, settings.EINVOICE_PASSWORD),
                timeout=settings.EINVOICE_TIMEOUT_SECONDS,
                **kwargs,
            )
        except requests.RequestException as error:
            raise Unavailable(str(error)) from error
        return self._answer(response)

    def send(self, *, key: str, number: str, xml: bytes) -> Answer:
        return self._call(
            "POST",
            settings.EINVOICE_URL,
            headers={"Idempotency-Key": key},
            json={
                "matricule": settings.OPERATOR["tax_id"].replace("/", ""),
                "number": number,
                "document": base64.b64encode(xml).decode(),
            },
        )

    def consult(self, *, key: str, number: str) -> Answer:
        return self._call("GET", f"{settings.EINVOICE_URL.rstrip('/')}/{key}")


def backend() -> Backend:
    return import_string(settings.EINVOICE_BACKEND)()
