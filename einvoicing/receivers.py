"""What einvoicing does when billing signals (`billing.signals`); connected in
EinvoicingConfig.ready()."""

from django.dispatch import receiver

from billing.signals import invoices_issued
from einvoicing.services import submissions_record


@receiver(invoices_issued)
def invoices_issued_record(*, invoices, **kwargs) -> None:
    """Those in scope go to TTN (El Fatoora): a submission row each, in the issuing transaction."""
    submissions_record(invoices)
