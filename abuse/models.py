"""R7.7: reports of advertising SMS sent from a line without authorisation, with their evidence,
and the fraud suspension (R13.1) staff open for them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from subscriptions.models import Line, SuspensionCause


class AdvertisingSmsReport(models.Model):
    """A line reported for advertising SMS sent without authorisation (R7.7), the evidence as
    received (a PDF or an image checked by its bytes, stored under a generated name) and the
    fraud cause it opened."""

    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.PROTECT, related_name="sms_abuse_reports"
    )
    reported_by = models.CharField(
        _("reported by"), max_length=200, help_text=_("Who complained: a subscriber, an operator.")
    )
    description = models.TextField(
        _("what was sent"), help_text=_("The messages, their dates and how many people got them.")
    )
    evidence = models.FileField(_("evidence"), editable=False)
    evidence_name = models.CharField(_("evidence file"), max_length=120, editable=False)
    evidence_sha256 = models.CharField(_("evidence SHA-256"), max_length=64, editable=False)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    suspension = models.OneToOneField(
        SuspensionCause,
        verbose_name=_("suspension"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sms_abuse_report",
    )

    class Meta:
        ordering = ["-recorded_at"]
        verbose_name = _("advertising SMS report")
        verbose_name_plural = _("advertising SMS reports")

    def __str__(self) -> str:
        return f"{self.line} — {self.recorded_at:%d/%m/%Y}"
