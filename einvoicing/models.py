"""The TTN outbox: one submission per invoice or credit note sent to El Fatoora, and its history."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice


class Submission(models.Model):
    """An invoice's TEIF document on its way to TTN (einvoicing/services.py): built and signed
    once, sent with its idempotency key, answered with TTN's reference or its refusal."""

    class Status(models.TextChoices):
        TO_SEND = "to_send", _("To send")
        SENT = "sent", _("Sent, awaiting TTN's answer")
        ACCEPTED = "accepted", _("Accepted by TTN")
        REFUSED = "refused", _("Refused by TTN")

    invoice = models.OneToOneField(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="einvoice"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.TO_SEND
    )
    # TTN registers a key once: a send repeated after a lost answer is not a second invoice.
    # A retry after a refusal is a new round, hence a new key.
    key = models.CharField(_("idempotency key"), max_length=80, unique=True)
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    xml = models.FileField(_("signed TEIF XML"), blank=True, editable=False)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # A sender holds the row until then; a sender that died leaves it to the sweep afterwards.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True)
    ttn_reference = models.CharField(_("TTN reference"), max_length=70, blank=True)
    qr_text = models.TextField(_("QR code content"), blank=True)
    refusal_reason = models.TextField(_("refusal reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    # The PDF with TTN's reference and QR code, made once the invoice is accepted.
    pdf = models.FileField(_("registered copy (PDF)"), blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("TTN submission")
        verbose_name_plural = _("TTN submissions")
        indexes = [models.Index(fields=["status", "lease_until"], name="einvoice_due")]

    def __str__(self) -> str:
        return self.key


class SubmissionChange(models.Model):
    """Who or which job moved a submission, when, from which status to which, and why."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="changes")
    from_status = models.CharField(_("from"), max_length=10, blank=True)
    to_status = models.CharField(_("to"), max_length=10)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        "accounts.User",
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    job = models.CharField(_("job"), max_length=40, blank=True)
    reason = models.TextField(_("why"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("TTN submission change")
        verbose_name_plural = _("TTN submission changes")

    def __str__(self) -> str:
        return f"{self.submission_id}: {self.from_status} → {self.to_status}"
