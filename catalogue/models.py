"""The tariff grid: offers, options and passes, one-off fees, deposits, taxes and grid parameters.

Every price is a row with an `effective_from` date; a change of price is a new row, never an edit
of a row already in force (R1.3). `catalogue.selectors.in_force` is the one way to read the row in
force on a given day.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from lib.money import MoneyField


class EffectiveDated(models.Model):
    effective_from = models.DateField(_("effective from"))

    class Meta:
        abstract = True
        ordering = ["-effective_from"]


class TranslatedName(models.Model):
    """A name in French (the grid's language), with optional Arabic and English versions."""

    name = models.CharField(_("name (French)"), max_length=120)
    name_ar = models.CharField(_("name (Arabic)"), max_length=120, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        language = (get_language() or "fr")[:2]
        return getattr(self, f"name_{language}", "") or self.name


class Offer(TranslatedName):
    """R1.1: a prepaid, postpaid or capped postpaid offer."""

    class Kind(models.TextChoices):
        PREPAID = "prepaid", _("Prepaid")
        POSTPAID = "postpaid", _("Postpaid")
        CAPPED = "capped", _("Capped postpaid")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    minimum_commitment_months = models.PositiveSmallIntegerField(
        _("minimum commitment (months)"), default=0
    )
    minimum_invoice_applies = models.BooleanField(
        _("minimum invoice applies (R9.1)"), default=False
    )
    is_sold = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")

    @property
    def is_postpaid(self) -> bool:
        return self.kind != self.Kind.PREPAID


class OfferTerms(EffectiveDated):
    """R1.1: an offer's monthly fee, allowances and usage rates from a date."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="terms")
    monthly_fee = MoneyField(_("monthly fee excl. tax"))
    voice_minutes_included = models.PositiveIntegerField(_("voice minutes included"), default=0)
    sms_included = models.PositiveIntegerField(_("SMS included"), default=0)
    data_mb_included = models.PositiveIntegerField(_("data included (MB)"), default=0)
    voice_rate = MoneyField(_("national voice rate per minute"))
    sms_rate = MoneyField(_("SMS rate"))
    data_rate_per_mb = MoneyField(_("data rate per MB"))

    class Meta(EffectiveDated.Meta):
        verbose_name = _("offer terms")
        verbose_name_plural = _("offer terms")
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "effective_from"], name="offer_terms_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.offer} — {self.effective_from}"


class InternationalRate(EffectiveDated):
    """R1.1: an offer's per-minute rate to a destination zone."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="international_rates")
    zone = models.SlugField(_("destination zone"), max_length=40)
    zone_name = models.CharField(_("zone name"), max_length=80)
    rate_per_minute = MoneyField(_("rate per minute"))

    class Meta(EffectiveDated.Meta):
        verbose_name = _("international rate")
        verbose_name_plural = _("international rates")
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "zone", "effective_from"], name="international_rate_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.offer} → {self.zone_name}"


class Option(TranslatedName):
    """R1.2: an option or pass taken on top of an offer, for a period, with its own commitment."""

    class Kind(models.TextChoices):
        OPTION = "option", _("Option")
        PASS = "pass", _("Pass")

    class Period(models.TextChoices):
        WEEK = "week", _("week")
        MONTH = "month", _("month")
        YEAR = "year", _("year")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.OPTION)
    period = models.CharField(_("period"), max_length=10, choices=Period.choices)
    renews = models.BooleanField(_("renews automatically"), default=True)
    minimum_commitment_months = models.PositiveSmallIntegerField(
        _("minimum commitment (months)"), default=0
    )
    description = models.CharField(_("what it includes (French)"), max_length=255, blank=True)
    description_ar = models.CharField(_("what it includes (Arabic)"), max_length=255, blank=True)
    description_en = models.CharField(_("what it includes (English)"), max_length=255, blank=True)
    offers = models.ManyToManyField(
        Offer, verbose_name=_("available on"), related_name="options", blank=True
    )
    is_sold = models.BooleanField(_("on sale"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("option or pass")
        verbose_name_plural = _("options and passes")

    @property
    def description_label(self) -> str:
        """What it includes, in the page's language (French when the grid has no translation)."""
        language = (get_language() or "fr")[:2]
        return getattr(self, f"description_{language}", "") or self.description


class OptionPrice(EffectiveDated):
    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="prices")
    fee = MoneyField(_("fee per period excl. tax"))

    class Meta(EffectiveDated.Meta):
        verbose_name = _("option price")
        verbose_name_plural = _("option prices")
        constraints = [
            models.UniqueConstraint(
                fields=["option", "effective_from"], name="option_price_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.option} — {self.effective_from}"


class Fee(EffectiveDated):
    """R1.3, R12.1: a one-off fee or a deposit, for every offer or for one offer."""

    class Kind(models.TextChoices):
        CONNECTION = "connection", _("Connection fee")
        SIM_REPLACEMENT = "sim_replacement", _("SIM replacement")
        MIGRATION = "migration", _("Migration postpaid to prepaid")
        DUPLICATE_INVOICE = "duplicate_invoice", _("Duplicate invoice")
        DETAILED_BILLING = "detailed_billing", _("Detailed billing")
        UNPAID_INSTRUMENT = "unpaid_instrument", _("Unpaid payment instrument")
        UNRETURNED_SIM = "unreturned_sim", _("Unreturned SIM")
        UNRETURNED_TERMINAL = "unreturned_terminal", _("Unreturned terminal")
        DEPOSIT = "deposit", _("Deposit")

    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    offer = models.ForeignKey(
        Offer,
        verbose_name=_("offer"),
        on_delete=models.CASCADE,
        related_name="fees",
        null=True,
        blank=True,
        help_text=_("Leave empty for a fee that applies to every offer."),
    )
    amount = MoneyField(_("amount excl. tax"))

    class Meta(EffectiveDated.Meta):
        verbose_name = _("fee or deposit")
        verbose_name_plural = _("fees and deposits")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "offer", "effective_from"],
                condition=Q(offer__isnull=False),
                name="fee_one_per_offer_and_day",
            ),
            models.UniqueConstraint(
                fields=["kind", "effective_from"],
                condition=Q(offer__isnull=True),
                name="fee_one_general_per_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.effective_from}"


class GridParameters(EffectiveDated):
    """Taxes and the parameters RULES.md leaves to the grid, from a date."""

    vat_rate = models.DecimalField(
        _("VAT rate"), max_digits=5, decimal_places=4, help_text=_("0.1900 for 19 %.")
    )
    stamp_duty = MoneyField(_("stamp duty per invoice"))
    minimum_invoice_excl_tax = MoneyField(_("minimum invoice excl. tax (R9.1)"))
    invoice_due_days = models.PositiveSmallIntegerField(_("days to pay an invoice (R9.3)"))
    incomplete_file_days = models.PositiveSmallIntegerField(
        _("days to complete a file after activation (R13.1)")
    )
    prepaid_grace_days = models.PositiveSmallIntegerField(_("prepaid grace period (days, R2.8)"))
    prepaid_preservation_days = models.PositiveSmallIntegerField(
        _("prepaid preservation period (days, R2.9)")
    )
    number_quarantine_days = models.PositiveSmallIntegerField(_("number quarantine (days, R17.3)"))
    activation_hours = models.PositiveSmallIntegerField(
        _("hours to open a complete file (R3.2)"), default=24
    )
    refusal_days = models.PositiveSmallIntegerField(_("days to send a refusal (R6.2)"), default=15)
    legal_admin_fee = MoneyField(_("legal action: administrative fees (R19.1)"), default=40)
    legal_lawyer_fee = MoneyField(_("legal action: lawyer fees per instance (R19.1)"), default=250)
    late_interest_rate = models.DecimalField(
        _("late interest per year (R19.1)"), max_digits=5, decimal_places=4, default="0.1300"
    )
    overdue_suspension_days = models.PositiveSmallIntegerField(
        _("days after an invoice's due date before the customer's lines are suspended (R10.4)"),
        default=10,
    )
    suspension_warning_days = models.PositiveSmallIntegerField(
        _("days before a suspension for an unpaid invoice that the customer is warned (R10.4)"),
        default=3,
    )
    incomplete_file_termination_days = models.PositiveSmallIntegerField(
        _("days suspended for an incomplete file before termination (R17.1)"), default=30
    )
    suspension_termination_days = models.PositiveSmallIntegerField(
        _("days suspended before termination by right, unless extended (R17.5)"), default=60
    )
    termination_notice_days = models.PositiveSmallIntegerField(
        _("days from the receipt of a termination letter to its effect (R16.1)"), default=60
    )
    registered_letter_days = models.PositiveSmallIntegerField(
        _("days a registered letter is expected to take, for the customer's preview"), default=3
    )
    just_motive_subscription_days = models.PositiveSmallIntegerField(
        _("days from subscription to terminate for a service unavailable (R16.8)"), default=30
    )
    just_motive_notification_days = models.PositiveSmallIntegerField(
        _("days from a notified change to terminate for it (R16.7, R16.9)"), default=10
    )
    interruption_partial_share = models.DecimalField(
        _("share of a pass's day credited for a partly restored day (RK.3)"),
        max_digits=5,
        decimal_places=4,
        default=0,
        help_text=_("0.5000 credits half a day; 0 credits nothing."),
    )
    interruption_degraded_share = models.DecimalField(
        _("share of a pass's day credited for a day of degraded quality (RK.3)"),
        max_digits=5,
        decimal_places=4,
        default=0,
    )
    capped_balance_pays_passes = models.BooleanField(
        _("capped postpaid: the top-up balance pays passes (R10.7)"), default=False
    )
    capped_balance_pays_options = models.BooleanField(
        _("capped postpaid: the top-up balance pays the options' monthly fees (R10.7)"),
        default=False,
    )

    class Meta(EffectiveDated.Meta):
        verbose_name = _("grid parameters")
        verbose_name_plural = _("grid parameters")
        constraints = [
            models.UniqueConstraint(fields=["effective_from"], name="grid_parameters_one_per_day")
        ]

    def __str__(self) -> str:
        return str(self.effective_from)


class PrepaidValidity(EffectiveDated):
    """R2.7: the validity a top-up of at least `minimum_top_up` opens.

    The table in force on a day is every row sharing the latest `effective_from` on or before
    that day: publishing a new table means adding all its tiers with the new date.
    """

    minimum_top_up = MoneyField(_("top-up from"))
    validity_days = models.PositiveSmallIntegerField(_("validity (days)"))

    class Meta(EffectiveDated.Meta):
        ordering = ["-effective_from", "minimum_top_up"]
        verbose_name = _("prepaid validity")
        verbose_name_plural = _("prepaid validity table")
        constraints = [
            models.UniqueConstraint(
                fields=["minimum_top_up", "effective_from"], name="prepaid_validity_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"≥ {self.minimum_top_up} TND: {self.validity_days} j"


class RequiredDocument(TranslatedName):
    """R3.1: a piece the grid asks of a customer type to open a subscription file."""

    class CustomerKind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        COMPANY = "company", _("Company")

    customer_kind = models.CharField(
        _("customer type"), max_length=10, choices=CustomerKind.choices
    )
    code = models.SlugField(_("code"), max_length=40)
    help_text = models.CharField(_("what to send"), max_length=255, blank=True)
    uploaded_by_customer = models.BooleanField(
        _("uploaded by the customer"),
        default=True,
        help_text=_("Off for a piece only the boutique records, like the signed original."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["customer_kind", "position", "code"]
        verbose_name = _("required document")
        verbose_name_plural = _("required documents")
        constraints = [
            models.UniqueConstraint(
                fields=["customer_kind", "code"], name="required_document_once_per_kind"
            )
        ]


class DestinationPrefix(EffectiveDated):
    """R1.1: an international prefix (country code, or a longer prefix within it), the country it
    reaches and the zone whose rate applies. A called number is rated by its longest matching
    prefix in the table in force on the call's day: every row sharing the latest
    `effective_from` on or before that day (publishing a new table means adding all its rows
    with the new date)."""

    prefix = models.CharField(
        _("prefix"), max_length=12, help_text=_("Digits after the +, for example 212 for Morocco.")
    )
    country = models.CharField(
        _("country code"), max_length=2, help_text=_("ISO 3166 code, for example MA.")
    )
    country_name = models.CharField(_("country"), max_length=80)
    zone = models.SlugField(
        _("destination zone"), max_length=40, help_text=_("The zone of the offers' rates.")
    )

    class Meta(EffectiveDated.Meta):
        ordering = ["-effective_from", "prefix"]
        verbose_name = _("international prefix")
        verbose_name_plural = _("international prefixes")
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "effective_from"], name="destination_prefix_one_per_day"
            )
        ]

    def __str__(self) -> str:
        return f"+{self.prefix} {self.country_name} ({self.zone})"


class PassAllowance(EffectiveDated):
    """R1.2: what a pass includes while it runs: usage of a kind (to a country for international
    calls), unlimited or up to a quantity per period, and an optional fair-use limit beyond which
    an unlimited allowance is rated normally. The allowances in force on a day are the pass's
    rows sharing the latest `effective_from` on or before that day."""

    class Kind(models.TextChoices):
        VOICE = "voice", _("National calls")
        SMS = "sms", _("SMS")
        DATA = "data", _("Data")
        INTERNATIONAL = "international", _("International calls")

    option = models.ForeignKey(
        Option, verbose_name=_("pass"), on_delete=models.CASCADE, related_name="allowances"
    )
    kind = models.CharField(_("usage"), max_length=14, choices=Kind.choices)
    country = models.CharField(
        _("country code"),
        max_length=2,
        blank=True,
        help_text=_("International calls only: the country of the prefixes included."),
    )
    quantity = models.DecimalField(
        _("quantity per period"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Minutes, messages or MB; empty for unlimited."),
    )
    fair_use = models.DecimalField(
        _("fair-use limit per period"),
        max_digits=12,
        decimal_places=3,
        null=True,
        blank=True,
        help_text=_("Empty when the operator sets none."),
    )

    class Meta(EffectiveDated.Meta):
        verbose_name = _("pass allowance")
        verbose_name_plural = _("pass allowances")
        constraints = [
            models.UniqueConstraint(
                fields=["option", "kind", "country", "effective_from"],
                name="pass_allowance_one_per_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.option}: {self.get_kind_display()} {self.country}".strip()

    @property
    def limit(self):
        """The quantity included per period, None when unlimited with no fair-use limit."""
        return self.quantity if self.quantity is not None else self.fair_use
