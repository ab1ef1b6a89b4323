"""What a framework calls by a name that vulture cannot follow (`make lint`, lint/dead_code.py).

Only names used through a string (settings, the beat schedule), a framework's own API (Django's
auth, admin views, list filters; WeasyPrint's URL fetcher) or the migrations, which are not
scanned. The conventions that hold everywhere (admin registrations, actions and display methods,
template filters, form `clean_<field>`, admin permission hooks, app configs, management commands)
are in pyproject.toml, [tool.vulture]. A function that only the tests call does not belong here:
give it its door (a page, an admin action, a management command or a task), or delete it.
"""

from vulture.whitelists.whitelist_utils import Whitelist

from accounts.backends import EmailOrMobileBackend, axes_username
from accounts.models import User, UserManager
from accounts.staff_permissions import apply_staff_permissions
from billing.recovery import RecoveryStatement
from billing.tasks import run_credit_control, start_monthly_billing
from lib.emails import ConsoleEmailBackend
from lib.pdf import StaticFilesFetcher
from lib.sms import ConsoleSmsBackend, LocmemSmsBackend
from privacy.tasks import expire_access_exports, resend_overdue_deliveries
from subscriptions.admin.prepaid import RechargeCodeBatchAdmin
from subscriptions.admin.sim_loss import DeclarationOverdueFilter
from subscriptions.services.suspensions import LoggingNetwork, NetworkError
from subscriptions.tasks import (
    redeliver_outbox,
    release_quarantined_numbers,
    run_prepaid_sweep,
    run_sweep,
)
from terminations.rules import Terms
from terminations.tasks import resume_conditions_notifications

FRAMEWORK_CALLS = [
    # portal/settings.py names them as dotted strings.
    axes_username,  # AXES_USERNAME_CALLABLE
    EmailOrMobileBackend.authenticate,  # AUTHENTICATION_BACKENDS
    ConsoleSmsBackend,  # SMS_BACKEND's default
    ConsoleEmailBackend.write_message,  # EMAIL_BACKEND's default under DEBUG; Django calls it
    LocmemSmsBackend,  # SMS_BACKEND of the tests, like Django's locmem mail backend
    LoggingNetwork,  # PROVISIONING_BACKEND's default
    # The exception a PROVISIONING_BACKEND raises when the network does not answer (Network).
    NetworkError,
    # portal/celery.py's beat schedule names the periodic tasks as dotted strings.
    release_quarantined_numbers,
    run_prepaid_sweep,
    start_monthly_billing,
    run_credit_control,
    resend_overdue_deliveries,
    expire_access_exports,
    run_sweep,
    resume_conditions_notifications,
    redeliver_outbox,
    # Django: `createsuperuser`, the admin's greeting, a view the admin routes to, a list
    # filter's signature.
    UserManager.create_superuser,
    User.get_short_name,
    RechargeCodeBatchAdmin.add_view,
    DeclarationOverdueFilter.lookups,
    # WeasyPrint's URL fetcher protocol: fetch(url, headers).
    StaticFilesFetcher.fetch,
    # Migrations call it (accounts.0002 and later): RunPython(apply_staff_permissions).
    apply_staff_permissions,
    # templates/terminations/detail.html
    Terms.procedure_display,
    # templates/pdf/recovery_statement.html
    RecoveryStatement.rate_percent,
]

# Arguments that the caller's signature imposes: RunPython(apps, schema_editor), fetch(url,
# headers), SimpleListFilter.lookups(request, model_admin).
_ = Whitelist()
IMPOSED_ARGUMENTS = [_.schema_editor, _.headers, _.model_admin]
