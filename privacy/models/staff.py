"""Who of the staff opened a customer's personal data (R6.5), and the customer's service PIN
(R7.4), which staff never see."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from subscriptions.models import Customer


class StaffAccessLog(models.Model):
    """R6.5: one row each time staff open a customer's identity documents or personal page."""

    class What(models.TextChoices):
        IDENTITY_DOCUMENT = "document", _("Identity document")
        CUSTOMER_PAGE = "customer", _("Customer page")

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff_accesses",
        help_text=_("Empty for a file whose customer is not created yet."),
    )
    what = models.CharField(_("what"), max_length=10, choices=What.choices)
    detail = models.CharField(_("detail"), max_length=120, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("staff access to personal data")
        verbose_name_plural = _("staff accesses to personal data")
        indexes = [models.Index(fields=["customer", "-at"])]

    def __str__(self) -> str:
        return f"{self.staff} — {self.get_what_display()} — {self.customer}"


class ServicePin(models.Model):
    """R7.4: the customer's service PIN, kept as a password hash. Registered in no admin."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="service_pin")
    pin_hash = models.CharField(max_length=128)
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("service PIN")
        verbose_name_plural = _("service PINs")

    def __str__(self) -> str:
        return str(_("service PIN"))
