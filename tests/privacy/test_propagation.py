"""R21.3: objections reach every recipient through the outbox, on a real Celery worker (Redis),
to a real HTTP endpoint on 127.0.0.1 that is down for a while: each objection is received once,
signed, when it comes back."""

import hashlib
import hmac
import json
import time

import pytest

from privacy.models import ObjectionDelivery, Recipient, SuppressionEntry
from privacy.services import consent_record
from privacy.tasks import deliver_objection
from tests.factories import CustomerFactory
from tests.privacy.partner import Partner

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SECRET = "partner-shared-secret"


@pytest.fixture
def partner():
    endpoint = Partner()
    yield endpoint
    endpoint.close()


def wait_for(condition, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_r21_3_a_recipient_down_for_a_while_receives_each_objection_once_when_back(
    celery_worker_on_redis, partner, settings
):
    settings.PRIVACY_DELIVERY_RETRY_SECONDS = 1
    Recipient.objects.create(
        name="Partenaire",
        kind="http",
        purposes=["partners"],
        endpoint_url=partner.url,
        secret=SECRET,
    )
    marketing_list = Recipient.objects.create(
        name="Liste interne", kind="internal", purposes=["partners"]
    )
    customers = [CustomerFactory() for _ in range(3)]

    for customer in customers:  # each commits, then its deliveries are queued on Redis
        consent_record(
            customer=customer,
            purpose="partners",
            granted=False,
            channel="portal",
            actor=customer.user,
        )
    keys = {
        str(k)
        for k in ObjectionDelivery.objects.filter(recipient__kind="http").values_list(
            "idempotency_key", flat=True
        )
    }
    assert len(keys) == 3

    # Down: every objection is refused at least twice, and retried with backoff.
    wait_for(
        lambda: (
            len(partner.answers()) == 3
            and all(len(statuses) >= 2 for statuses in partner.answers().values())
        )
    )
    refused = ObjectionDelivery.objects.filter(recipient__kind="http")
    assert all(d.status == "pending" and d.attempts >= 2 and d.last_error for d in refused)

    partner.down = False
    wait_for(lambda: not ObjectionDelivery.objects.filter(status="pending").exists())
    deliver_objection.delay(refused[0].pk).get(timeout=30)  # a duplicate task: no effect
    time.sleep(3)  # long enough for any stray retry to show up

    answers = partner.answers()
    assert set(answers) == keys
    for statuses in answers.values():
        assert statuses.count(200) == 1 and statuses[-1] == 200  # once, and nothing after
    for request in partner.requests:
        signed = request["timestamp"].encode() + b"." + request["body"]
        expected = "sha256=" + hmac.new(SECRET.encode(), signed, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(request["signature"], expected)
        payload = json.loads(request["body"])
        assert payload["purpose"] == "partners" and payload["idempotency_key"] == request["key"]
    assert {json.loads(r["body"])["customer"]["id"] for r in partner.requests} == {
        c.pk for c in customers
    }
    # The operator's own list got them too, once each.
    assert SuppressionEntry.objects.filter(recipient=marketing_list).count() == 3
    assert all(d.delivered_at for d in ObjectionDelivery.objects.all())
