"""Invoices (frozen at issue), their lines, the numbering counter, one-off charges, runs."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from lib.money import MoneyField
from subscriptions.models import Contract, Customer, Line


class InvoiceCounter(models.Model):
    """The last number given in a series and year; locked with select_for_update to number."""

    series = models.CharField(max_length=2)
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "year"], name="invoice_counter_one_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.series}{self.year}: {self.last_number}"


class Invoice(models.Model):
    """A monthly invoice (R9.1) or a credit note, frozen at issue: never edited afterwards."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.INVOICE)
    # R10.2: the contract's final invoice, dated on the termination date, its period ending then.
    is_final = models.BooleanField(_("final invoice (R10.2)"), default=False, editable=False)
    contract = models.ForeignKey(
        Contract, verbose_name=_("account"), on_delete=models.PROTECT, related_name="invoices"
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    number = models.CharField(_("number"), max_length=20, unique=True)
    issued_on = models.DateField(_("issued on"))
    due_on = models.DateField(_("due on (R9.3)"))
    customer_name = models.CharField(_("customer"), max_length=200)
    customer_identity = models.CharField(_("CIN or matricule fiscal"), max_length=40)
    customer_address = models.CharField(_("address"), max_length=400)
    language = models.CharField(_("language"), max_length=5, default="fr")
    total_excl_tax = MoneyField(_("total excl. tax"))
    vat_rate = models.DecimalField(_("VAT rate"), max_digits=5, decimal_places=4)
    vat_amount = MoneyField(_("VAT"))
    stamp_duty = MoneyField(_("stamp duty"))
    total_incl_tax = MoneyField(_("total incl. tax"))
    commitment_ends_on = models.DateField(_("commitment until"), null=True, blank=True)
    pdf = models.FileField(_("PDF"), blank=True, editable=False)
    # The invoice e-mail's outbox state (billing/documents.py, billing/outbox.py): claimed by a
    # worker (a claim older than OUTBOX_STALE_SECONDS is a dead worker's), then sent, with the
    # Message-ID given to the mail and the provider's id once it accepted it.
    email_claimed_at = models.DateTimeField(
        _("e-mail claimed at"), null=True, blank=True, editable=False
    )
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True, editable=False)
    email_message_id = models.CharField(
        _("e-mail message id"), max_length=255, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # A credit note: the invoice it corrects, why, and who issued it (billing/credit_notes.py).
    corrects = models.ForeignKey(
        "self",
        verbose_name=_("corrects invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="credit_notes",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    issued_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("issued by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-issued_on", "-number"]
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        constraints = [
            # One invoice per account and period, whatever runs at once (R9.1). A final
            # invoice (R10.2) is apart: it may follow the month's invoice when the termination
            # is processed after the monthly run, and bill what that invoice did not.
            models.UniqueConstraint(
                fields=["contract", "period_start"],
                condition=Q(kind="invoice", is_final=False),
                name="invoice_one_per_account_and_period",
            )
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def title(self) -> str:
        """What the document is called on its PDF and in the lists."""
        return str(_("Final invoice")) if self.is_final else self.get_kind_display()

    @property
    def advance_deducted(self):
        """R11.2: the advance payments used by this invoice; its totals stay as issued."""
        return sum(
            (
                a.amount
                for a in self.allocations.filter(
                    payment__is_advance=True, payment__reversed_at__isnull=True
                )
            ),
            Decimal("0.000"),
        )

    @property
    def amount_due(self) -> Decimal:
        """R11.2: what the invoice asks its customer to pay: its total incl. tax minus the
        advance payments deducted from it (the sentence asking for payment names this)."""
        return self.total_incl_tax - self.advance_deducted


class InvoiceLine(models.Model):
    class Kind(models.TextChoices):
        SUBSCRIPTION = "subscription", _("Monthly fee")
        OPTION = "option", _("Option or pass")
        USAGE = "usage", _("Usage beyond allowances")
        ONE_OFF = "one_off", _("One-off fee")
        MINIMUM = "minimum", _("Minimum billing complement")
        CARRIED_DEBT = "carried_debt", _("Debt carried from another account")
        INCLUDED = "included", _("Usage included in a pass")
        CREDIT = "credit", _("Credit")

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    taxable = models.BooleanField(_("subject to VAT"), default=True)
    line = models.ForeignKey(
        Line, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    label = models.CharField(_("label"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = MoneyField(_("unit price excl. tax"))
    amount_excl_tax = MoneyField(_("amount excl. tax"))
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label


class Charge(models.Model):
    """A one-off fee waiting for the next invoice of its account (R1.3, R9.4, R9.5)."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="charges")
    line = models.ForeignKey(
        Line, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    fee_kind = models.CharField(_("fee"), max_length=30)
    label = models.CharField(_("label"), max_length=200)
    amount = MoneyField(_("amount excl. tax"))
    charged_on = models.DateField(_("charged on"))
    # R10.4: a debt carried from another account was taxed on its own invoice already.
    taxable = models.BooleanField(_("subject to VAT"), default=True)
    invoice = models.ForeignKey(
        Invoice, on_delete=models.PROTECT, null=True, blank=True, related_name="charges"
    )
    # R9.5: the invoice a duplicate or a detailed bill was asked for (its fee is billed later).
    copy_of = models.ForeignKey(
        Invoice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="copy_charges",
        verbose_name=_("copy of"),
    )

    class Meta:
        ordering = ["charged_on", "pk"]
        verbose_name = _("one-off charge")
        verbose_name_plural = _("one-off charges")

    def __str__(self) -> str:
        return self.label


class BillingRun(models.Model):
    """A run for one calendar month: its progress shows in the admin."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    period_start = models.DateField(_("period"), unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RUNNING
    )
    accounts_total = models.PositiveIntegerField(_("accounts"), default=0)
    accounts_done = models.PositiveIntegerField(_("accounts done"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    started_at = models.DateTimeField(_("started at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The last progress: a run still running with none for OUTBOX_STALE_SECONDS was left by an
    # outage and resumes from beat (billing/outbox.py).
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # One PDF of the run's paper invoices, for the post (billing/delivery.py), with the number
    # of invoices it holds: rebuilt when the run has more (one was missing when it was built).
    paper_batch = models.FileField(_("printable batch"), blank=True, editable=False)
    paper_batch_invoices = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-period_start"]
        verbose_name = _("billing run")
        verbose_name_plural = _("billing runs")

    def __str__(self) -> str:
        return f"{self.period_start:%Y-%m}"


class BillingRunAccount(models.Model):
    """An account of a run (R9.1): the run's progress counts these rows, so a second start or a
    batch delivered twice counts each account once; done when its batch was worked (invoiced,
    nothing to bill, or failed with the error on the run)."""

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="accounts")
    # No foreign key in the database: inserting a row would take a share lock on the account,
    # and a run must not wait for an agent (or a batch) holding the account's row.
    contract = models.ForeignKey(
        Contract,
        verbose_name=_("account"),
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("account of a billing run")
        verbose_name_plural = _("accounts of a billing run")
        constraints = [
            models.UniqueConstraint(fields=["run", "contract"], name="billing_run_account_once")
        ]

    def __str__(self) -> str:
        return f"{self.run}: {self.contract_id}"


class UsageImport(models.Model):
    """A file of the mediation's usage records, as imported: what went in, what was refused.

    Issue 16: the file is stored, then read in chunks, each committed with the counters below,
    so that an import that stopped half-way says so (`importing`) and goes on from its last
    chunk (queued again by the beat when it made no progress for OUTBOX_STALE_SECONDS); only the
    end of the file makes it `done`."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        REFUSED = "refused", _("File refused")

    name = models.CharField(_("file"), max_length=255)
    source = models.FileField(_("stored file"), upload_to="usage-imports/%Y/%m/", blank=True)
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.QUEUED
    )
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # Its last progress (stored, a chunk committed): an unfinished import without progress for
    # OUTBOX_STALE_SECONDS is a dead worker's, queued again by billing/outbox.py.
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0)
    bytes_read = models.PositiveBigIntegerField(_("bytes read"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_imported = models.PositiveIntegerField(_("imported"), default=0)
    rows_duplicate = models.PositiveIntegerField(_("already imported"), default=0)
    rows_refused = models.PositiveIntegerField(_("refused"), default=0)
    # The first refused rows with their numbers (USAGE_IMPORT_ERRORS_LISTED); rows_refused counts
    # them all.
    errors = models.JSONField(_("refused rows"), default=list, blank=True)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("usage import")
        verbose_name_plural = _("usage imports")

    def __str__(self) -> str:
        return self.name

    @property
    def progress(self) -> int:
        """Per cent of the file read."""
        if self.status in (self.Status.DONE, self.Status.REFUSED):
            return 100
        return 100 * self.bytes_read // self.size if self.size else 0


class UsageRecord(models.Model):
    """One call, SMS or data session, priced by the grid in force on its day (R1.3)."""

    class Kind(models.TextChoices):
        VOICE = "voice", _("National calls")
        SMS = "sms", _("SMS")
        DATA = "data", _("Data")
        INTERNATIONAL = "international", _("International calls")

    line = models.ForeignKey(Line, on_delete=models.PROTECT, related_name="usage_records")
    started_at = models.DateTimeField(_("at"))
    kind = models.CharField(_("kind"), max_length=14, choices=Kind.choices)
    destination = models.CharField(_("destination"), max_length=40, blank=True)
    # R1.1: an international call's country, from the longest prefix of the called number.
    country = models.CharField(_("country"), max_length=2, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3)
    unit_price = MoneyField(_("unit price excl. tax"))
    # The same record in a file imported twice has the same key, so it goes in once.
    record_key = models.CharField(max_length=64, unique=True)
    usage_import = models.ForeignKey(UsageImport, on_delete=models.PROTECT, related_name="records")

    class Meta:
        ordering = ["started_at", "pk"]
        indexes = [models.Index(fields=["line", "started_at"], name="usage_line_time")]
        verbose_name = _("usage record")
        verbose_name_plural = _("usage records")

    def __str__(self) -> str:
        return f"{self.line} {self.kind} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"


class Payment(models.Model):
    """Money received for an account (R10.1), allocated to its oldest invoices; a bounced cheque
    or debit is reversed, never deleted (R9.4)."""

    class Method(models.TextChoices):
        CASH = "cash", _("Cash")
        CHEQUE = "cheque", _("Cheque")
        DIRECT_DEBIT = "direct_debit", _("Direct debit")
        TRANSFER = "transfer", _("Debt carried to another account (R10.4)")
        CREDIT_NOTE = "credit_note", _("Credit note")

    contract = models.ForeignKey(
        Contract, verbose_name=_("account"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = MoneyField(_("amount"))
    method = models.CharField(_("means"), max_length=14, choices=Method.choices)
    reference = models.CharField(_("reference"), max_length=60, blank=True)
    received_on = models.DateField(_("received on"))
    recorded_by = models.ForeignKey(
        "accounts.User", verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    reversed_at = models.DateTimeField(_("reversed at"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversal_reason = models.CharField(_("why reversed"), max_length=255, blank=True)
    # R11.2: an advance payment is used only by the invoices issued after it.
    is_advance = models.BooleanField(_("advance payment (R11.2)"), default=False)
    # A credit note settles what is owed like money received: its corrected invoice first.
    credit_note = models.OneToOneField(
        Invoice,
        verbose_name=_("credit note"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="settlement",
    )

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            # A direct debit file imported twice adds nothing: the bank's reference goes in once.
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(method="direct_debit") & ~Q(reference=""),
                name="payment_direct_debit_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} TND — {self.get_method_display()}"


class PaymentAllocation(models.Model):
    """The part of a payment that settles an invoice; ignored once the payment is reversed."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount = MoneyField(_("amount"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="allocation_positive")
        ]

    def __str__(self) -> str:
        return f"{self.payment_id} → {self.invoice_id}: {self.amount}"


class CreditLimit(models.Model):
    """R11.1: an account's credit limit per billing period; each revision is a new row."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="credit_limits")
    amount = MoneyField(_("credit limit"))
    set_by = models.ForeignKey(
        "accounts.User", verbose_name=_("set by"), on_delete=models.PROTECT, related_name="+"
    )
    set_at = models.DateTimeField(_("set at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=255)

    class Meta:
        ordering = ["-set_at", "-pk"]
        verbose_name = _("credit limit")
        verbose_name_plural = _("credit limits")

    def __str__(self) -> str:
        return f"{self.contract}: {self.amount}"


class AdvancePaymentRequest(models.Model):
    """R11.2: the operator asks for an advance payment when the limit is exceeded or an invoice
    is paid late; the advance is deducted from the next invoices and bears no interest."""

    class Reason(models.TextChoices):
        CREDIT_LIMIT = "credit_limit", _("Credit limit exceeded")
        LATE_PAYMENT = "late_payment", _("Late payment")

    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="advance_requests"
    )
    reason = models.CharField(_("reason"), max_length=14, choices=Reason.choices)
    amount = MoneyField(_("amount asked"))
    requested_on = models.DateField(_("asked on"))
    payment = models.OneToOneField(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="advance_request"
    )

    class Meta:
        ordering = ["-requested_on", "-pk"]
        verbose_name = _("advance payment request")
        verbose_name_plural = _("advance payment requests")
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "reason"],
                condition=Q(payment__isnull=True),
                name="advance_request_one_open_per_reason",
            )
        ]

    def __str__(self) -> str:
        return f"{self.contract}: {self.amount} ({self.get_reason_display()})"


class Deposit(models.Model):
    """R12.1, R12.2: the deposit held for an account, and its refund at the end."""

    contract = models.OneToOneField(Contract, on_delete=models.PROTECT, related_name="deposit")
    amount = MoneyField(_("deposit held"))
    received_on = models.DateField(_("received on"))
    refund_amount = MoneyField(_("amount to refund"), null=True, blank=True)
    refund_due_on = models.DateField(_("refund not before"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deposit")
        verbose_name_plural = _("deposits")

    def __str__(self) -> str:
        return f"{self.contract}: {self.amount}"


class DirectDebitImport(models.Model):
    """A file of direct debits returned by the bank (docs/direct-debit-file.md), as imported."""

    name = models.CharField(_("file"), max_length=255)
    imported_at = models.DateTimeField(_("imported at"), auto_now_add=True)
    imported_by = models.ForeignKey(
        "accounts.User", verbose_name=_("imported by"), on_delete=models.PROTECT, related_name="+"
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_paid = models.PositiveIntegerField(_("payments recorded"), default=0)
    rows_rejected = models.PositiveIntegerField(_("payments reversed"), default=0)
    rows_duplicate = models.PositiveIntegerField(_("already imported"), default=0)
    errors = models.JSONField(_("refused rows"), default=list, blank=True)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("direct debit import")
        verbose_name_plural = _("direct debit imports")

    def __str__(self) -> str:
        return self.name


class DebtTransfer(models.Model):
    """R10.4: the unpaid balance of an account carried onto another account of the customer."""

    source = models.ForeignKey(
        Contract, verbose_name=_("from account"), on_delete=models.PROTECT, related_name="+"
    )
    target = models.ForeignKey(
        Contract, verbose_name=_("to account"), on_delete=models.PROTECT, related_name="+"
    )
    amount = MoneyField(_("amount"))
    # The source's invoices are settled by this payment; the target owes this charge.
    payment = models.OneToOneField(Payment, on_delete=models.PROTECT, related_name="+")
    charge = models.OneToOneField(Charge, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        "accounts.User", verbose_name=_("by"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=255)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("carried debt")
        verbose_name_plural = _("carried debts")

    def __str__(self) -> str:
        return f"{self.source} → {self.target}: {self.amount}"


class BillingNotice(models.Model):
    """An e-mail or an SMS about money: the warning a few days before the lines are suspended for
    an unpaid invoice (R10.4), the receipt of a payment (R10.1). Its unique key makes it exist
    once, `sent_at` makes it go out once."""

    class Kind(models.TextChoices):
        SUSPENSION_WARNING = "suspension_warning", _("Warning before suspension (R10.4)")
        PAYMENT_RECEIPT = "payment_receipt", _("Payment receipt")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=5, choices=Channel.choices)
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("invoice"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
    )
    payment = models.ForeignKey(
        Payment,
        verbose_name=_("payment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notices",
    )
    suspension_on = models.DateField(_("suspension from"), null=True, blank=True)
    key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("billing notice")
        verbose_name_plural = _("billing notices")

    def __str__(self) -> str:
        return f"{self.customer}: {self.get_kind_display()} ({self.get_channel_display()})"
