"""R21.2: a campaign of 10,000 messages sent by two threads while 1,000 customers object, on
PostgreSQL, with real concurrency: nothing goes to an objector after their objection commits.

Each message is checked and handed over under the customer's row lock, the lock every objection
takes before writing its row: so a message sent to an objector was decided before the objection
was even written (`decided_at` < the objection's `at`), and every message decided after it is
skipped.
"""

import random
import threading
import time

import pytest
from django.core import mail
from django.db import connection

from privacy.marketing import campaign_queue, campaign_send
from privacy.models import Campaign, CampaignMessage, Consent
from privacy.services import consent_record
from subscriptions.models import Customer
from tests.factories import BoutiqueFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

CUSTOMERS = 2000
CAMPAIGNS = 5  # 5 x 2,000 = 10,000 messages
OBJECTORS = 1000


def _customers() -> list[Customer]:
    boutique = BoutiqueFactory()
    customers = Customer.objects.bulk_create(
        Customer(
            kind="individual",
            boutique=boutique,
            last_name=f"M{i}",
            first_name="M",
            cin=f"{50000000 + i:08d}",
            street="1 rue",
            postal_code="1000",
            city="Tunis",
            email=f"m{i}@example.tn",
        )
        for i in range(CUSTOMERS)
    )
    Consent.objects.bulk_create(
        Consent(customer=c, purpose="marketing_email", granted=True, channel="portal", job="test")
        for c in customers
    )
    return customers


def _in_thread(work, errors: list) -> threading.Thread:
    def run():
        try:
            with connection.cursor() as cursor:
                # Commits without waiting for the disk: the test is about locks and visibility,
                # which this does not change, and 11,000 fsyncs would take minutes.
                cursor.execute("SET synchronous_commit TO off")
            work()
        except Exception as error:  # reported by the test below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_r21_2_campaign_sends_nothing_to_an_objector_after_their_objection_commits():
    customers = _customers()
    author = UserFactory()
    campaigns = [
        Campaign.objects.create(name=f"C{n}", subject="Offre", body="Texte", created_by=author)
        for n in range(CAMPAIGNS)
    ]
    ids = [c.pk for c in customers]
    for campaign in campaigns:
        campaign_queue(campaign=campaign, customer_ids=ids)
    assert CampaignMessage.objects.count() == 10_000
    objectors = random.Random(7).sample(customers, OBJECTORS)
    errors: list = []

    def send(order):
        for campaign in order:
            campaign_send(campaign_id=campaign.pk)

    def object_all():
        for customer in objectors:
            consent_record(
                customer=customer,
                purpose="marketing_email",
                granted=False,
                channel="stop_sms",
                job="test",
            )
            time.sleep(0.01)  # spread the objections over the send

    threads = [
        _in_thread(lambda: send(campaigns), errors),
        _in_thread(lambda: send(campaigns[::-1]), errors),
        _in_thread(object_all, errors),
    ]
    for thread in threads:
        thread.join(timeout=600)
    assert not errors

    messages = CampaignMessage.objects.values_list("customer_id", "status", "decided_at")
    assert all(status != "queued" for _, status, _ in messages)
    objected_at = dict(Consent.objects.filter(granted=False).values_list("customer_id", "at"))
    assert len(objected_at) == OBJECTORS
    late = [
        (customer_id, decided_at)
        for customer_id, status, decided_at in messages
        if status == "sent"
        and customer_id in objected_at
        and decided_at >= objected_at[customer_id]
    ]
    assert late == []
    early_skips = [
        customer_id
        for customer_id, status, _ in messages
        if status == "skipped" and customer_id not in objected_at
    ]
    assert early_skips == []
    # The objections really came in the middle of the send: objectors got messages before
    # their objection and none after.
    sent_to_objectors = {c for c, status, _ in messages if status == "sent" and c in objected_at}
    skipped = {c for c, status, _ in messages if status == "skipped"}
    assert sent_to_objectors & skipped
    # One e-mail per message sent, whichever thread sent it.
    assert len(mail.outbox) == sum(status == "sent" for _, status, _ in messages)
