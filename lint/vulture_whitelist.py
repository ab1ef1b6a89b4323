"""What a framework calls by a name that vulture cannot follow (`make lint`, lint/dead_code.py).

Only names used through a string (settings, the beat schedule), a framework's own API (Django's
auth, admin views, list filters; WeasyPrint's URL fetcher) or the migrations, which are not
scanned. The conventions that hold everywhere (admin registrations, actions and display methods,
template filters, form `clean_<field>`, admin permission hooks, app configs, management commands)
are in pyproject.toml, [tool.vulture]. A function that only the tests call does not belong here:
give it its door (a page, an admin action, a management command or a task), or delete it.
"""

from vulture.whitelists.whitelist_utils import Whitelist

from abuse.admin import AdvertisingSmsReportAdmin
from accounts.backends import EmailOrMobileBackend, SignInLimitBackend, axes_username
from accounts.models import User, UserManager
from accounts.staff_permissions import apply_staff_permissions
from api.access import ApiKeyAuthentication, HasScope, PerKeyRateThrottle
from api.apps import ApiConfig
from api.http import TmfJSONRenderer, tmf_exception_handler
from api.models import RateWindow
from api.openapi import ApiKeyScheme, request_bodies_required
from api.tasks import collect_events, prune_bill_changes
from api.views import ProfileDetail
from billing.recovery import RecoveryStatement
from billing.tasks import (
    bill_accounts,
    import_usage_file,
    render_document,
    resend_billing_notices,
    run_credit_control,
    send_invoices,
    start_monthly_billing,
    warn_before_suspension,
)
from catalogue.selectors import SubscriptionPrices
from einvoicing.backends import HttpBackend, RecordingBackend
from einvoicing.elfatoora import ElFatooraBackend
from einvoicing.tasks import (
    render_registered_copies,
    render_registered_copy,
    resend_due_einvoices,
    send_einvoices,
)
from lib.emails import ConsoleEmailBackend
from lib.pdf import StaticFilesFetcher
from lib.sms import ConsoleSmsBackend, LocmemSmsBackend
from passes.admin import InterruptionChangeInline
from passes.selectors import KindUse
from passes.tasks import resume_interruption_jobs
from privacy.tasks import (
    build_access_export,
    expire_access_exports,
    resend_overdue_deliveries,
    send_campaign,
)
from subscriptions.admin.prepaid import RechargeCodeBatchAdmin
from subscriptions.admin.sim_loss import DeclarationOverdueFilter
from subscriptions.services.suspensions import LoggingNetwork, NetworkError
from subscriptions.tasks import (
    redeliver_outbox,
    release_quarantined_numbers,
    send_file_accepted,
    send_refusal_letter,
)
from terminations.rules import Terms
from terminations.tasks import (
    resume_conditions_notifications,
    run_prepaid_sweep,
    run_sweep,
    send_operator_termination_notice,
    send_receipt_notice,
)

from billing.tasks import redeliver_billing  # isort: skip
from lib.frozen_rows import (  # isort: skip
    drop_sql,
    frozen_rows_sql,
    on_postgresql,
    refused_when_sql,
)
from portal.health import HealthMiddleware  # isort: skip
from portal.static_files import (  # isort: skip
    PersonalPagesNoStoreMiddleware,
    StaticFilesMiddleware,
)
from lib.bulk import InIds  # isort: skip
from portal.observability import (  # isort: skip
    JsonFormatter,
    RequestIdFilter,
    RequestIdMiddleware,
)

FRAMEWORK_CALLS = [
    # REST_FRAMEWORK in portal/settings.py names them; DRF calls their hooks by name.
    ApiKeyAuthentication,
    ApiKeyAuthentication.authenticate_header,
    HasScope,
    HasScope.has_permission,
    PerKeyRateThrottle,
    PerKeyRateThrottle.allow_request,
    PerKeyRateThrottle.wait,
    # Its table is written in one SQL upsert (api/rates.py); the model makes the migration.
    RateWindow,
    TmfJSONRenderer,
    tmf_exception_handler,
    ProfileDetail.patch,  # DRF dispatches PATCH to it
    # drf-spectacular finds its extensions by subclass; Django calls AppConfig.ready.
    ApiKeyScheme,
    ApiKeyScheme.get_security_definition,
    request_bodies_required,  # SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]
    ApiConfig.ready,
    # portal/settings.py names them as dotted strings.
    axes_username,  # AXES_USERNAME_CALLABLE
    EmailOrMobileBackend.authenticate,  # AUTHENTICATION_BACKENDS
    EmailOrMobileBackend.get_user,  # django.contrib.auth, for each signed-in request
    SignInLimitBackend,  # AUTHENTICATION_BACKENDS (issue 16: lockout per account and address)
    ConsoleSmsBackend,  # SMS_BACKEND's default
    ConsoleEmailBackend.write_message,  # EMAIL_BACKEND's default under DEBUG; Django calls it
    LocmemSmsBackend,  # SMS_BACKEND of the tests, like Django's locmem mail backend
    LoggingNetwork,  # PROVISIONING_BACKEND's default
    RecordingBackend,  # EINVOICE_BACKEND's default
    HttpBackend,  # EINVOICE_BACKEND of a JSON gateway in front of TTN
    ElFatooraBackend,  # EINVOICE_BACKEND of TTN's SOAP service
    # The exception a PROVISIONING_BACKEND raises when the network does not answer (Network).
    NetworkError,
    # The services queue these tasks by name (lib.tasks.enqueue).
    bill_accounts,
    import_usage_file,
    send_invoices,
    render_document,
    build_access_export,
    send_campaign,
    send_file_accepted,
    send_refusal_letter,
    send_receipt_notice,
    send_operator_termination_notice,
    send_einvoices,
    render_registered_copy,
    render_registered_copies,
    # portal/celery.py's beat schedule names the periodic tasks as dotted strings.
    release_quarantined_numbers,
    run_prepaid_sweep,
    start_monthly_billing,
    run_credit_control,
    warn_before_suspension,
    resend_billing_notices,
    resend_overdue_deliveries,
    expire_access_exports,
    collect_events,
    prune_bill_changes,
    run_sweep,
    resume_conditions_notifications,
    redeliver_outbox,
    resend_due_einvoices,
    resume_interruption_jobs,
    # Django: `createsuperuser`, the admin's greeting, a view the admin routes to, a list
    # filter's signature.
    UserManager.create_superuser,
    User.get_short_name,
    RechargeCodeBatchAdmin.add_view,
    DeclarationOverdueFilter.lookups,
    # The admin's hooks: the form saved by a service (R7.7), the inline's empty rows.
    AdvertisingSmsReportAdmin.save_form,
    InterruptionChangeInline.get_extra,
    # WeasyPrint's URL fetcher protocol: fetch(url, headers).
    StaticFilesFetcher.fetch,
    # Migrations call it (accounts.0002 and later): RunPython(apply_staff_permissions).
    apply_staff_permissions,
    # templates/terminations/detail.html
    Terms.procedure_display,
    # templates/pdf/recovery_statement.html
    RecoveryStatement.rate_percent,
    # templates/subscriptions/_prices.html and templates/pdf/subscription_form.html
    SubscriptionPrices.monthly_total,
    # templates/passes/line_passes.html
    KindUse.allowance_left,
]

# portal/settings.py names them as dotted strings: MIDDLEWARE, LOGGING's filter and formatter
# (logging calls format()).
OPERATIONS = [HealthMiddleware, RequestIdMiddleware, RequestIdFilter, JsonFormatter.format]
# MIDDLEWARE too; WhiteNoise calls find_file() by name (issue 16, point 6).
PAGES = [PersonalPagesNoStoreMiddleware, StaticFilesMiddleware.find_file]
# The migrations billing 0016 and privacy 0005 install the frozen-row triggers with these.
FROZEN_ROWS = [drop_sql, frozen_rows_sql, on_postgresql, refused_when_sql]
# portal/celery.py's beat schedule (issue 16's outbox).
OUTBOX = [redeliver_billing]
# Django's Lookup API calls it by name (lib/bulk.py's `in_ids`).
LOOKUPS = [InIds.get_db_prep_lookup]

# Arguments that the caller's signature imposes: RunPython(apps, schema_editor), fetch(url,
# headers), SimpleListFilter.lookups(request, model_admin), DRF's Renderer.render(data,
# accepted_media_type, renderer_context), drf-spectacular's get_security_definition(auto_schema).
_ = Whitelist()
# signxml's signature annotators: annotator(sig_root, signing_settings=...); DRF's renderers and
# drf-spectacular's hooks.
IMPOSED_ARGUMENTS = [
    _.schema_editor,
    _.headers,
    _.model_admin,
    _.signing_settings,
    _.accepted_media_type,
    _.renderer_context,
    _.auto_schema,
    _.generator,
    _.public,
]
