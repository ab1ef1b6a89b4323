"""Suspensions as cause rows (R13.1), the provisioning outbox to the network, and the record of
the customer notifications they send.

A line is suspended while any of its causes is open; lifting one leaves the others. Opening and
lifting go through `subscriptions.services.suspensions`; never write these rows elsewhere.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from subscriptions.models.records import Line


class SuspensionCause(models.Model):
    """One reason a line is suspended, from its opening (who or which job, when, why) to its
    lifting (the same)."""

    class Cause(models.TextChoices):
        INCOMPLETE_FILE = "incomplete_file", _("File incomplete after activation")
        LATE_PAYMENT = "late_payment", _("Invoice unpaid")
        LATE_ADVANCE = "late_advance", _("Advance payment late")
        CREDIT_LIMIT = "credit_limit", _("Credit limit exceeded")
        FRAUD = "fraud", _("Fraud or unlawful use")
        NATIONAL_SECURITY = "national_security", _("National security")
        LOST_SIM = "lost_sim", _("SIM lost or stolen")
        CUSTOMER_REQUEST = "customer_request", _("At the customer's request")

    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.CASCADE, related_name="suspension_causes"
    )
    cause = models.CharField(_("cause"), max_length=20, choices=Cause.choices)
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("opened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    opened_job = models.CharField(_("opened by the job"), max_length=80, blank=True)
    reason = models.CharField(_("reason"), max_length=255)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    lifted_job = models.CharField(_("lifted by the job"), max_length=80, blank=True)
    lift_reason = models.CharField(_("why lifted"), max_length=255, blank=True)
    extended_until = models.DateField(
        _("termination postponed until (R17.5)"), null=True, blank=True
    )

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("suspension cause")
        verbose_name_plural = _("suspension causes")
        constraints = [
            # R13.1: a cause is open at most once per line; sweeps that race insert it once.
            models.UniqueConstraint(
                fields=["line", "cause"],
                condition=Q(lifted_at__isnull=True),
                name="suspension_cause_open_once_per_line",
            )
        ]
        indexes = [
            models.Index(
                fields=["cause", "line"],
                condition=Q(lifted_at__isnull=True),
                name="suspension_cause_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line}: {self.get_cause_display()}"


class ProvisioningOrder(models.Model):
    """The outbox to the network: what it must apply to a line, sent by a Celery task with an
    idempotency key so that a retried send is applied once. A worker claims an order before
    sending it (`claimed_at`); a claim older than OUTBOX_STALE_SECONDS is a dead worker's."""

    class Action(models.TextChoices):
        BLOCK = "block", _("Block")
        UNBLOCK = "unblock", _("Unblock")
        RECEIVE_ONLY = "receive_only", _("Receive only")
        RELEASE_NUMBER = "release_number", _("Release the number")
        SIM_SWAP = "sim_swap", _("Swap the SIM")

    class Status(models.TextChoices):
        PENDING = "pending", _("To send")
        SENT = "sent", _("Sent, awaiting confirmation")
        CONFIRMED = "confirmed", _("Confirmed by the network")
        FAILED = "failed", _("Failed")

    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.CASCADE, related_name="provisioning_orders"
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    reason = models.CharField(_("reason"), max_length=255)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("being sent since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("provisioning order")
        verbose_name_plural = _("provisioning orders")
        indexes = [
            models.Index(
                fields=["line", "id"],
                condition=~Q(status="confirmed"),
                name="provisioning_unconfirmed",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line}: {self.get_action_display()}"


class CustomerNotification(models.Model):
    """An e-mail or an SMS telling the customer their line is suspended or restored; its unique
    key makes it exist once, its claim (`claimed_at`) and `sent_at` make it go out at least once
    and in the normal path once."""

    class Kind(models.TextChoices):
        SUSPENDED = "suspended", _("Line suspended")
        RESTORED = "restored", _("Line restored")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("about"), max_length=10, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    cause = models.CharField(
        _("cause"), max_length=20, choices=SuspensionCause.Cause.choices, blank=True
    )
    key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # Issue 16: claimed by the worker sending it, then `sent_at` once sent; a claim older than
    # OUTBOX_STALE_SECONDS is a dead worker's, and the beat job sends the notice again.
    claimed_at = models.DateTimeField(_("being sent since"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("customer notification")
        verbose_name_plural = _("customer notifications")

    def __str__(self) -> str:
        return f"{self.line}: {self.get_kind_display()} ({self.get_channel_display()})"
