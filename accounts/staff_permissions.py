"""What each staff role may do in the admin, by model. Applied by migrations (accounts.0002).

A later app adds its models here and a migration of its own calls `apply_staff_permissions`.
"""

from django.contrib.auth.management import create_permissions

VIEW = ("view",)
EDIT = ("view", "add", "change")
ALL = ("view", "add", "change", "delete")

GRID_MODELS = [
    "catalogue.offer",
    "catalogue.offerterms",
    "catalogue.internationalrate",
    "catalogue.option",
    "catalogue.optionprice",
    "catalogue.fee",
    "catalogue.gridparameters",
    "catalogue.prepaidvalidity",
    "catalogue.requireddocument",
    "catalogue.destinationprefix",
    "catalogue.passallowance",
]

AGENT_PERMISSIONS: dict[str, tuple[str, ...]] = {
    **{model: VIEW for model in GRID_MODELS},
    "accounts.boutique": VIEW,
    "subscriptions.customer": EDIT,
    "subscriptions.contract": EDIT,
    "subscriptions.line": EDIT,
    "subscriptions.lineoption": EDIT,
    "subscriptions.linestatuschange": VIEW,
    "subscriptions.mobilenumber": VIEW,
    "subscriptions.simcard": VIEW,
    "subscriptions.subscriptionfile": EDIT,
    "subscriptions.filepiece": EDIT,
    "subscriptions.filestatuschange": VIEW,
    "subscriptions.identitycheck": ("view", "add"),
    "subscriptions.prepaidaccount": VIEW,
    "subscriptions.prepaidmovement": VIEW,
    "subscriptions.topup": ("view", "add"),
    "subscriptions.simlossdeclaration": EDIT,
    "subscriptions.suspensioncause": VIEW,
    "subscriptions.provisioningorder": VIEW,
    "subscriptions.customernotification": VIEW,
    "billing.invoice": VIEW,
    "billing.payment": ("view", "add"),
    "billing.creditlimit": VIEW,
    "billing.advancepaymentrequest": VIEW,
    "privacy.consent": ("view", "add"),
    "privacy.objectiondelivery": VIEW,
    "privacy.accessrequest": VIEW,
    "privacy.rectificationrequest": ("view", "change"),
    "terminations.terminationrequest": ("view", "change"),
    "terminations.terminationline": VIEW,
    "terminations.operatortermination": VIEW,
    "terminations.conditionschange": VIEW,
    "terminations.prepaidmigration": ("view", "add"),
    "terminations.linetransfer": ("view", "add"),
    "passes.passholding": VIEW,
    "passes.passperiod": VIEW,
    "passes.passnotice": VIEW,
    "passes.interruption": VIEW,
    "passes.interruptionchange": VIEW,
    "passes.interruptioncredit": VIEW,
}

SUPERVISOR_PERMISSIONS: dict[str, tuple[str, ...]] = {
    **AGENT_PERMISSIONS,
    **{model: ALL for model in GRID_MODELS},
    "accounts.user": VIEW,
    "subscriptions.mobilenumber": EDIT,
    "subscriptions.simcard": EDIT,
    "subscriptions.rechargecodebatch": ("view", "add"),
    "subscriptions.rechargecode": VIEW,
    "billing.billingrun": ("view", "add"),
    "billing.usageimport": ("view", "add"),
    "billing.directdebitimport": ("view", "add"),
    "billing.creditlimit": ("view", "add"),
    "privacy.recipient": EDIT,
    "privacy.campaign": EDIT,
    "privacy.staffaccesslog": VIEW,
    "terminations.operatortermination": ("view", "add"),
    "terminations.conditionschange": EDIT,
    # Electronic invoices (TTN): the outbox covers every boutique, so supervisors only.
    "einvoicing.submission": ("view", "change"),
    "einvoicing.submissionchange": VIEW,
    # RK.1: supervisors record a partner's interruption and each change of its scope.
    "passes.interruption": EDIT,
    "passes.interruptionchange": ("view", "add"),
    # R7.7: supervisors record a report of advertising SMS, which suspends the line for fraud.
    "abuse.advertisingsmsreport": ("view", "add"),
    # The API (issue 19): keys give every boutique's data to a system, so supervisors make and
    # revoke them, end event subscriptions and follow the deliveries; agents see none of it.
    "api.apikey": EDIT,
    "api.apiwrite": VIEW,
    "api.hub": ("view", "change"),
    "api.event": VIEW,
    "api.eventdelivery": VIEW,
}


def apply_staff_permissions(apps, schema_editor=None) -> None:
    """Create the groups and give each exactly its permissions (safe to run again)."""
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in (("Agents", AGENT_PERMISSIONS), ("Supervisors", SUPERVISOR_PERMISSIONS)):
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for label, actions in grants.items():
            app_label, model = label.split(".")
            # A model added by a later migration has no permission yet: that later migration
            # calls this function again, when it does.
            wanted += Permission.objects.filter(
                content_type__app_label=app_label,
                codename__in=[f"{action}_{model}" for action in actions],
            )
        group.permissions.set(wanted)
