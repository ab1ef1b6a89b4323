"""Marketing campaigns by e-mail or SMS: every message checks the customer's consent when it is
sent, under the lock an objection takes, so nothing goes out after an objection commits (R21.2)."""

from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from lib.emails import send_templated
from lib.sms import send_sms
from privacy.locking import customers_lock
from privacy.models import Campaign, CampaignMessage
from privacy.selectors import consents_granted
from subscriptions.models import Customer, Line

M = CampaignMessage.Status
# Messages decided per transaction: their customers stay locked while the batch is handed to the
# mail server (a fraction of a second), and a batch costs the same few queries whatever its size.
SEND_BATCH_SIZE = 100
QUEUE_BATCH_SIZE = 1000  # rows per INSERT when a campaign is queued


def campaign_queue(*, campaign: Campaign, customer_ids: Iterable[int]) -> int:
    """One queued message per customer (a customer queued twice gets one message)."""
    queued = 0
    batch: list[CampaignMessage] = []
    for customer_id in customer_ids:
        batch.append(CampaignMessage(campaign=campaign, customer_id=customer_id))
        if len(batch) == QUEUE_BATCH_SIZE:
            queued += len(CampaignMessage.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    queued += len(CampaignMessage.objects.bulk_create(batch, ignore_conflicts=True))
    return queued


def messages_send(*, message_ids: list[int]) -> dict[int, str]:
    """Send each message whose customer still agrees, mark the others skipped; returns what this
    call decided (a message already decided, by a rerun or another worker, is left alone)."""
    with transaction.atomic():
        candidates = CampaignMessage.objects.filter(pk__in=message_ids, status=M.QUEUED)
        customer_ids = sorted(set(candidates.values_list("customer_id", flat=True)))
        customers = customers_lock(customer_ids)
        # Read again under the locks: a message decided meanwhile was decided under them too.
        messages = list(
            CampaignMessage.objects.filter(pk__in=message_ids, status=M.QUEUED).select_related(
                "campaign"
            )
        )
        purposes = {p for m in messages for p in m.campaign.purposes}
        granted = consents_granted(customer_ids=customer_ids, purposes=purposes)
        addresses = {
            channel: recipient_addresses(channel=channel, customers=list(customers.values()))
            for channel in {m.campaign.channel for m in messages}
        }
        decided: dict[int, str] = {}
        for message in messages:
            allowed = message.customer_id in addresses[message.campaign.channel] and all(
                granted[message.customer_id, purpose] for purpose in message.campaign.purposes
            )
            decided[message.pk] = M.SENT if allowed else M.SKIPPED
        now = timezone.now()
        for status in (M.SENT, M.SKIPPED):
            CampaignMessage.objects.filter(
                pk__in=[pk for pk, s in decided.items() if s == status], status=M.QUEUED
            ).update(status=status, decided_at=now)
        # Handed to the mail server or SMS gateway while the customers' rows are locked, the one
        # exception to "no network call in a transaction": an objection waiting for a lock
        # commits after its customer's message went out, never between the check above and the
        # hand-over (R21.2).
        for message in messages:
            if decided[message.pk] == M.SENT:
                customer = customers[message.customer_id]
                message_hand_over(
                    campaign=message.campaign,
                    customer=customer,
                    to=addresses[message.campaign.channel][customer.pk],
                )
    return decided


def recipient_addresses(*, channel: str, customers: list[Customer]) -> dict[int, str]:
    """Where each customer receives a campaign: their e-mail address, or the number of their
    first active line for SMS; a customer with none is left out."""
    if channel == Campaign.Channel.EMAIL:
        emails = {c.pk: c.email or (c.user.email if c.user else "") for c in customers}
        return {pk: email for pk, email in emails.items() if email}
    numbers: dict[int, str] = {}
    lines = (
        Line.objects.filter(contract__customer__in=customers, status=Line.Status.ACTIVE)
        .order_by("pk")
        .values_list("contract__customer_id", "number__msisdn")
    )
    for customer_id, msisdn in lines:
        numbers.setdefault(customer_id, msisdn)
    return numbers


def message_hand_over(*, campaign: Campaign, customer: Customer, to: str) -> None:
    language = customer.language
    context = {"campaign": campaign, "customer": customer}
    if campaign.channel == Campaign.Channel.EMAIL:
        send_templated(to=to, template="marketing-offer", context=context, language=language)
        return
    with translation.override(language):
        text = render_to_string(
            "emails/marketing-offer-sms.txt", {**context, "operator": settings.OPERATOR}
        )
    send_sms(to=to, text=text)


def campaign_send(*, campaign_id: int) -> int:
    """Send the campaign's queued messages; a rerun sends only what is still queued."""
    Campaign.objects.filter(pk=campaign_id, started_at__isnull=True).update(
        started_at=timezone.now()
    )
    sent = 0
    while True:
        ids = list(
            CampaignMessage.objects.filter(campaign_id=campaign_id, status=M.QUEUED)
            .order_by("pk")
            .values_list("pk", flat=True)[:SEND_BATCH_SIZE]
        )
        if not ids:
            return sent
        sent += sum(status == M.SENT for status in messages_send(message_ids=ids).values())
