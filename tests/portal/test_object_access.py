"""R6.5, R21.*: a customer's records exist only for that customer and for their boutique's staff.

Two guards that grow with the project instead of trusting a hand-kept list of pages:

- every URL pattern taking an argument is found by walking `get_resolver()`; each must be in
  OBJECT_URLS (how to point it at alice's records) or in an exclusion list saying why not, and
  bob, a stranger and an agent of another boutique get 404 on all of them;
- every ModelAdmin of customer data must be a `BoutiqueScopedAdmin` (or be allow-listed), and for
  each of them an agent gets 404 on another boutique's record and lists only his boutique's.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.admin.utils import quote
from django.db.models import Model
from django.test import Client, RequestFactory, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.admin_scope import BoutiqueScopedAdmin
from accounts.models import Boutique, User
from billing.models import BillingRun, DirectDebitImport, Invoice, UsageImport
from billing.selectors import detailed_bill_asked
from billing.services import invoice_copy_request
from einvoicing.models import Submission
from einvoicing.services import submission_send
from privacy.access import access_export_build
from privacy.models import AccessRequest, Campaign, Recipient, StaffAccessLog
from subscriptions.models import (
    Customer,
    FilePiece,
    Line,
    MobileNumber,
    RechargeCode,
    RechargeCodeBatch,
    SubscriptionFile,
)
from terminations.models import ConditionsChange, TerminationRequest
from tests.einvoicing.certificates import throwaway


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the route itself for an unnamed pattern
    namespace: str  # the outermost namespace ("portal", "admin"), or ""
    route: str
    kwargs: frozenset[str]  # the pattern's arguments and those of the prefixes it is under


def walk(
    patterns, prefix: str = "", namespaces: tuple[str, ...] = (), kwargs=frozenset()
) -> Iterator[Route]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        arguments = kwargs | set(pattern.pattern.regex.groupindex)
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from walk(pattern.url_patterns, route, inner, arguments)
        else:
            assert isinstance(pattern, URLPattern)
            yield Route(
                name=":".join((*namespaces, pattern.name)) if pattern.name else route,
                namespace=namespaces[0] if namespaces else "",
                route=route,
                kwargs=arguments,
            )


def object_routes() -> list[Route]:
    return [route for route in walk(get_resolver().url_patterns) if route.kwargs]


def alices_line(victim: Customer) -> Line:
    return Line.objects.get(contract__customer=victim)


# Every URL that takes an object id, and how to point it at the victim's (alice's) records.
def alices_file(victim: Customer, status: str = "active") -> SubscriptionFile:
    return SubscriptionFile.objects.get(customer=victim, status=status)


def alices_copy_of_data(victim: Customer) -> AccessRequest:
    """The copy of alice's data she asked for (tests/conftest.py), built on first use."""
    return access_export_build(request_id=AccessRequest.objects.get(customer=victim).pk)


def alices_detailed_bill(victim: Customer) -> dict:
    """alice's March invoice, whose detailed bill she asked for (R9.5)."""
    invoice = Invoice.objects.get(contract__customer=victim, period_start="2026-03-01")
    if not detailed_bill_asked(invoice):
        invoice_copy_request(invoice=invoice, detailed=True)
    return {"pk": invoice.pk}


def alices_einvoice(victim: Customer) -> dict:
    """alice's March invoice signed with the tests' throw-away certificate and accepted by TTN
    (the recording backend), so that its XML and its registered copy exist."""
    invoice = Invoice.objects.get(contract__customer=victim, period_start="2026-03-01")
    submission, _ = Submission.objects.get_or_create(
        invoice=invoice, defaults={"key": f"{invoice.number}-1"}
    )
    with override_settings(
        EINVOICE_BACKEND="einvoicing.backends.RecordingBackend", **throwaway()[0]
    ):
        submission_send(submission_id=submission.pk, job="test")
    return {"pk": invoice.pk}


OBJECT_URLS: dict[str, Callable[[Customer], dict]] = {
    "portal:line_detail": lambda victim: {"pk": alices_line(victim).pk},
    "portal:line_option_add": lambda victim: {"pk": alices_line(victim).pk},
    "portal:line_top_up": lambda victim: {"pk": alices_line(victim).pk},
    "portal:line_sim_loss": lambda victim: {"pk": alices_line(victim).pk},
    "portal:line_suspension": lambda victim: {"pk": alices_line(victim).pk},
    "portal:line_passes": lambda victim: {"pk": alices_line(victim).pk},
    "portal:file_detail": lambda victim: {"pk": alices_file(victim).pk},
    "portal:file_form_pdf": lambda victim: {"pk": alices_file(victim).pk},
    "portal:file_refusal_letter": lambda victim: {"pk": alices_file(victim, "refused").pk},
    "portal:piece_download": lambda victim: {
        "pk": FilePiece.objects.get(file=alices_file(victim)).pk
    },
    "portal:invoice_pdf": lambda victim: {
        "pk": Invoice.objects.get(contract__customer=victim, period_start="2026-03-01").pk
    },
    "portal:invoice_detailed_pdf": alices_detailed_bill,
    "portal:invoice_copy": lambda victim: {
        "pk": Invoice.objects.get(contract__customer=victim, period_start="2026-03-01").pk
    },
    "portal:privacy_access_json": lambda victim: {"pk": alices_copy_of_data(victim).pk},
    "portal:privacy_access_pdf": lambda victim: {"pk": alices_copy_of_data(victim).pk},
    "portal:termination_detail": lambda victim: {
        "pk": TerminationRequest.objects.get(customer=victim).pk
    },
    "portal:termination_letter": lambda victim: {
        "pk": TerminationRequest.objects.get(customer=victim).pk
    },
    "portal:option_end": lambda victim: {"pk": alices_line(victim).line_options.get().pk},
    "portal:einvoice_xml": alices_einvoice,
    "portal:einvoice_pdf": alices_einvoice,
}

# URLs with arguments that are not object ids, each with the reason.
EXCLUDED_URLS: dict[str, str] = {
    # Its arguments are the account id in base 64 and a signed, expiring token bound to the
    # account's password hash: without the token it only says "invalid link".
    "portal:password_reset_confirm": "reset link token, not an object id",
    # A step name: every step works on the signed-in person's own draft, found by their account.
    "portal:subscribe_step": "step name, not an object id",
    # A signed, expiring token naming the account and its address; a forged one is refused.
    "portal:email_confirm": "signed token, not an object id",
}
EXCLUDED_NAMESPACES: dict[str, str] = {
    # Staff only: `admin_view` sends anyone without is_staff to the admin sign-in
    # (test_customers_get_the_admin_sign_in_on_every_admin_object_url), and the per-boutique
    # scope of each ModelAdmin's change/history/delete views is tested by the admin tests below.
    # i18n has no argument (set_language reads the POST), so it needs no entry.
    "admin": "staff only, scoped per boutique by the ModelAdmins, tested below",
    # Registered systems' API keys only, never a customer's session; a key bound to a boutique
    # gets 404 on other boutiques' customers: tests/api/test_tmf_access.py.
    "api": "systems' API keys only, scoped per boutique, tested in tests/api",
}


def is_excluded(route: Route) -> bool:
    return route.name in EXCLUDED_URLS or route.namespace in EXCLUDED_NAMESPACES


def user_of(persona: Customer | User) -> User:
    return persona.user if isinstance(persona, Customer) else persona


def signed_in(persona: Customer | User) -> Client:
    client = Client()
    client.force_login(user_of(persona))
    return client


# --- Customer pages -------------------------------------------------------------------------


def test_every_object_url_is_in_the_registry_or_excluded():
    routes = object_routes()
    unknown = [
        f"{route.name} ({route.route}, arguments {sorted(route.kwargs)})"
        for route in routes
        if not is_excluded(route) and route.name not in OBJECT_URLS
    ]
    assert not unknown, (
        "URLs taking an object id with no access test: add them to OBJECT_URLS (how to reach "
        "alice's record) or, if they take no object id, to EXCLUDED_URLS with the reason: "
        f"{unknown}"
    )
    names = {route.name for route in routes}
    stale = (set(OBJECT_URLS) | set(EXCLUDED_URLS)) - names
    assert not stale, f"Entries for URLs that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("attacker", ["bob", "stranger", "sfax_agent"])
def test_another_customer_gets_404_on_every_object_url(request, alice, attacker):
    client = signed_in(request.getfixturevalue(attacker))
    answers = {}
    for route in object_routes():
        if is_excluded(route):
            continue
        if route.name not in OBJECT_URLS:
            pytest.fail(f"{route.name} takes an object id but is not in OBJECT_URLS")
        url = reverse(route.name, kwargs=OBJECT_URLS[route.name](alice))
        answers[url] = client.get(url).status_code
    assert answers
    assert answers == dict.fromkeys(answers, 404)


def test_the_owner_gets_200_on_every_object_url(alice):
    # The control of the test above: its URLs are alice's records, not URLs that 404 for all.
    client = signed_in(alice)
    urls = [reverse(name, kwargs=build(alice)) for name, build in OBJECT_URLS.items()]
    answers = {url: client.get(url).status_code for url in urls}
    assert answers == dict.fromkeys(answers, 200)


def test_anonymous_visitor_is_sent_to_sign_in_on_every_object_url(client, alice):
    login = reverse("portal:login")
    for name, build in OBJECT_URLS.items():
        url = reverse(name, kwargs=build(alice))
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(login), url


# --- Back office (Django admin) -------------------------------------------------------------

# Apps whose models hold customer data (R6.5): their ModelAdmins must be boutique-scoped.
# billing has no model yet; its invoices will be customer data the day it has some.
CUSTOMER_DATA_APPS = {"subscriptions", "billing", "privacy", "terminations"}
# ModelAdmins of those apps that are deliberately not scoped, each with the reason.
NOT_SCOPED_ALLOWED = {
    # The number pool is shared by every boutique (a number is chosen from it at subscription)
    # and a number alone says nothing about who holds it: the holder is on the Line (scoped).
    MobileNumber: "shared pool of numbers",
    # A run of a month: counts and the ids of accounts that failed, no customer's data.
    BillingRun: "monthly run progress, no customer data",
    # The mediation's files cover every boutique: supervisors only (agents have no permission
    # on them, accounts/staff_permissions.py), like the billing runs.
    UsageImport: "supervisors only: the mediation's files of every boutique",
    # The bank's direct debit files cover every boutique: supervisors only, like usage imports.
    DirectDebitImport: "supervisors only: the bank's files of every boutique",
    # Partners and internal lists that receive objections: the operator's configuration.
    Recipient: "supervisors only: where data is used, no customer data",
    # A campaign's text and its counts per status; its messages have no admin.
    Campaign: "supervisors only: a campaign's text and counts",
    # R6.5: the log of staff accesses is for supervisors (agents have no permission on it).
    StaffAccessLog: "supervisors only: who of the staff opened whose data",
    # A change of the operator's conditions (R5.1): its text, offers and progress counts; the
    # notices per customer have no admin.
    ConditionsChange: "the operator's change of conditions and its counts, no customer data",
    # Recharge codes are sold in every boutique; their serials and amounts say nothing about who
    # used them, and only supervisors may see them (accounts/staff_permissions.py).
    RechargeCodeBatch: "supervisors only: batches of recharge codes, no customer data",
    RechargeCode: "supervisors only: serials of recharge codes, no customer data",
}

SCOPED_ADMINS: list[tuple[type[Model], BoutiqueScopedAdmin]] = [
    (model, model_admin)
    for model, model_admin in admin.site._registry.items()
    if isinstance(model_admin, BoutiqueScopedAdmin)
]
SCOPED_IDS = [model._meta.label for model, _ in SCOPED_ADMINS]


def test_every_admin_of_customer_data_is_boutique_scoped():
    assert SCOPED_ADMINS
    unscoped = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if model._meta.app_label in CUSTOMER_DATA_APPS
        and not isinstance(model_admin, BoutiqueScopedAdmin)
        and model not in NOT_SCOPED_ALLOWED
    ]
    assert not unscoped, (
        "These ModelAdmins show customer data to every agent of every boutique: derive them "
        f"from accounts.admin_scope.BoutiqueScopedAdmin (or allow-list them with a reason): "
        f"{unscoped}"
    )


def record_of(model_admin: BoutiqueScopedAdmin, boutique: Boutique) -> Model:
    record = (
        model_admin.model._default_manager.filter(**{model_admin.boutique_path: boutique})
        .order_by("pk")
        .first()
    )
    assert record is not None, (
        f"No {model_admin.model._meta.label} of {boutique} among the personas: give alice "
        "(Tunis Lac) and bob (Sfax) one in tests/conftest.py so that its admin is tested."
    )
    return record


def object_views(record: Model) -> dict[str, str]:
    opts = record._meta
    return {
        view: reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=[quote(record.pk)])
        for view in ("change", "history", "delete")
    }


def expected_answers(model_admin: BoutiqueScopedAdmin, user: User, record: Model) -> dict:
    """What a user allowed to see `record` gets: the pages, or 403 where a role lacks the right."""
    request = RequestFactory().get("/")
    request.user = user
    return {
        "change": 200,
        "history": 200,
        "delete": 200 if model_admin.has_delete_permission(request, record) else 403,
    }


def answers(client: Client, record: Model) -> dict[str, int]:
    return {view: client.get(url).status_code for view, url in object_views(record).items()}


@pytest.mark.parametrize(("model", "model_admin"), SCOPED_ADMINS, ids=SCOPED_IDS)
@pytest.mark.parametrize(
    ("staff", "own", "other"), [("agent", "lac", "sfax"), ("sfax_agent", "sfax", "lac")]
)
def test_agent_gets_404_on_another_boutiques_records_in_the_admin(
    request, alice, bob, model, model_admin, staff, own, other
):
    agent = request.getfixturevalue(staff)
    mine = record_of(model_admin, request.getfixturevalue(own))
    theirs = record_of(model_admin, request.getfixturevalue(other))
    client = signed_in(agent)

    assert answers(client, theirs) == {"change": 404, "history": 404, "delete": 404}
    assert answers(client, mine) == expected_answers(model_admin, agent, mine)


@pytest.mark.parametrize(("model", "model_admin"), SCOPED_ADMINS, ids=SCOPED_IDS)
def test_supervisor_opens_every_boutiques_records_in_the_admin(
    alice, bob, lac, sfax, supervisor, model, model_admin
):
    client = signed_in(supervisor)
    for boutique in (lac, sfax):
        record = record_of(model_admin, boutique)
        assert answers(client, record) == expected_answers(model_admin, supervisor, record)


def changelist_pks(client: Client, model: type[Model]) -> set:
    opts = model._meta
    response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert response.status_code == 200
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize(("model", "model_admin"), SCOPED_ADMINS, ids=SCOPED_IDS)
def test_admin_changelist_lists_only_the_agents_boutique(
    alice, bob, lac, sfax, agent, sfax_agent, supervisor, model, model_admin
):
    path = model_admin.boutique_path
    for user, boutique in ((agent, lac), (sfax_agent, sfax)):
        listed = changelist_pks(signed_in(user), model)
        assert record_of(model_admin, boutique).pk in listed
        assert listed == set(
            model._default_manager.filter(**{path: boutique}).values_list("pk", flat=True)
        )
    everything = set(model._default_manager.values_list("pk", flat=True))
    assert changelist_pks(signed_in(supervisor), model) == everything


ADMIN_ARGUMENTS = {
    "object_id": "1",
    "pk": "1",  # a staff TOTP device's set-up page (django_otp)
    "id": "1",
    "content_type_id": "1",
    "app_label": "auth",
    "field": "letter_scan",  # a document of a termination record (terminations.admin_documents)
}


@pytest.mark.parametrize("visitor", ["bob", "stranger"])
def test_customers_get_the_admin_sign_in_on_every_admin_object_url(db, request, visitor):
    client = signed_in(request.getfixturevalue(visitor))
    admin_login = reverse("admin:login")
    answers = {}
    for route in object_routes():
        if route.namespace != "admin" or route.name == route.route:
            continue  # not the admin's, or unnamed: its catch-all and its redirects to change
        missing = route.kwargs - set(ADMIN_ARGUMENTS)
        assert not missing, f"{route.name}: give ADMIN_ARGUMENTS a value for {missing}"
        url = reverse(route.name, kwargs={k: ADMIN_ARGUMENTS[k] for k in route.kwargs})
        response = client.get(url)
        answers[url] = (response.status_code, response.get("Location", "").split("?")[0])
    assert answers
    assert answers == dict.fromkeys(answers, (302, admin_login))
