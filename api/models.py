"""The systems allowed to call the API (their keys), what they wrote, their event subscriptions
(TMF hubs) and the events' outbox."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Boutique
from subscriptions.models import Customer


class Scope(models.TextChoices):
    """What a key may do, per resource: reading or writing."""

    BILLS_READ = "customerBill:read", _("Bills: read")
    PRIVACY_READ = "privacy:read", _("Privacy choices: read")
    PRIVACY_WRITE = "privacy:write", _("Privacy choices: record")
    EVENTS_WRITE = "hub:write", _("Event subscriptions: manage")


class ApiKey(models.Model):
    """A registered system's key. Only a SHA-256 of the secret is kept (the secret is random,
    32 bytes: a slow hash adds nothing); the key is shown once, when it is made."""

    name = models.CharField(_("system"), max_length=80)
    prefix = models.CharField(_("key prefix"), max_length=12, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    boutique = models.ForeignKey(
        Boutique,
        verbose_name=_("limited to the customers of"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rate_per_minute = models.PositiveIntegerField(_("requests per minute"), default=600)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("revoked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"


class RateWindow(models.Model):
    """A key's requests in the current minute (api.rates): one row per key, shared by every
    web process."""

    key = models.OneToOneField(ApiKey, on_delete=models.CASCADE, primary_key=True, related_name="+")
    window_start = models.BigIntegerField()  # seconds since the epoch, a whole minute
    used = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.key_id}: {self.used}"


class ApiWrite(models.Model):
    """Every write made through the API, with the key that made it."""

    key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), on_delete=models.PROTECT, related_name="writes"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=255)
    resource = models.CharField(_("resource"), max_length=60)
    object_id = models.CharField(_("object"), max_length=60, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("write through the API")
        verbose_name_plural = _("writes through the API")

    def __str__(self) -> str:
        return f"{self.key}: {self.method} {self.path}"


class Hub(models.Model):
    """A TMF event subscription: a system's callback told of the events its key may read."""

    class Api(models.TextChoices):
        BILLS = "customerBill", _("TMF678 Customer Bill")
        PRIVACY = "privacy", _("TMF644 Privacy")

    key = models.ForeignKey(
        ApiKey, verbose_name=_("API key"), on_delete=models.PROTECT, related_name="hubs"
    )
    api = models.CharField(_("API"), max_length=14, choices=Api.choices)
    callback = models.URLField(_("callback"), max_length=500)
    query = models.CharField(_("query"), max_length=255, blank=True)
    # Events are signed with it (HMAC-SHA256); given once, when the hub is created.
    secret = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("event subscription")
        verbose_name_plural = _("event subscriptions")

    def __str__(self) -> str:
        return f"{self.key.name}: {self.callback}"


class Event(models.Model):
    """A TMF event, made once (its `dedupe_key`), then delivered to each subscriber."""

    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_type = models.CharField(_("event"), max_length=60)
    api = models.CharField(_("API"), max_length=14, choices=Hub.Api.choices)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    dedupe_key = models.CharField(max_length=120, unique=True)
    # The JSON sent, as sent: money keeps its three decimals.
    payload = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"


class EventDelivery(models.Model):
    """The outbox: one message per event and subscriber, retried until acknowledged."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To deliver")
        DELIVERED = "delivered", _("Acknowledged")
        CANCELLED = "cancelled", _("Subscription deleted")

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.PROTECT, related_name="deliveries"
    )
    hub = models.ForeignKey(
        Hub, verbose_name=_("subscription"), on_delete=models.PROTECT, related_name="deliveries"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    delivered_at = models.DateTimeField(_("acknowledged at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        constraints = [
            models.UniqueConstraint(fields=["event", "hub"], name="api_event_delivery_once")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="pending"),
                name="api_event_delivery_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.hub}"


class BillStateSeen(models.Model):
    """The last state of a bill that its events told: a new bill, or a state that differs,
    makes an event (once, whatever the number of scans)."""

    invoice = models.OneToOneField(
        "billing.Invoice", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    state = models.CharField(max_length=14)
    changes = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.invoice_id}: {self.state}"


class EventCursor(models.Model):
    """How far the event collector read: consents by id, bill state changes by time."""

    name = models.CharField(max_length=30, unique=True)
    last_id = models.BigIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name
