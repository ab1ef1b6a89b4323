"""Event subscriptions (TMF hubs): made and deleted by a key, each recorded with that key."""

import secrets

from django.db import transaction
from django.utils import timezone

from api.models import ApiKey, ApiWrite, EventDelivery, Hub


def hub_create(*, key: ApiKey, api: str, callback: str, query: str, path: str) -> Hub:
    with transaction.atomic():
        hub = Hub.objects.create(
            key=key, api=api, callback=callback, query=query, secret=secrets.token_hex(32)
        )
        ApiWrite.objects.create(
            key=key,
            method="POST",
            path=path[:255],
            resource="hub",
            object_id=str(hub.pk),
            detail={"callback": callback, "query": query},
        )
    return hub


def hub_end(*, hub: Hub) -> bool:
    """The subscription ends: no event is sent to it any more, pending ones included. Ended
    by its system (`hub_delete`) or by a supervisor in the back office; ending twice is nothing."""
    with transaction.atomic():
        ended = Hub.objects.filter(pk=hub.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now()
        )
        EventDelivery.objects.filter(hub=hub, status=EventDelivery.Status.PENDING).update(
            status=EventDelivery.Status.CANCELLED
        )
    return bool(ended)


def hub_delete(*, hub: Hub, key: ApiKey, path: str) -> None:
    """The system deletes its subscription (TMF `DELETE /hub/{id}`), recorded with its key."""
    with transaction.atomic():
        hub_end(hub=hub)
        ApiWrite.objects.create(
            key=key, method="DELETE", path=path[:255], resource="hub", object_id=str(hub.pk)
        )
