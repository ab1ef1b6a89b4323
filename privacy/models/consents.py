"""Consents and objections (R21.1-R21.3), the recipients told of an objection, and the
marketing campaigns that must respect them at send time."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from subscriptions.models import Customer
from subscriptions.models.records import ChangeRecord


class Purpose(models.TextChoices):
    MARKETING_EMAIL = "marketing_email", _("Offers by e-mail")
    MARKETING_SMS = "marketing_sms", _("Offers by SMS")
    MARKETING_CALLS = "marketing_calls", _("Offers by phone call")
    TRAFFIC_OFFERS = "traffic_offers", _("Use of my traffic data for offers")
    PARTNERS = "partners", _("Sharing with commercial partners")


class HistoryRewritten(Exception):
    """A consent row was about to be changed or deleted: history is appended, never rewritten."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise HistoryRewritten("Consent history is never rewritten: append a new row.")

    def delete(self):
        raise HistoryRewritten("Consent history is never rewritten: append a new row.")


class Consent(ChangeRecord):
    """One choice of a customer for one purpose, as given (R21.1-R21.3). Rows are only added:
    the current state is the latest row per purpose (`privacy.selectors.consent_state`)."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        BOUTIQUE = "boutique", _("Boutique")
        PHONE = "phone", _("Phone")
        STOP_SMS = "stop_sms", _("STOP SMS")
        API = "api", _("API (another system of the operator)")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="consents"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    granted = models.BooleanField(_("agreed"))
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta(ChangeRecord.Meta):
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["customer", "purpose", "-at", "-id"])]

    def __str__(self) -> str:
        choice = _("Agreed") if self.granted else _("Objected")
        return f"{self.customer}: {self.get_purpose_display()}: {choice}"

    def save(self, *args, **kwargs) -> None:
        # R21: every consent and opposition is kept with its date and channel, never rewritten.
        if self.pk is not None:
            raise HistoryRewritten("Consent history is never rewritten: append a new row.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise HistoryRewritten("Consent history is never rewritten: append a new row.")


class Recipient(models.Model):
    """Somewhere the data of a purpose is used: a partner's HTTP endpoint, or one of the
    operator's own marketing lists. Each is told of every objection to its purposes (R21.3)."""

    class Kind(models.TextChoices):
        HTTP = "http", _("HTTP endpoint (partner)")
        INTERNAL = "internal", _("Internal marketing list")

    name = models.CharField(_("name"), max_length=120, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    purposes = models.JSONField(_("purposes received"), default=list)
    endpoint_url = models.URLField(_("endpoint URL"), blank=True)
    secret = models.CharField(
        _("signing secret"),
        max_length=128,
        blank=True,
        help_text=_("Shared with the partner: each message is signed with HMAC-SHA256."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("recipient of personal data")
        verbose_name_plural = _("recipients of personal data")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="internal") | (Q(endpoint_url__gt="") & Q(secret__gt="")),
                name="recipient_http_has_endpoint_and_secret",
            )
        ]

    def __str__(self) -> str:
        return self.name


class ObjectionDelivery(models.Model):
    """The outbox: one message per recipient and objection, retried until acknowledged."""

    class Status(models.TextChoices):
        PENDING = "pending", _("To deliver")
        DELIVERED = "delivered", _("Acknowledged")

    consent = models.ForeignKey(
        Consent, verbose_name=_("objection"), on_delete=models.PROTECT, related_name="deliveries"
    )
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("recipient"), on_delete=models.PROTECT, related_name="deliveries"
    )
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True)
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
        verbose_name = _("objection delivery")
        verbose_name_plural = _("objection deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["consent", "recipient"], name="objection_delivery_once_per_recipient"
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.consent} → {self.recipient}"


class SuppressionEntry(models.Model):
    """An internal marketing list's record that a customer objected: the list's exports and
    sends leave them out."""

    recipient = models.ForeignKey(
        Recipient, verbose_name=_("list"), on_delete=models.PROTECT, related_name="suppressions"
    )
    delivery = models.OneToOneField(
        ObjectionDelivery, on_delete=models.PROTECT, related_name="suppression"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("suppression from a list")
        verbose_name_plural = _("suppressions from lists")

    def __str__(self) -> str:
        return f"{self.recipient}: {self.customer}"


class Campaign(models.Model):
    """A marketing campaign by e-mail or SMS; each message checks the consent when it is sent."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    name = models.CharField(_("name"), max_length=120)
    channel = models.CharField(
        _("sent by"), max_length=5, choices=Channel.choices, default=Channel.EMAIL
    )
    subject = models.CharField(_("subject (e-mail)"), max_length=150, blank=True)
    body = models.TextField(_("text"))
    uses_traffic_data = models.BooleanField(
        _("targeted with traffic data"),
        default=False,
        help_text=_("Also needs the customer not to have opposed the use of traffic data."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("marketing campaign")
        verbose_name_plural = _("marketing campaigns")

    def __str__(self) -> str:
        return self.name

    @property
    def purposes(self) -> list[str]:
        """What the customer must not have opposed for a message to go out (R21.2)."""
        needed: list[str] = [
            Purpose.MARKETING_SMS if self.channel == self.Channel.SMS else Purpose.MARKETING_EMAIL
        ]
        if self.uses_traffic_data:
            needed.append(Purpose.TRAFFIC_OFFERS)
        return needed


class CampaignMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        SKIPPED = "skipped", _("Not sent: no consent")

    campaign = models.ForeignKey(Campaign, on_delete=models.PROTECT, related_name="messages")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("campaign message")
        verbose_name_plural = _("campaign messages")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "customer"], name="campaign_message_once_per_customer"
            )
        ]
        indexes = [models.Index(fields=["campaign", "status"])]

    def __str__(self) -> str:
        return f"{self.campaign}: {self.customer}"
