"""Passes held by lines, their periods and renewals (R1.2, R10.6, R10.7), partner interruptions
(RK.1), the notices telling subscribers (RK.2) and the credits for the days lost (RK.3)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from catalogue.models import Option
from lib.money import MoneyField
from subscriptions.models import Line, LineOption


class PassHolding(models.Model):
    """A pass on a line (its `LineOption`): whether it renews, the end of the period running, and
    when and why it ended. One row per pass taken."""

    class Ending(models.TextChoices):
        NOT_RENEWED = "not_renewed", _("Not renewed")
        BALANCE_TOO_LOW = "balance_too_low", _("Balance too low to renew")
        LINE_NOT_ACTIVE = "line_not_active", _("Line not in service")
        OPTION_ENDED = "option_ended", _("Ended by the operator or the customer")

    line_option = models.OneToOneField(
        LineOption, on_delete=models.CASCADE, related_name="pass_holding"
    )
    renews = models.BooleanField(_("renews at the end of its period"))
    renewal_stopped_at = models.DateTimeField(_("renewal stopped at"), null=True, blank=True)
    renewal_stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("renewal stopped by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    period_ends_at = models.DateTimeField(_("period running until"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    ending = models.CharField(_("why it ended"), max_length=20, choices=Ending.choices, blank=True)

    class Meta:
        ordering = ["-period_ends_at"]
        verbose_name = _("pass held")
        verbose_name_plural = _("passes held")
        indexes = [
            models.Index(
                fields=["period_ends_at"], condition=Q(ended_at__isnull=True), name="pass_due"
            )
        ]

    def __str__(self) -> str:
        return str(self.line_option)


class PassPeriod(models.Model):
    """One week, month or year of a pass, from the moment it was taken or renewed (local time),
    paid from the balance (prepaid, capped when the grid says so) or billed on the invoice of the
    month it starts (postpaid) through its charge. Unique per holding and number: a renewal run
    twice makes one period."""

    holding = models.ForeignKey(PassHolding, on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveIntegerField(_("period"))
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    fee = MoneyField(_("fee excl. tax"))
    movement = models.OneToOneField(
        "subscriptions.PrepaidMovement",
        verbose_name=_("paid from the balance"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    charge = models.OneToOneField(
        "billing.Charge",
        verbose_name=_("billed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
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
        ordering = ["holding", "number"]
        verbose_name = _("period of a pass")
        verbose_name_plural = _("periods of passes")
        constraints = [
            models.UniqueConstraint(fields=["holding", "number"], name="pass_period_once")
        ]

    def __str__(self) -> str:
        return f"{self.holding} #{self.number}"


class OptionMonthPaid(models.Model):
    """R10.7: a month of an ordinary option (not a pass) on a capped postpaid line, paid in
    advance from the line's top-up balance when the grid says so; unique per option taken and
    month, so a rerun never debits it twice. The invoice shows it at 0.000 (billing/invoicing)."""

    line_option = models.ForeignKey(
        LineOption, on_delete=models.CASCADE, related_name="months_paid"
    )
    month = models.DateField(_("month"))  # its first day
    fee = MoneyField(_("fee excl. tax"))
    movement = models.OneToOneField(
        "subscriptions.PrepaidMovement",
        verbose_name=_("paid from the balance"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    job = models.CharField(_("job"), max_length=80, blank=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = _("option month paid from the balance")
        verbose_name_plural = _("option months paid from the balance")
        constraints = [
            models.UniqueConstraint(fields=["line_option", "month"], name="option_month_paid_once")
        ]

    def __str__(self) -> str:
        return f"{self.line_option} {self.month:%m/%Y}"


class Interruption(models.Model):
    """RK.1: a partner cut, partly restored or degraded a pass, or the calls to a country or a
    zone (then every pass that includes them is affected); its scope over time is its changes
    (`InterruptionChange`), each recorded with who and when."""

    partner = models.CharField(_("partner"), max_length=120)
    cause = models.CharField(_("cause"), max_length=255)
    calls_to = models.CharField(
        _("calls interrupted to"),
        max_length=40,
        blank=True,
        help_text=_(
            "A country (MA) or a zone (maghreb) of the international prefixes: the passes that "
            "include calls there are affected."
        ),
    )
    options = models.ManyToManyField(
        Option,
        verbose_name=_("passes affected"),
        limit_choices_to={"kind": Option.Kind.PASS},
        related_name="interruptions",
        blank=True,
    )
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("partner interruption")
        verbose_name_plural = _("partner interruptions")

    def __str__(self) -> str:
        return f"{self.partner} — {timezone.localtime(self.started_at):%d/%m/%Y}"


class InterruptionChange(models.Model):
    """RK.1, RK.2: the scope of an interruption from an instant (the first row is its start, a
    `restored` row its end), who recorded it and when; the notices of the change and their
    progress. Appended, never edited (except the progress counters)."""

    class Scope(models.TextChoices):
        FULL = "full", _("Full cut")
        PARTIAL = "partial", _("Partial restoration")
        DEGRADED = "degraded", _("Degraded quality")
        RESTORED = "restored", _("Service restored")

    interruption = models.ForeignKey(Interruption, on_delete=models.CASCADE, related_name="changes")
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    effective_at = models.DateTimeField(_("from"))
    note = models.CharField(_("note"), max_length=255, blank=True)
    at = models.DateTimeField(_("recorded at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    lines_total = models.PositiveIntegerField(_("lines to tell"), default=0)
    notices_total = models.PositiveIntegerField(_("e-mails and SMS to send"), default=0)
    notices_sent = models.PositiveIntegerField(_("e-mails and SMS sent"), default=0)
    notices_created_at = models.DateTimeField(null=True, blank=True, editable=False)
    # RK.2: when its batches were last queued or one of them saved its progress; the beat
    # queues them again only after a while without either (passes.tasks.REDELIVERY_DELAY).
    notices_worked_at = models.DateTimeField(null=True, blank=True, editable=False)
    notified_at = models.DateTimeField(_("all told at"), null=True, blank=True)
    credited_at = models.DateTimeField(_("days credited at"), null=True, blank=True)

    class Meta:
        ordering = ["interruption", "effective_at", "pk"]
        verbose_name = _("change of an interruption's scope")
        verbose_name_plural = _("changes of an interruption's scope")
        constraints = [
            models.UniqueConstraint(
                fields=["interruption", "effective_at"], name="interruption_change_one_per_instant"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} — {timezone.localtime(self.effective_at):%d/%m %H:%M}"


class PassNotice(models.Model):
    """An e-mail or an SMS about a pass (renewed, ended, interrupted, restored), in the
    customer's language; its unique key makes it exist once, `sent_at` makes it go out once."""

    class Kind(models.TextChoices):
        RENEWED = "renewed", _("Pass renewed")
        ENDED = "ended", _("Pass ended")
        INTERRUPTION = "interruption", _("Pass interrupted or restored")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="pass_notices")
    holding = models.ForeignKey(PassHolding, on_delete=models.CASCADE, related_name="notices")
    change = models.ForeignKey(
        InterruptionChange,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
    )
    kind = models.CharField(_("about"), max_length=12, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("pass notice")
        verbose_name_plural = _("pass notices")
        indexes = [
            models.Index(
                fields=["change", "id"],
                condition=Q(sent_at__isnull=True),
                name="pass_notice_to_send",
            )
        ]

    def __str__(self) -> str:
        return f"{self.line}: {self.get_kind_display()} ({self.get_channel_display()})"


class InterruptionCredit(models.Model):
    """RK.3: the days of one scope of an interruption credited to one period of a pass, once
    (unique per change and period): a credit line on the next invoice (postpaid, its charge) or
    credit on the balance (prepaid, its movement)."""

    change = models.ForeignKey(InterruptionChange, on_delete=models.PROTECT, related_name="credits")
    period = models.ForeignKey(PassPeriod, on_delete=models.PROTECT, related_name="credits")
    days = models.PositiveIntegerField(_("days"))
    share = models.DecimalField(_("share of a day"), max_digits=5, decimal_places=4)
    amount = MoneyField(_("amount"))
    charge = models.OneToOneField(
        "billing.Charge", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    movement = models.OneToOneField(
        "subscriptions.PrepaidMovement",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    job = models.CharField(_("job"), max_length=80, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("interruption credit")
        verbose_name_plural = _("interruption credits")
        constraints = [
            models.UniqueConstraint(fields=["change", "period"], name="interruption_credit_once")
        ]

    def __str__(self) -> str:
        return f"{self.period}: {self.amount}"
