"""R7.7: a line sending advertising SMS without authorisation is put out of service as fraud
(R13.1), through the suspension causes: the report and its evidence are kept with the cause."""

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from abuse.models import AdvertisingSmsReport
from accounts.models import User
from accounts.roles import is_supervisor
from lib.uploads import CleanDocument, stored_name
from subscriptions.models import Line, SuspensionCause
from subscriptions.services.suspensions import SuspensionRefused, suspension_open


class ReportRefused(Exception):
    pass


def advertising_sms_suspend(
    *, line: Line, reported_by: str, description: str, evidence: CleanDocument, actor: User
) -> AdvertisingSmsReport:
    """A supervisor records the report with its evidence and suspends the line for fraud; a
    fraud cause already open on the line keeps the report attached to it (no second cause)."""
    if not is_supervisor(actor):
        raise ReportRefused(_("Only a supervisor may do this."))
    with transaction.atomic():
        report = AdvertisingSmsReport(
            line=line,
            reported_by=reported_by,
            description=description,
            evidence_name=evidence.original_name,
            evidence_sha256=evidence.sha256,
            recorded_by=actor,
        )
        report.evidence.save(stored_name(evidence), ContentFile(evidence.content), save=False)
        report.save()
        try:
            cause = suspension_open(
                line=line,
                cause=SuspensionCause.Cause.FRAUD,
                reason=f"R7.7: advertising SMS without authorisation (report {report.pk})",
                actor=actor,
            )
        except SuspensionRefused as error:
            raise ReportRefused(_("This line is not in service.")) from error
        report.suspension = (
            cause
            or SuspensionCause.objects.filter(
                line=line, cause=SuspensionCause.Cause.FRAUD, lifted_at__isnull=True
            )
            .exclude(sms_abuse_report__isnull=False)
            .first()
        )
        report.save(update_fields=["suspension"])
    return report
