"""Declarations of a lost or stolen SIM (R14.1 to R14.4)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lib.money import MoneyField
from subscriptions.models.files import ALL_IDENTITY_CHECKED
from subscriptions.models.records import Line, SimCard


class SimLossDeclaration(models.Model):
    """R14.1: the line is blocked from the declaration; the police declaration follows within
    4 days; R14.3: a new SIM on request, with the grid's fee; R14.4: made by the customer, or by
    an agent after the five identity checks."""

    class Channel(models.TextChoices):
        PORTAL = "portal", _("Portal (password re-entered)")
        PHONE = "phone", _("Phone (identity checked)")
        BOUTIQUE = "boutique", _("Boutique (identity checked)")

    class Status(models.TextChoices):
        OPEN = "open", _("Line blocked")
        REPLACED = "replaced", _("SIM replaced")

    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.PROTECT, related_name="sim_losses"
    )
    lost_sim = models.ForeignKey(
        SimCard,
        verbose_name=_("lost SIM"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN, editable=False
    )
    channel = models.CharField(_("declared by"), max_length=10, choices=Channel.choices)
    declared_at = models.DateTimeField(_("declared at"))
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_name_ok = models.BooleanField(_("last name checked"), default=False)
    first_name_ok = models.BooleanField(_("first name checked"), default=False)
    cin_ok = models.BooleanField(_("CIN number checked"), default=False)
    birth_date_ok = models.BooleanField(_("birth date checked"), default=False)
    address_ok = models.BooleanField(_("address checked"), default=False)
    police_declaration_due_at = models.DateTimeField(_("police declaration due by (R14.1)"))
    police_declaration = models.FileField(_("police declaration"), blank=True, editable=False)
    police_declaration_type = models.CharField(max_length=40, blank=True, editable=False)
    police_declaration_sha256 = models.CharField(max_length=64, blank=True, editable=False)
    police_declaration_at = models.DateTimeField(
        _("police declaration received at"), null=True, blank=True, editable=False
    )
    police_declaration_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("police declaration sent by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    new_sim = models.ForeignKey(
        SimCard,
        verbose_name=_("new SIM"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    replacement_fee = MoneyField(_("replacement fee (R14.3)"), null=True, blank=True)
    replaced_at = models.DateTimeField(_("replaced at"), null=True, blank=True, editable=False)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replaced by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-declared_at"]
        verbose_name = _("lost or stolen SIM")
        verbose_name_plural = _("lost or stolen SIMs")
        constraints = [
            models.UniqueConstraint(
                fields=["line"], condition=Q(status="open"), name="sim_loss_one_open_per_line"
            ),
            # R14.4: staff act only on a declaration whose author's identity they checked.
            models.CheckConstraint(
                condition=Q(channel="portal") | ALL_IDENTITY_CHECKED,
                name="sim_loss_identity_checked",
            ),
        ]

    def __str__(self) -> str:
        return _("Lost SIM of %(line)s") % {"line": self.line}
