"""Core records: customers, contracts (billing accounts), lines, the number pool and SIM stock."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Boutique
from catalogue.models import Offer, Option
from lib.identifiers import (
    validate_cin,
    validate_iccid,
    validate_msisdn,
    validate_passport,
    validate_tax_id,
)


class Customer(models.Model):
    """An individual (CIN or passport) or a company (trade register, matricule fiscal)."""

    class Kind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        COMPANY = "company", _("Company")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("portal account"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
    )
    boutique = models.ForeignKey(
        Boutique, verbose_name=_("boutique"), on_delete=models.PROTECT, related_name="customers"
    )
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    cin = models.CharField(_("CIN number"), max_length=8, blank=True, validators=[validate_cin])
    passport_number = models.CharField(
        _("passport number"), max_length=9, blank=True, validators=[validate_passport]
    )
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    trade_register_number = models.CharField(_("trade register number"), max_length=40, blank=True)
    tax_id = models.CharField(
        _("matricule fiscal"), max_length=16, blank=True, validators=[validate_tax_id]
    )
    street = models.CharField(_("address"), max_length=255)
    postal_code = models.CharField(_("postal code"), max_length=4)
    city = models.CharField(_("city"), max_length=80)
    email = models.EmailField(_("e-mail address"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name", "company_name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind="individual", cin__regex=r"^\d{8}$")
                    | Q(kind="individual", passport_number__regex=r"^[A-Z0-9]{6,9}$")
                    | Q(kind="company", tax_id__gt="", trade_register_number__gt="")
                ),
                name="customer_identified",
            ),
            models.UniqueConstraint(
                fields=["cin"], condition=~Q(cin=""), name="customer_cin_unique"
            ),
            models.UniqueConstraint(
                fields=["tax_id"], condition=~Q(tax_id=""), name="customer_tax_id_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        if self.kind == self.Kind.COMPANY:
            return self.company_name
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def language(self) -> str:
        """The language of their documents and messages: their portal account's, else French."""
        return (self.user.language if self.user else "") or settings.LANGUAGE_CODE

    @property
    def identity_number(self) -> str:
        return self.tax_id if self.kind == self.Kind.COMPANY else (self.cin or self.passport_number)


class Contract(models.Model):
    """A subscription contract, which is also the billing account of its lines."""

    class InvoiceDelivery(models.TextChoices):
        EMAIL = "email", _("By e-mail")
        PAPER = "paper", _("On paper, by post")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    reference = models.CharField(_("reference"), max_length=20, unique=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    starts_on = models.DateField(
        _("takes effect on"),
        null=True,
        blank=True,
        help_text=_("First activation of a line (R4.1)."),
    )
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    invoice_delivery = models.CharField(
        _("invoices sent"),
        max_length=5,
        choices=InvoiceDelivery.choices,
        default=InvoiceDelivery.EMAIL,
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")

    def __str__(self) -> str:
        return self.reference


class MobileNumber(models.Model):
    """A number of the pool: free, assigned to a line, or in quarantine after a termination."""

    class Status(models.TextChoices):
        AVAILABLE = "available", _("Available")
        ASSIGNED = "assigned", _("Assigned")
        QUARANTINE = "quarantine", _("In quarantine")

    msisdn = models.CharField(_("number"), max_length=12, unique=True, validators=[validate_msisdn])
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.AVAILABLE
    )
    quarantine_until = models.DateField(_("in quarantine until"), null=True, blank=True)

    class Meta:
        ordering = ["msisdn"]
        verbose_name = _("mobile number")
        verbose_name_plural = _("number pool")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="quarantine", quarantine_until__isnull=False)
                | (~Q(status="quarantine") & Q(quarantine_until__isnull=True)),
                name="number_quarantine_has_end",
            )
        ]

    def __str__(self) -> str:
        return self.msisdn


class SimCard(models.Model):
    class Status(models.TextChoices):
        IN_STOCK = "in_stock", _("In stock")
        ASSIGNED = "assigned", _("Assigned")
        RETIRED = "retired", _("Retired")

    iccid = models.CharField(_("ICCID"), max_length=20, unique=True, validators=[validate_iccid])
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.IN_STOCK
    )
    boutique = models.ForeignKey(
        Boutique,
        verbose_name=_("boutique"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sim_cards",
    )

    class Meta:
        ordering = ["iccid"]
        verbose_name = _("SIM card")
        verbose_name_plural = _("SIM cards")

    def __str__(self) -> str:
        return self.iccid


class Line(models.Model):
    """A mobile line. Its life cycle is `subscriptions.lifecycle.records`; never set `status`
    elsewhere."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending activation")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        GRACE = "grace", _("In grace period")
        PRESERVATION = "preservation", _("In preservation period")
        TERMINATED = "terminated", _("Terminated")

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="lines"
    )
    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), on_delete=models.PROTECT, related_name="lines"
    )
    number = models.ForeignKey(
        MobileNumber, verbose_name=_("number"), on_delete=models.PROTECT, related_name="lines"
    )
    sim = models.ForeignKey(
        SimCard,
        verbose_name=_("SIM card"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lines",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.PENDING, editable=False
    )
    activated_at = models.DateTimeField(_("first activated at"), null=True, blank=True)
    commitment_ends_on = models.DateField(_("commitment ends on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("line")
        verbose_name_plural = _("lines")
        constraints = [
            models.UniqueConstraint(
                fields=["number"], condition=~Q(status="terminated"), name="line_live_number_unique"
            ),
            models.UniqueConstraint(
                fields=["sim"], condition=~Q(status="terminated"), name="line_live_sim_unique"
            ),
        ]

    def __str__(self) -> str:
        return str(self.number)


class LineOption(models.Model):
    """R1.2, R4.2: an option or pass on a line; its own commitment runs from the day it is taken."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="line_options")
    option = models.ForeignKey(Option, verbose_name=_("option"), on_delete=models.PROTECT)
    started_on = models.DateField(_("taken on"))
    commitment_ends_on = models.DateField(_("commitment ends on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        ordering = ["started_on"]
        verbose_name = _("option of a line")
        verbose_name_plural = _("options of a line")

    def __str__(self) -> str:
        return str(self.option)


class ChangeRecord(models.Model):
    """Who (a person, or a job when nobody clicked) changed something, and when. History rows
    are appended, never edited."""

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
        abstract = True
        ordering = ["at", "pk"]


class LineStatusChange(ChangeRecord):
    """Appended on every move of a line's life cycle: who or which job, when, from, to and why."""

    line = models.ForeignKey(Line, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(_("from"), max_length=12, choices=Line.Status.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=Line.Status.choices)
    reason = models.CharField(_("reason"), max_length=255)

    class Meta(ChangeRecord.Meta):
        verbose_name = _("line status change")
        verbose_name_plural = _("line status changes")

    def __str__(self) -> str:
        return f"{self.line}: {self.from_status} → {self.to_status}"
