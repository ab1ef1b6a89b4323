"""Marketing campaigns by e-mail: every message checks the customer's consent when it is sent,
under the lock an objection takes, so nothing goes out after an objection commits (R21.2)."""

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from portal.emails import send_templated
from privacy.locking import customer_lock
from privacy.models import Campaign, CampaignMessage
from privacy.selectors import consent_granted

M = CampaignMessage.Status
# Message ids read per query while sending: the memory of a batch stays small and each message
# is its own short transaction, so a customer's row is never locked for more than one message.
SEND_BATCH_SIZE = 500
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


def message_send(*, message_id: int) -> str | None:
    """Send one message if the customer still agrees, else mark it skipped; run twice, it acts
    once (the status is claimed under the customer's lock): None when already decided."""
    with transaction.atomic():
        message = CampaignMessage.objects.select_related("campaign").get(pk=message_id)
        customer = customer_lock(message.customer_id)
        campaign = message.campaign
        allowed = bool(customer.email) and all(
            consent_granted(customer.pk, purpose) for purpose in campaign.purposes
        )
        status = M.SENT if allowed else M.SKIPPED
        claimed = CampaignMessage.objects.filter(pk=message_id, status=M.QUEUED).update(
            status=status, decided_at=timezone.now()
        )
        if not claimed:
            return None
        if allowed:
            # Handed to the mail server while the customer's row is locked, the one exception to
            # "no SMTP in a transaction": an objection waiting for the lock commits after this
            # message went out, never between the check above and the hand-over (R21.2).
            send_templated(
                to=customer.email,
                template="marketing-offer",
                context={"campaign": campaign, "customer": customer},
                language=customer.user.language if customer.user else "fr",
            )
    return status


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
        for message_id in ids:
            sent += message_send(message_id=message_id) == M.SENT
