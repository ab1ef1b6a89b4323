"""TMF events: a system subscribes (hub, https only outside DEBUG), then each new bill, bill
state and privacy choice reaches it once, signed, through the outbox, also when it was down."""

import hashlib
import hmac
import json
import threading
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from django.utils import timezone

from api.events import Outcome, delivery_attempt, events_collect
from api.models import ApiWrite, EventDelivery, Hub, Scope
from billing.invoicing import Period, invoice_issue
from billing.payments import payment_record
from privacy.services import consent_record
from tests.api.conftest import ApiClient
from tests.api.tmf_schema import tmf_validate

BILLS = "/tmf-api/customerBillManagement/v5"
PRIVACY = "/tmf-api/partyPrivacyManagement/v5"


class Subscriber:
    """A system's callback: answers 503 while `down`, then 201; remembers every request."""

    def __init__(self) -> None:
        self.down = True
        self.requests: list[dict] = []
        subscriber = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = 503 if subscriber.down else 201
                subscriber.requests.append(
                    {"headers": dict(self.headers), "body": body, "status": status}
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/listener"

    def acknowledged(self) -> list[dict]:
        return [r for r in self.requests if r["status"] == 201]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def subscriber():
    endpoint = Subscriber()
    yield endpoint
    endpoint.close()


def deliver_due() -> list[Outcome]:
    return [
        delivery_attempt(delivery_id=pk)
        for pk in EventDelivery.objects.filter(status="pending").values_list("pk", flat=True)
    ]


def verify(request: dict, secret: str) -> dict:
    headers = request["headers"]
    expected = hmac.new(
        secret.encode(),
        headers["X-Portal-Timestamp"].encode() + b"." + request["body"],
        hashlib.sha256,
    ).hexdigest()
    assert headers["X-Portal-Signature"] == f"sha256={expected}"
    return json.loads(request["body"])


def test_tmf678_hub_callbacks_are_https_outside_debug(system_key):
    key, text = system_key(scopes=[Scope.BILLS_READ, Scope.EVENTS_WRITE])
    crm = ApiClient(text)
    refused = crm.post(f"{BILLS}/hub", {"callback": "http://crm.example.tn/listener"})
    assert refused.status_code == 400
    created = crm.post(f"{BILLS}/hub", {"callback": "https://crm.example.tn/listener"})
    assert created.status_code == 201
    tmf_validate("TMF678", "Hub", created.json())
    hub_id = created.json()["id"]
    assert ApiWrite.objects.filter(key=key, resource="hub", object_id=hub_id).exists()
    # Another system cannot delete it.
    _other, other_text = system_key(name="Partner", scopes=[Scope.EVENTS_WRITE])
    assert ApiClient(other_text).delete(f"{BILLS}/hub/{hub_id}").status_code == 404
    assert crm.delete(f"{BILLS}/hub/{hub_id}").status_code == 204
    assert Hub.objects.get(pk=hub_id).deleted_at is not None
    assert crm.delete(f"{BILLS}/hub/{hub_id}").status_code == 404


def test_tmf678_a_new_bill_reaches_a_subscriber_once_though_it_was_down(
    alice, agent, system_key, subscriber, settings
):
    settings.DEBUG = True  # the test's callback is plain HTTP on 127.0.0.1
    _key, text = system_key(scopes=[Scope.BILLS_READ, Scope.EVENTS_WRITE])
    hub = ApiClient(text).post(f"{BILLS}/hub", {"callback": subscriber.url}).json()
    contract = alice.contracts.get()
    april = invoice_issue(
        contract_id=contract.pk, period=Period.month(date(2026, 4, 1)), issued_on=date(2026, 5, 1)
    )
    assert len(events_collect()) == 1  # the new bill only: older ones preceded the hub
    assert deliver_due() == [Outcome.FAILED]  # the subscriber is down
    assert deliver_due() == [Outcome.NOT_DUE]  # backing off
    subscriber.down = False
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        assert deliver_due() == [Outcome.DELIVERED]
        assert events_collect() == []
        assert deliver_due() == []
    [received] = subscriber.acknowledged()
    event = verify(received, hub["secret"])
    tmf_validate("TMF678", "CustomerBillCreateEvent", event)
    assert event["eventType"] == "CustomerBillCreateEvent"
    assert event["event"]["customerBill"]["id"] == str(april.pk)
    assert received["headers"]["Idempotency-Key"] == event["eventId"]
    assert b'"value":' in received["body"] and b".000" in received["body"]
    # Paid: its state changes, once.
    payment_record(contract=contract, amount=april.total_incl_tax, method="cash", actor=agent)
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        assert len(events_collect()) == 1
        assert events_collect() == []
        assert deliver_due() == [Outcome.DELIVERED]
    change = verify(subscriber.acknowledged()[-1], hub["secret"])
    tmf_validate("TMF678", "CustomerBillStateChangeEvent", change)
    assert change["event"]["customerBill"]["state"] == "settled"
    assert len(subscriber.requests) == 3  # down once, then each event once


def test_tmf644_a_choice_reaches_the_subscribers_of_its_customers_boutique(
    alice, bob, sfax, system_key, subscriber, settings
):
    settings.DEBUG = True
    _key, text = system_key(scopes=[Scope.PRIVACY_READ, Scope.EVENTS_WRITE])
    hub = (
        ApiClient(text)
        .post(
            f"{PRIVACY}/hub",
            {
                "callback": subscriber.url,
                "query": "eventType=PartyPrivacyProfileAttributeValueChangeEvent",
            },
        )
        .json()
    )
    _key, sfax_text = system_key(
        name="Sfax", boutique=sfax, scopes=[Scope.PRIVACY_READ, Scope.EVENTS_WRITE]
    )
    ApiClient(sfax_text).post(f"{PRIVACY}/hub", {"callback": subscriber.url + "/sfax"})
    subscriber.down = False
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        consent_record(customer=alice, purpose="marketing_sms", granted=True, channel="portal")
        assert len(events_collect()) == 1  # alice is not a Sfax customer
        assert deliver_due() == [Outcome.DELIVERED]
    event = verify(subscriber.acknowledged()[0], hub["secret"])
    tmf_validate("TMF644", "PartyPrivacyProfileAttributeValueChangeEvent", event)
    profile = event["event"]["partyPrivacyProfile"]
    assert profile["id"] == str(alice.pk)
    sms = [
        c
        for c in profile["partyPrivacyProfileCharacteristic"]
        if c["privacyUsagePurpose"] == "marketing_sms"
    ]
    assert sms[0]["characterisitc"]["value"] is True
