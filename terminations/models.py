"""Terminations asked by the customer by registered letter (R16.*), terminations decided by the
operator (R17.1, R17.2, R17.5), and the changes of conditions notified to customers (R5.1, R5.2),
which open the just-motive windows of R16.7 and R16.9.

The dates and amounts of a termination are computed by `terminations.rules` and frozen on the
request's lines when the letter is received; the line's own life cycle stays in
`subscriptions.lifecycle.records`.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from billing.models import Invoice
from catalogue.models import Offer
from lib.money import MoneyField
from subscriptions.models import Customer, Line
from subscriptions.models.files import ALL_IDENTITY_CHECKED


class ConditionsChange(models.Model):
    """R5.1, R5.2: a change of the conditions or prices, published by a supervisor and notified
    to every customer holding a line of an offer concerned."""

    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("what changes"))
    effective_on = models.DateField(_("in force from"))
    offers = models.ManyToManyField(Offer, verbose_name=_("offers concerned"))
    raises_price = models.BooleanField(
        _("raises a price"),
        default=False,
        help_text=_("A price increase opens the just motive of R16.7; any change opens R16.9."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    customers_total = models.PositiveIntegerField(_("customers concerned"), default=0)
    customers_notified = models.PositiveIntegerField(_("customers notified"), default=0)
    notified_at = models.DateTimeField(
        _("every customer notified at"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("change of conditions")
        verbose_name_plural = _("changes of conditions")

    def __str__(self) -> str:
        return self.title


class ConditionsNotice(models.Model):
    """R5.1: one customer told of one change; `notified_at` is the notification date that opens
    their R16.7 / R16.9 window. Unique per change and customer, sent once (`notified_at` is the
    claim)."""

    change = models.ForeignKey(ConditionsChange, on_delete=models.CASCADE, related_name="notices")
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="conditions_notices",
    )
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)
    job = models.CharField(_("job"), max_length=80, blank=True)

    class Meta:
        ordering = ["-notified_at", "-pk"]
        verbose_name = _("notice of a change of conditions")
        verbose_name_plural = _("notices of changes of conditions")
        constraints = [
            models.UniqueConstraint(
                fields=["change", "customer"], name="conditions_notice_once_per_customer"
            )
        ]
        indexes = [
            models.Index(
                fields=["change", "id"],
                condition=Q(notified_at__isnull=True),
                name="conditions_notice_to_send",
            )
        ]

    def __str__(self) -> str:
        return f"{self.change} — {self.customer}"


class TerminationRequest(models.Model):
    """A customer's termination letter (R16.*): prepared in the portal, sent by registered post,
    received by the operator (date on the acknowledgement, scan), then carried out line by line."""

    class Motive(models.TextChoices):
        ORDINARY = "ordinary", _("Ordinary termination")
        TARIFF_INCREASE = "tariff_increase", _("Tariff increase (R16.7)")
        SERVICE_UNAVAILABLE = "service_unavailable", _("Basic service unavailable (R16.8)")
        CONDITIONS_CHANGE = "conditions_change", _("Change of conditions (R16.9)")

    class Status(models.TextChoices):
        PREPARED = "prepared", _("Letter prepared, awaiting its receipt")
        RECEIVED = "received", _("Letter received, termination under way")
        DONE = "done", _("Terminated")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="termination_requests",
    )
    motive = models.CharField(_("motive"), max_length=20, choices=Motive.choices)
    conditions_notice = models.ForeignKey(
        ConditionsNotice,
        verbose_name=_("change invoked"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PREPARED, editable=False
    )
    prepared_at = models.DateTimeField(_("prepared at"), auto_now_add=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("prepared by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    expected_receipt_on = models.DateField(_("receipt expected on"))
    received_on = models.DateField(
        _("received on (acknowledgement of receipt)"), null=True, blank=True
    )
    letter_scan = models.FileField(_("scan of the letter"), blank=True)
    sim_returned = models.BooleanField(
        _("SIM returned with the letter"),
        default=False,
        help_text=_("An unreturned SIM is deducted from the deposit refund (R12.2)."),
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("receipt recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    received_recorded_at = models.DateTimeField(_("receipt recorded at"), null=True, blank=True)
    motive_note = models.CharField(_("why the motive was not retained"), max_length=255, blank=True)
    receipt_notice_sent_at = models.DateTimeField(
        _("customer told of the receipt at"), null=True, blank=True, editable=False
    )
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-prepared_at", "-pk"]
        verbose_name = _("termination request")
        verbose_name_plural = _("termination requests")

    def __str__(self) -> str:
        return _("Termination %(reference)s") % {"reference": self.reference}

    @property
    def reference(self) -> str:
        return f"R{self.pk:07d}" if self.pk else "—"


class TerminationLine(models.Model):
    """One line of a termination request and what follows for it, frozen at receipt: the rule
    applied, the effective date, the fees owed and the refund due; then its end."""

    class Procedure(models.TextChoices):
        AFTER_COMMITMENT = "after_commitment", _("After the minimum period (R16.1)")
        BEFORE_COMMITMENT = "before_commitment", _("Before the end of the minimum period (R16.4)")
        JUST_MOTIVE = "just_motive", _("Just motive (R16.7 to R16.9)")

    request = models.ForeignKey(TerminationRequest, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.PROTECT, related_name="termination_lines"
    )
    procedure = models.CharField(
        _("procedure"), max_length=20, choices=Procedure.choices, blank=True
    )
    effective_on = models.DateField(_("effective on"), null=True, blank=True)
    fees_owed = MoneyField(_("remaining monthly fees owed (R16.3)"), default=0)
    subscription_fees_refund = MoneyField(_("subscription fees refunded (R16.8)"), default=0)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, editable=False)
    ended_job = models.CharField(_("ended by the job"), max_length=80, blank=True)
    final_invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("final invoice (R10.2)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["pk"]
        verbose_name = _("line to terminate")
        verbose_name_plural = _("lines to terminate")
        constraints = [
            models.UniqueConstraint(
                fields=["request", "line"], name="termination_line_once_per_request"
            )
        ]
        indexes = [
            models.Index(
                fields=["effective_on"],
                condition=Q(ended_at__isnull=True, effective_on__isnull=False),
                name="termination_line_due",
            )
        ]

    def __str__(self) -> str:
        return str(self.line)


class OperatorTermination(models.Model):
    """R17.1, R17.2, R17.5: a contract's line ended by the operator, with its cause, who
    decided, and the customer told once."""

    class Cause(models.TextChoices):
        FALSE_DECLARATION = "false_declaration", _("False declaration")
        BREACH = "breach", _("Breach of the contract")
        INCOMPLETE_FILE = "incomplete_file", _("File incomplete 3 days after activation")
        NON_PAYMENT = "non_payment", _("Non-payment")
        PRESERVATION_EXCEEDED = "preservation_exceeded", _("Preservation period exceeded")
        FRAUD = "fraud", _("Fraud")
        NATIONAL_SECURITY = "national_security", _("National security")
        LICENCE_WITHDRAWN = "licence_withdrawn", _("Operator's licence withdrawn (R17.2)")

    line = models.ForeignKey(
        Line,
        verbose_name=_("line"),
        on_delete=models.PROTECT,
        related_name="operator_terminations",
    )
    cause = models.CharField(_("cause"), max_length=24, choices=Cause.choices)
    reason = models.CharField(_("details"), max_length=255)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), auto_now_add=True)
    fees_owed = MoneyField(_("remaining monthly fees due at once (R17.5)"), default=0)
    advances_refunded = MoneyField(_("advances refunded (R17.2)"), default=0)
    final_invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("final invoice (R10.2)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    notice_sent_at = models.DateTimeField(
        _("customer told at"), null=True, blank=True, editable=False
    )

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("termination by the operator")
        verbose_name_plural = _("terminations by the operator")
        constraints = [
            models.UniqueConstraint(fields=["line"], name="operator_termination_once_per_line")
        ]

    def __str__(self) -> str:
        return f"{self.line}: {self.get_cause_display()}"


class PrepaidMigration(models.Model):
    """R15.1: a postpaid line moved to a prepaid offer, keeping its number and SIM, with the
    grid's migration fee; the postpaid part of the month is billed to the contract."""

    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.PROTECT, related_name="prepaid_migrations"
    )
    from_offer = models.ForeignKey(
        Offer, verbose_name=_("from the offer"), on_delete=models.PROTECT, related_name="+"
    )
    to_offer = models.ForeignKey(
        Offer, verbose_name=_("to the prepaid offer"), on_delete=models.PROTECT, related_name="+"
    )
    fee = MoneyField(_("migration fee excl. tax (R15.1)"), default=0)
    migrated_on = models.DateField(_("migrated on"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    final_invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("last postpaid invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("migration to prepaid")
        verbose_name_plural = _("migrations to prepaid")

    def __str__(self) -> str:
        return f"{self.line}: {self.from_offer} → {self.to_offer}"


class LineTransfer(models.Model):
    """R18.1: a line (number and SIM) handed to another holder, only with the operator's prior
    written consent: an agent records the request with the new holder's identity checked as at
    a subscription (R3.1, R3.3); a supervisor approves it in writing (a letter), and the line
    then passes to a contract of the new holder."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Awaiting a supervisor's written approval")
        DONE = "done", _("Approved and carried out")
        REFUSED = "refused", _("Refused")

    line = models.ForeignKey(
        Line, verbose_name=_("line"), on_delete=models.PROTECT, related_name="transfers"
    )
    new_holder = models.ForeignKey(
        Customer,
        verbose_name=_("new holder"),
        on_delete=models.PROTECT,
        related_name="lines_received",
    )
    identity_document = models.FileField(_("new holder's identity document (scan)"))
    last_name_ok = models.BooleanField(_("last name checked"), default=False)
    first_name_ok = models.BooleanField(_("first name checked"), default=False)
    cin_ok = models.BooleanField(_("CIN or passport number checked"), default=False)
    birth_date_ok = models.BooleanField(_("birth date checked"), default=False)
    address_ok = models.BooleanField(_("address checked"), default=False)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=Status.choices,
        default=Status.REQUESTED,
        editable=False,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decision_reason = models.CharField(_("decision"), max_length=255, blank=True, editable=False)
    approval_letter = models.FileField(_("written approval (R18.1)"), blank=True, editable=False)
    new_line = models.OneToOneField(
        Line,
        verbose_name=_("line of the new holder"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transferred_from",
        editable=False,
    )

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("transfer of a line")
        verbose_name_plural = _("transfers of lines")
        constraints = [
            # R3.3 as at a subscription: the five identity checks of the new holder, all made.
            models.CheckConstraint(
                condition=ALL_IDENTITY_CHECKED,
                name="line_transfer_identity_checked",
            ),
            models.UniqueConstraint(
                fields=["line"],
                condition=Q(status="requested"),
                name="line_transfer_one_pending_per_line",
            ),
        ]

    def __str__(self) -> str:
        return _("Transfer of %(number)s") % {"number": self.line}
