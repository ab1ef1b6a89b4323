"""The recharge account of a line (R2.7 to R2.9), its top-ups (R2.3) and the recharge codes.

A recharge code is stored as a keyed digest only: who reads the database cannot read a code back,
nor find one by trying every number offline without the key.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lib.money import MoneyField
from subscriptions.models.records import ChangeRecord, Line


class PrepaidAccount(models.Model):
    """R2.7 to R2.9: a line's credit and bonus balances and the last day of each period.

    `grace_until` and `preservation_until` are set when the line enters that period, from the
    grid in force that day, so that a later change of the grid does not move a running period.
    """

    line = models.OneToOneField(Line, on_delete=models.CASCADE, related_name="prepaid_account")
    credit = MoneyField(_("credit"), default=0)
    bonus = MoneyField(_("bonus"), default=0)
    valid_until = models.DateField(_("valid until (R2.7)"), null=True, blank=True)
    grace_until = models.DateField(_("grace until (R2.8)"), null=True, blank=True)
    preservation_until = models.DateField(_("preservation until (R2.9)"), null=True, blank=True)

    class Meta:
        verbose_name = _("recharge account")
        verbose_name_plural = _("recharge accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(credit__gte=0, bonus__gte=0), name="prepaid_balances_not_negative"
            )
        ]

    def __str__(self) -> str:
        return str(self.line)


class RechargeCodeBatch(models.Model):
    """Recharge cards or tickets generated together by a supervisor, all of one amount."""

    amount = MoneyField(_("amount"))
    quantity = models.PositiveIntegerField(_("number of codes"))
    label = models.CharField(_("label"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("batch of recharge codes")
        verbose_name_plural = _("batches of recharge codes")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="recharge_batch_positive")
        ]

    def __str__(self) -> str:
        return f"L{self.pk:05d} — {self.quantity} x {self.amount} TND"


class RechargeCode(models.Model):
    """R2.3: a single-use code. The serial is printed on the card; the code is kept as a digest."""

    batch = models.ForeignKey(RechargeCodeBatch, on_delete=models.PROTECT, related_name="codes")
    serial = models.CharField(_("serial number"), max_length=20, unique=True)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    amount = MoneyField(_("amount"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["serial"]
        verbose_name = _("recharge code")
        verbose_name_plural = _("recharge codes")

    def __str__(self) -> str:
        return self.serial


class TopUp(models.Model):
    """R2.3: credit added to a line by a recharge code, Banka (bank card) or Light (USSD)."""

    class Channel(models.TextChoices):
        CODE = "code", _("Recharge card or ticket")
        BANKA = "banka", _("Banka (bank card)")
        LIGHT = "light", _("Light (USSD code)")

    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.PROTECT, related_name="top_ups"
    )
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    amount = MoneyField(_("amount"))
    reference = models.CharField(
        _("reference"),
        max_length=60,
        help_text=_("The payment's reference at Banka or Light; the serial of a recharge code."),
    )
    recharge_code = models.OneToOneField(
        RechargeCode, on_delete=models.PROTECT, null=True, blank=True, related_name="top_up"
    )
    line_status = models.CharField(
        _("line was"), max_length=12, choices=Line.Status.choices, editable=False
    )
    balances_kept = models.BooleanField(_("balances kept"), editable=False)
    valid_until = models.DateField(_("valid until"), null=True, blank=True, editable=False)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    job = models.CharField(_("job"), max_length=80, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("top-up")
        verbose_name_plural = _("top-ups")
        constraints = [
            # R2.3: a payment imported twice, or a code used twice, adds nothing the second time.
            models.UniqueConstraint(fields=["channel", "reference"], name="top_up_once_per_ref"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="top_up_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.line} +{self.amount} TND ({self.get_channel_display()})"


class PrepaidMovement(ChangeRecord):
    """Every change of a recharge account's balances or validity: appended, never edited."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("Top-up")
        FORFEIT = "forfeit", _("Balances forfeited (R2.9)")
        FEE = "fee", _("Fee paid from the credit")

    account = models.ForeignKey(PrepaidAccount, on_delete=models.CASCADE, related_name="movements")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    credit_change = MoneyField(_("credit change"))
    bonus_change = MoneyField(_("bonus change"), default=0)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    top_up = models.OneToOneField(
        TopUp, on_delete=models.PROTECT, null=True, blank=True, related_name="movement"
    )
    reason = models.CharField(_("reason"), max_length=255)

    class Meta(ChangeRecord.Meta):
        verbose_name = _("recharge account movement")
        verbose_name_plural = _("recharge account movements")

    def __str__(self) -> str:
        return f"{self.account}: {self.get_kind_display()} {self.credit_change}"


class RechargeCodeFailure(models.Model):
    """A wrong or already used code typed by a customer: counted to slow down guessing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recharge_failures"
    )
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    reason = models.CharField(max_length=20)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("failed recharge code")
        verbose_name_plural = _("failed recharge codes")

    def __str__(self) -> str:
        return f"{self.user} {self.at:%Y-%m-%d %H:%M}"
