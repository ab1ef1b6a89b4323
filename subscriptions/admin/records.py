""""""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from accounts.admin_scope import BoutiqueScopedAdmin
from accounts.roles import is_supervisor
from billing.forms import RecoveryStatementForm
from billing.recovery import recovery_statement, recovery_statement_pdf
from lib.admin import action_form_page
from lib.downloads import private_download
from lib.money import format_tnd
from privacy.forms import ServicePinCheckForm
from privacy.models import StaffAccessLog
from privacy.services import service_pin_check, staff_access_record
from subscriptions.admin.suspensions import (
    SuspensionCauseInline,
    customer_request_suspension,
    grant_extra_time,
    supervise_suspension,
)
from subscriptions.forms.records import PhoneIdentityCheckForm
from subscriptions.models import (
    Contract,
    Customer,
    FileStatusChange,
    IdentityCheck,
    Line,
    LineOption,
    LineStatusChange,
    MobileNumber,
    SimCard,
)
from subscriptions.selectors.history import reason_display
from subscriptions.selectors.records import prepaid_account_of
from subscriptions.services.records import OptionRefused, line_option_add

CUSTOMER_SEARCH = ["last_name", "first_name", "company_name", "cin", "passport_number", "tax_id"]


class ContractInline(admin.TabularInline):
    model = Contract
    fields = readonly_fields = ("reference", "signed_on", "starts_on", "ended_on")
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Customer)
class CustomerAdmin(BoutiqueScopedAdmin):
    boutique_field = "boutique"
    list_display = ["display_name", "kind", "identity_number", "city", "boutique", "created_at"]
    list_filter = ["kind", "boutique"]
    list_select_related = ["boutique"]
    search_fields = [*CUSTOMER_SEARCH, "contracts__lines__number__msisdn", "email"]
    inlines = [ContractInline]
    readonly_fields = ["history"]
    actions = ["check_service_pin"]

    @admin.action(description=_("Check the service PIN said on the phone (R7.4)"))
    def check_service_pin(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one customer."), messages.WARNING)
            return None
        customer = queryset.get()
        form = ServicePinCheckForm(request.POST if "pin" in request.POST else None)
        if form.is_valid():
            right = service_pin_check(customer=customer, pin=form.cleaned_data["pin"])
            # R6.5: who checked, when and with what answer (repeated tries show in the log).
            staff_access_record(
                staff=request.user,
                customer_id=customer.pk,
                what=StaffAccessLog.What.CUSTOMER_PAGE,
                detail=f"service PIN checked: {'right' if right else 'wrong'}",
            )
            if right:
                self.message_user(
                    request,
                    _("%(customer)s: the PIN is right.") % {"customer": customer},
                    messages.SUCCESS,
                )
            else:
                self.message_user(
                    request,
                    _("%(customer)s: the PIN is wrong, or the customer has not set one.")
                    % {"customer": customer},
                    messages.ERROR,
                )
            return None
        return action_form_page(
            self,
            request,
            "admin/subscriptions/customer/check_pin.html",
            title=_("Check the service PIN (R7.4)"),
            customer=customer,
            form=form,
            action="check_service_pin",
            objects=[customer],
        )

    @admin.display(description=_("history of files and lines"))
    def history(self, customer: Customer) -> str:
        """Every move of the customer's files and lines: who, when, from, to, why."""
        changes: list[FileStatusChange | LineStatusChange] = [
            *FileStatusChange.objects.filter(file__customer=customer).select_related(
                "file", "actor"
            ),
            *LineStatusChange.objects.filter(line__contract__customer=customer).select_related(
                "line__number", "actor"
            ),
        ]
        rows = [
            (
                c.at,
                str(c.file if isinstance(c, FileStatusChange) else c.line),
                c.get_from_status_display(),
                c.get_to_status_display(),
                c.actor or c.job,
                reason_display(c.reason),
            )
            for c in changes
        ]
        rows.sort(key=lambda row: row[0], reverse=True)
        lines = [(timezone.localtime(at).strftime("%d/%m/%Y %H:%M"), *rest) for at, *rest in rows]
        return format_html_join("", "<div>{} — {} — {} → {} — {} — {}</div>", lines) or "—"

    def get_readonly_fields(self, request, obj=None):
        # The portal account is linked by the subscription journey, not picked by an agent
        # (agents may not browse the accounts of every customer).
        fields = [*super().get_readonly_fields(request, obj), "user"]
        if obj is not None and is_supervisor(request.user):
            fields.append("staff_accesses")
        return fields

    @admin.display(description=_("staff accesses to personal data (R6.5)"))
    def staff_accesses(self, customer: Customer) -> str:
        url = reverse("admin:privacy_staffaccesslog_changelist")
        return format_html(
            '<a href="{}?customer__id__exact={}">{}</a>',
            url,
            customer.pk,
            _("%(count)s accesses: who opened this customer's data, and when")
            % {"count": customer.staff_accesses.count()},
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and response.status_code == 200:
            # R6.5: who of the staff opened the customer's personal page, and when.
            staff_access_record(
                staff=request.user,
                customer_id=int(object_id),
                what=StaffAccessLog.What.CUSTOMER_PAGE,
            )
        return response


class LineInline(admin.TabularInline):
    model = Line
    fields = readonly_fields = ("number", "offer", "status", "activated_at", "commitment_ends_on")
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Contract)
class ContractAdmin(BoutiqueScopedAdmin):
    boutique_path = "customer__boutique"
    scoped_relations = {"customer": "boutique"}
    list_display = ["reference", "customer", "signed_on", "starts_on", "ended_on"]
    list_select_related = ["customer"]
    search_fields = ["reference", *(f"customer__{f}" for f in CUSTOMER_SEARCH)]
    autocomplete_fields = ["customer"]
    inlines = [LineInline]
    actions = ["legal_recovery_statement"]

    @admin.action(description=_("Statement of sums owed for legal recovery, PDF (R19.1)"))
    def legal_recovery_statement(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one account."), messages.WARNING)
            return None
        contract = queryset.get()
        # R19.1: the lawyer fees are due per legal instance, which the agent says.
        form = RecoveryStatementForm(request.POST if "instances" in request.POST else None)
        if not form.is_valid():
            return action_form_page(
                self,
                request,
                "admin/subscriptions/contract/recovery_statement_form.html",
                title=_("Statement of sums owed for legal recovery"),
                contract=contract,
                form=form,
                action="legal_recovery_statement",
                objects=[contract],
            )
        statement = recovery_statement(
            contract=contract,
            on=timezone.localdate(),
            instances=form.cleaned_data["instances"],
        )
        return private_download(
            recovery_statement_pdf(statement),
            filename=f"recouvrement-{contract.reference}.pdf",
            content_type="application/pdf",
        )


class LineOptionInline(admin.TabularInline):
    model = LineOption
    extra = 0
    readonly_fields = ["started_on", "commitment_ends_on"]


class LineStatusChangeInline(admin.TabularInline):
    model = LineStatusChange
    fields = readonly_fields = ("at", "from_status", "to_status", "actor", "job", "reason_shown")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("reason"))
    def reason_shown(self, change: LineStatusChange) -> str:
        return reason_display(change.reason)


@admin.register(Line)
class LineAdmin(BoutiqueScopedAdmin):
    boutique_path = "contract__customer__boutique"
    scoped_relations = {"contract": "customer__boutique", "sim": "boutique"}
    list_display = ["number", "customer_name", "offer", "status", "activated_at"]
    list_filter = ["status", "offer"]
    list_select_related = ["number", "offer", "contract__customer"]
    search_fields = [
        "number__msisdn",
        "sim__iccid",
        *(f"contract__customer__{f}" for f in CUSTOMER_SEARCH),
    ]
    readonly_fields = [
        "status",
        "activated_at",
        "commitment_ends_on",
        "prepaid_balance",
        "prepaid_valid_until",
    ]
    autocomplete_fields = ["contract", "number", "sim"]
    inlines = [LineOptionInline, SuspensionCauseInline, LineStatusChangeInline]
    actions = [
        "add_option_by_phone",
        supervise_suspension,
        grant_extra_time,
        customer_request_suspension,
    ]

    def has_supervise_permission(self, request) -> bool:
        return is_supervisor(request.user)

    @admin.action(description=_("Add an option after the identity checks (phone, R3.3)"))
    def add_option_by_phone(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choose one line."), messages.WARNING)
            return None
        line = queryset.select_related("offer", "contract__customer").get()
        form = PhoneIdentityCheckForm(
            request.POST if "option" in request.POST else None, offer=line.offer
        )
        if form.is_valid():
            checks = {k: v for k, v in form.cleaned_data.items() if k.endswith("_ok")}
            try:
                line_option_add(
                    line=line,
                    option=form.cleaned_data["option"],
                    actor=request.user,
                    channel=IdentityCheck.Channel.PHONE,
                    checks=checks,
                )
            except OptionRefused as refusal:
                self.message_user(request, str(refusal), messages.ERROR)
            else:
                self.message_user(request, _("Option activated."), messages.SUCCESS)
            return None
        return action_form_page(
            self,
            request,
            "admin/subscriptions/line/add_option.html",
            title=_("Add an option by phone"),
            line=line,
            customer=line.contract.customer,
            form=form,
            action="add_option_by_phone",
            objects=[line],
        )

    @admin.display(description=_("customer"), ordering="contract__customer__last_name")
    def customer_name(self, line: Line) -> str:
        return line.contract.customer.display_name

    @admin.display(description=_("prepaid credit and bonus"))
    def prepaid_balance(self, line: Line) -> str:
        """R2.3, R2.7: what a prepaid (or capped) line has left to use."""
        account = prepaid_account_of(line)
        if account is None:
            return "—"
        return _("%(credit)s credit, %(bonus)s bonus") % {
            "credit": format_tnd(account.credit),
            "bonus": format_tnd(account.bonus),
        }

    @admin.display(description=_("prepaid validity ends on"))
    def prepaid_valid_until(self, line: Line) -> str:
        account = prepaid_account_of(line)
        if account is None or account.valid_until is None:
            return "—"
        return date_format(account.valid_until, "SHORT_DATE_FORMAT")


@admin.register(MobileNumber)
class MobileNumberAdmin(admin.ModelAdmin):
    list_display = ["msisdn", "status", "quarantine_until"]
    list_filter = ["status"]
    search_fields = ["msisdn"]
    readonly_fields = ["status", "quarantine_until"]


@admin.register(SimCard)
class SimCardAdmin(BoutiqueScopedAdmin):
    boutique_field = "boutique"
    list_display = ["iccid", "status", "boutique"]
    list_filter = ["status", "boutique"]
    # The status follows the SIM's life cycle (subscriptions.lifecycle.records.SIM_MOVES), never a
    # form.
    readonly_fields = ["status"]
    list_select_related = ["boutique"]
    search_fields = ["iccid"]
