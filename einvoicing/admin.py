"""The TTN outbox in the back office: supervisors follow each invoice's submission, filter by
status, and send a refused one again once its cause is corrected."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from einvoicing.models import Submission, SubmissionChange
from einvoicing.services import submission_retry


class SubmissionChangeInline(admin.TabularInline):
    model = SubmissionChange
    fields = readonly_fields = ("at", "from_status", "to_status", "actor", "job", "reason")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = [
        "invoice",
        "status",
        "ttn_reference",
        "attempts",
        "created_at",
        "answered_at",
        "refusal_reason",
        "last_error",
    ]
    list_filter = ["status", "created_at"]
    search_fields = ["invoice__number", "ttn_reference", "key", "invoice__customer_name"]
    list_select_related = ["invoice"]
    fields = readonly_fields = (
        "invoice",
        "status",
        "key",
        "round",
        "xml_name",
        "attempts",
        "last_error",
        "ttn_reference",
        "qr_text",
        "refusal_reason",
        "created_at",
        "sent_at",
        "answered_at",
        "pdf_name",
    )
    inlines = [SubmissionChangeInline]
    actions = ["send_again"]

    def has_add_permission(self, request) -> bool:
        return False

    # The files are private (no URL): their stored names.
    @admin.display(description=_("signed TEIF XML"))
    def xml_name(self, submission: Submission) -> str:
        return submission.xml.name or "-"

    @admin.display(description=_("registered copy (PDF)"))
    def pdf_name(self, submission: Submission) -> str:
        return submission.pdf.name or "-"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(
        description=_("Send the refused invoices to TTN again (after correction)"),
        permissions=["change"],
    )
    def send_again(self, request, queryset):
        sent = 0
        for submission in queryset.filter(status=Submission.Status.REFUSED).select_related(
            "invoice"
        ):
            sent += submission_retry(
                submission=submission,
                actor=request.user,
                reason=str(_("Sent again from the back office after correction")),
            )
        skipped = queryset.count() - sent
        self.message_user(
            request,
            ngettext(
                "%(count)d invoice queued for TTN again.",
                "%(count)d invoices queued for TTN again.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                _("Only refused invoices are sent again; the others were left as they are."),
                messages.WARNING,
            )
