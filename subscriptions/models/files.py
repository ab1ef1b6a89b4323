"""Subscription files (R3.1, R3.2, R6.2), their pieces, and identity checks for options (R3.3).

A file's life cycle is `subscriptions.lifecycle.files`; never set `status` elsewhere.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Boutique
from catalogue.models import Offer, Option, RequiredDocument
from lib.money import MoneyField
from subscriptions.models.records import ChangeRecord, Customer, Line, LineOption


class SubscriptionFile(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Being filled in")
        RECEIVED = "received", _("Received")
        INCOMPLETE = "incomplete", _("Incomplete")
        COMPLETE = "complete", _("Complete")
        ACCEPTED = "accepted", _("Accepted")
        REFUSED = "refused", _("Refused")
        ACTIVE = "active", _("Line active")

    class Channel(models.TextChoices):
        ONLINE = "online", _("Online")
        BOUTIQUE = "boutique", _("Boutique sale")

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant's account"),
        on_delete=models.PROTECT,
        related_name="subscription_files",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscription_files",
    )
    boutique = models.ForeignKey(
        Boutique,
        verbose_name=_("boutique"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscription_files",
    )
    customer_kind = models.CharField(
        _("customer type"), max_length=10, choices=Customer.Kind.choices, blank=True
    )
    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), on_delete=models.PROTECT, null=True, blank=True
    )
    options = models.ManyToManyField(Option, verbose_name=_("options"), blank=True)
    draft = models.JSONField(_("form values not yet submitted"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE
    )
    connection_fee = MoneyField(_("connection fee excl. tax (R3.1)"), null=True, blank=True)
    deposit = MoneyField(_("deposit (R12.1)"), null=True, blank=True)
    connection_fee_paid_at = models.DateTimeField(
        _("connection fee paid at"), null=True, blank=True
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decision_due_at = models.DateTimeField(
        _("answer due by (R6.2)"), null=True, blank=True, editable=False
    )
    completed_at = models.DateTimeField(_("complete since"), null=True, blank=True, editable=False)
    activation_due_at = models.DateTimeField(
        _("line due by (R3.2)"), null=True, blank=True, editable=False
    )
    documents_due_at = models.DateTimeField(
        _("pieces due by (R13.1)"), null=True, blank=True, editable=False
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    refusal_motive = models.TextField(_("refusal motive"), blank=True)
    refusal_letter = models.FileField(_("refusal letter"), blank=True, editable=False)
    refusal_letter_sent_at = models.DateTimeField(
        _("refusal letter sent at"), null=True, blank=True, editable=False
    )
    accepted_notice_sent_at = models.DateTimeField(
        _("acceptance e-mail sent at"), null=True, blank=True, editable=False
    )
    line = models.OneToOneField(
        Line,
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="subscription_file",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscription file")
        verbose_name_plural = _("subscription files")
        constraints = [
            models.UniqueConstraint(
                fields=["applicant"],
                condition=Q(status="draft"),
                name="subscription_file_one_draft_per_account",
            )
        ]

    def __str__(self) -> str:
        return _("File %(number)s") % {"number": self.reference}

    @property
    def reference(self) -> str:
        return f"D{self.pk:07d}" if self.pk else "—"


class FilePiece(models.Model):
    """A piece of a file (R3.1): uploaded by the customer, then marked by an agent."""

    class Status(models.TextChoices):
        MISSING = "missing", _("Missing")
        UPLOADED = "uploaded", _("Sent, to be checked")
        RECEIVED = "received", _("Received")
        REJECTED = "rejected", _("Rejected")

    file = models.ForeignKey(SubscriptionFile, on_delete=models.CASCADE, related_name="pieces")
    required_document = models.ForeignKey(
        RequiredDocument, verbose_name=_("piece"), on_delete=models.PROTECT
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.MISSING
    )
    document = models.FileField(_("document"), blank=True)
    original_name = models.CharField(_("file name"), max_length=100, blank=True)
    content_type = models.CharField(_("type"), max_length=40, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("checked at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rejection_reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        ordering = ["required_document__position", "pk"]
        verbose_name = _("piece of a file")
        verbose_name_plural = _("pieces of a file")
        constraints = [
            models.UniqueConstraint(
                fields=["file", "required_document"], name="file_piece_once_per_document"
            )
        ]

    def __str__(self) -> str:
        return str(self.required_document)


class FileStatusChange(ChangeRecord):
    """Appended on every move of a file and every piece marked: who, when, from, to, why."""

    file = models.ForeignKey(
        SubscriptionFile, on_delete=models.CASCADE, related_name="status_changes"
    )
    from_status = models.CharField(
        _("from"), max_length=12, choices=SubscriptionFile.Status.choices
    )
    to_status = models.CharField(_("to"), max_length=12, choices=SubscriptionFile.Status.choices)
    piece = models.ForeignKey(
        FilePiece, verbose_name=_("piece"), on_delete=models.CASCADE, null=True, blank=True
    )
    reason = models.CharField(_("reason"), max_length=500)

    class Meta(ChangeRecord.Meta):
        verbose_name = _("file history")
        verbose_name_plural = _("file history")

    def __str__(self) -> str:
        return f"{self.file}: {self.from_status} → {self.to_status}"


# R3.3: the five identity checks an agent makes before acting for a customer, and the condition
# that they were all made (for the constraints of each record that needs them).
IDENTITY_CHECKS = ("last_name_ok", "first_name_ok", "cin_ok", "birth_date_ok", "address_ok")
ALL_IDENTITY_CHECKED = Q(**dict.fromkeys(IDENTITY_CHECKS, True))


class IdentityCheck(models.Model):
    """R3.3: the five identity checks made before an option is activated, and who made them."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal")
        PHONE = "phone", _("Phone")

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="identity_checks")
    option = models.ForeignKey(Option, verbose_name=_("option"), on_delete=models.PROTECT)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_name_ok = models.BooleanField(_("last name"))
    first_name_ok = models.BooleanField(_("first name"))
    cin_ok = models.BooleanField(_("CIN number"))
    birth_date_ok = models.BooleanField(_("birth date"))
    address_ok = models.BooleanField(_("address"))
    at = models.DateTimeField(_("at"), auto_now_add=True)
    line_option = models.OneToOneField(
        LineOption,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="identity_check",
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("identity check")
        verbose_name_plural = _("identity checks")
        constraints = [
            models.CheckConstraint(
                condition=ALL_IDENTITY_CHECKED,
                name="identity_check_all_five",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line} — {self.option}"
