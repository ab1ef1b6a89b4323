"""A customer's requests about their data: a copy of it (R21.1) and its rectification (R21.1,
R7.2), and the bank details a confirmed rectification sets."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from subscriptions.models import Customer


class AccessRequest(models.Model):
    """R21.1: a copy of everything held on the customer, as JSON and PDF, for a limited time."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready")
        EXPIRED = "expired", _("Expired")
        FAILED = "failed", _("Failed")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="access_requests",
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    json_file = models.FileField(_("JSON file"), blank=True, editable=False)
    pdf_file = models.FileField(_("PDF file"), blank=True, editable=False)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("available until"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    failure_reason = models.TextField(_("reason of the failure"), blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("request for a copy of personal data")
        verbose_name_plural = _("requests for a copy of personal data")

    def __str__(self) -> str:
        return _("Copy of data %(number)s") % {"number": self.pk}


class RectificationRequest(models.Model):
    """R21.1, R7.2: a change the customer asks for, decided by an agent with a reason; a bank
    change approved stays pending until staff confirm it (registered letter)."""

    class Kind(models.TextChoices):
        IDENTITY = "identity", _("Identity")
        ADDRESS = "address", _("Address")
        BANK = "bank", _("Bank details")

    class Status(models.TextChoices):
        PENDING = "pending", _("To decide")
        AWAITING_CONFIRMATION = "awaiting", _("Approved, awaiting confirmation (R7.2)")
        APPLIED = "applied", _("Applied")
        REJECTED = "rejected", _("Rejected")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="rectification_requests",
    )
    kind = models.CharField(_("about"), max_length=10, choices=Kind.choices)
    changes = models.JSONField(_("values asked for"))
    previous = models.JSONField(_("values before"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.CharField(_("reason"), max_length=255, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("confirmed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("rectification request")
        verbose_name_plural = _("rectification requests")

    def __str__(self) -> str:
        return _("Rectification %(number)s") % {"number": self.pk}


class BankDetails(models.Model):
    """The customer's bank account (RIB) for direct debits, set only by a confirmed
    rectification (R7.2); the latest row is the one in force."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="bank_details"
    )
    holder = models.CharField(_("account holder"), max_length=120)
    rib = models.CharField(_("RIB"), max_length=20)
    rectification = models.OneToOneField(
        RectificationRequest, on_delete=models.PROTECT, related_name="bank_details"
    )
    confirmed_at = models.DateTimeField(_("in force since"))

    class Meta:
        ordering = ["-confirmed_at", "-pk"]
        verbose_name = _("bank details")
        verbose_name_plural = _("bank details")
        constraints = [models.CheckConstraint(condition=Q(rib__regex=r"^\d{20}$"), name="rib_20")]

    def __str__(self) -> str:
        return f"{self.holder} ****{self.rib[-4:]}"
