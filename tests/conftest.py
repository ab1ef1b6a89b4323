"""Personas shared by the suite (healthchecks-style): who they are is in their name.

- `alice`: customer of the Tunis Lac boutique, an active postpaid line with an option.
- `bob`: customer of the Sfax boutique, a suspended postpaid line.
- `stranger`: a signed-up person with no customer record.
- `agent` (Tunis Lac), `sfax_agent`, `supervisor`: boutique staff.

The suite's clock: `--clock=2027-02-28T12:00` (or `PORTAL_TEST_CLOCK`) runs every test at that
instant, read in Africa/Tunis; see `suite_clock`.
"""

import argparse
import os
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import redis
import time_machine
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation
from kombu import pools

from accounts.models import Boutique, User
from billing.credit import credit_limit_set
from billing.invoicing import Period, invoice_issue
from billing.models import AdvancePaymentRequest
from billing.payments import payment_record
from catalogue.grid_file import grid_load
from catalogue.management.commands.grid_load import DEMO_GRID
from catalogue.models import Offer, Option, RequiredDocument
from privacy.models import AccessRequest, Recipient, RectificationRequest
from privacy.services import consent_record
from subscriptions.lifecycle.records import line_transition
from subscriptions.models import (
    Customer,
    FilePiece,
    Line,
    LineOption,
    ProvisioningOrder,
    SimLossDeclaration,
    SubscriptionFile,
    SuspensionCause,
    TopUp,
)
from subscriptions.services.prepaid import top_up_record
from subscriptions.services.records import line_activate
from terminations.models import (
    LineTransfer,
    OperatorTermination,
    PrepaidMigration,
    TerminationLine,
    TerminationRequest,
)
from tests.factories import (
    AgentFactory,
    BoutiqueFactory,
    ContractFactory,
    CustomerFactory,
    LineFactory,
    SimCardFactory,
    SupervisorFactory,
    UserFactory,
)

ACTIVATED_AT = timezone.make_aware(datetime(2026, 3, 2, 10, 0))
# The zone of the portal (settings.TIME_ZONE), in which `--clock` is read; settings are not
# configured yet when pytest parses its options.
CLOCK_ZONE = ZoneInfo("Africa/Tunis")


def clock_instant(value: str) -> datetime:
    """`2027-02-28T12:00` (or `2027-02-28 12:00`, or a date: midnight) in Africa/Tunis, unless
    the value gives its own UTC offset."""
    try:
        instant = datetime.fromisoformat(value.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--clock / PORTAL_TEST_CLOCK: {value!r} is not YYYY-MM-DDTHH:MM"
        ) from None
    return instant if instant.tzinfo else instant.replace(tzinfo=CLOCK_ZONE)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        type=clock_instant,
        default=os.environ.get("PORTAL_TEST_CLOCK") or None,
        metavar="YYYY-MM-DDTHH:MM",
        help="run every test from this instant (Africa/Tunis), the clock ticking on from there; "
        "a test that travels itself keeps its own instant (default: $PORTAL_TEST_CLOCK, "
        "else the real clock)",
    )


def pytest_report_header(config: pytest.Config) -> str:
    start = config.getoption("clock")
    if start is None:
        return "clock: real"
    return f"clock: each test starts at {start:%Y-%m-%d %H:%M %z} ({start.tzinfo}), ticking"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """`make test` runs the suite in halves at once (Makefile, PORTAL_TEST_HALF): each half on
    a test database of its own, as on a Redis database and a files directory of its own."""
    if half := os.environ.get("PORTAL_TEST_HALF"):
        from django.conf import settings

        database = settings.DATABASES["default"]
        database.setdefault("TEST", {})["NAME"] = f"test_{database['NAME']}_{half}"


@pytest.fixture(autouse=True)
def suite_clock(request: pytest.FixtureRequest) -> Iterator[datetime | None]:
    """Every test starts at the `--clock` instant, as a billing engine's suite runs on a test
    clock, so that the suite gives the same result on any day (a month end, 29 February, a
    year's last half hour). The clock ticks (tick=True): polling loops, the live server, the
    Celery worker threads and Playwright's timeouts need time to pass. time-machine patches the
    process, so those threads read the moved clock too; worker processes a test starts, the
    browser and PostgreSQL's now() read the real one (the code never asks SQL for the time).

    A test chooses its own instant with `time_machine.travel(...)` in its body (nested, it wins
    while it lasts) or, for its fixtures too, with `@pytest.mark.time_machine(...)`, which this
    fixture then leaves alone. The instant is the start of each test, not of the run: a test at
    23:30 is not pushed past midnight by the tests before it."""
    start = request.config.getoption("clock")
    if start is None or request.node.get_closest_marker("time_machine"):
        yield None
        return
    with time_machine.travel(start, tick=True):
        yield start


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Production hashes with PBKDF2 (slow on purpose); the suite does not need to."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def staff_second_factor(monkeypatch):
    """Issue 16, point 5: the admin asks staff for a TOTP code. A test that signs a staff member
    in with `client.force_login` gives the session its second factor too, as the admin's sign-in
    form does (tests/accounts/test_staff_second_factor.py signs in through that form)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    force_login = Client.force_login

    def force_login_verified(self, user, backend=None):
        force_login(self, user, backend)
        if user.is_staff:
            device, _ = TOTPDevice.objects.get_or_create(
                user=user, name="tests", defaults={"confirmed": True}
            )
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()

    monkeypatch.setattr(Client, "force_login", force_login_verified)


@pytest.fixture
def grid(db) -> None:
    """The demo tariff grid of the repository (catalogue/data/demo_grid.toml)."""
    grid_load(DEMO_GRID)


@pytest.fixture
def lac(db) -> Boutique:
    return BoutiqueFactory(code="tunis-lac", name="Boutique Tunis Lac")


@pytest.fixture
def sfax(db) -> Boutique:
    return BoutiqueFactory(code="sfax-centre", name="Boutique Sfax Centre", city="Sfax")


def customer_with_line(*, boutique: Boutique, offer_code: str, email: str, **fields) -> Customer:
    """A customer with one contract and one line, activated at ACTIVATED_AT, and nothing else:
    the persona of a test that needs only a customer or a line."""
    customer = CustomerFactory(boutique=boutique, user=UserFactory(email=email), **fields)
    line = LineFactory(
        contract=ContractFactory(customer=customer), offer=Offer.objects.get(code=offer_code)
    )
    line_activate(line=line, sim=SimCardFactory(boutique=boutique), job="test", at=ACTIVATED_AT)
    return customer


def customer_history(customer: Customer) -> Line:
    """What a customer of some months has behind them: the online file their line came from
    (with an identity document), an older file that was refused (with its letter), on a postpaid
    line an invoice paid, a credit limit and an advance asked for, and the records below; so
    that each page and admin has a record per boutique. Returns the line."""
    line = customer.contracts.get().lines.get()
    boutique = customer.boutique
    common = {
        "applicant": customer.user,
        "customer": customer,
        "boutique": boutique,
        "customer_kind": customer.kind,
        "offer": line.offer,
    }
    active = SubscriptionFile.objects.create(status="active", line=line, **common)
    piece = FilePiece.objects.create(
        file=active,
        required_document=RequiredDocument.objects.get(
            customer_kind=customer.kind, code="identity"
        ),
        status="received",
        content_type="image/png",
        original_name="cin.png",
    )
    piece.document.save("documents/test/cin.png", ContentFile(b"\x89PNG test"), save=True)
    refused = SubscriptionFile.objects.create(
        status="refused", refusal_motive="No coverage", **common
    )
    refused.refusal_letter.save("letters/test.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    if line.offer.is_postpaid:
        invoice = invoice_issue(
            contract_id=line.contract_id,
            period=Period.month(date(2026, 3, 1)),
            issued_on=date(2026, 4, 1),
        )
        payment_record(
            contract=line.contract,
            amount=invoice.total_incl_tax,
            method="cash",
            actor=customer.user,
        )
        credit_limit_set(
            contract=line.contract, amount="200", actor=SupervisorFactory(), reason="Ouverture"
        )
        AdvancePaymentRequest.objects.create(
            contract=line.contract,
            reason="late_payment",
            amount="10",
            requested_on=date(2026, 4, 20),
        )
    personal_data_requests(customer)
    top_up_and_past_sim_loss(customer, line)
    past_terminations(customer, line)
    return line


def past_terminations(customer: Customer, line: Line) -> None:
    """R16.1, R15.1, R17.1, R18.1: a termination letter the customer prepared then withdrew, and
    a former customer of the same boutique whose line moved to prepaid, whose transfer to the
    customer was refused, and which the operator then ended; so that the termination admins have
    a record per boutique and the letter's pages are tested."""
    letter = TerminationRequest.objects.create(
        customer=customer,
        motive=TerminationRequest.Motive.ORDINARY,
        status=TerminationRequest.Status.WITHDRAWN,
        prepared_by=customer.user,
        expected_receipt_on=date(2026, 5, 4),
        finished_at=ACTIVATED_AT + timedelta(days=62),
    )
    TerminationLine.objects.create(request=letter, line=line)
    supervisor = SupervisorFactory()
    former = LineFactory(
        contract=ContractFactory(customer=CustomerFactory(boutique=customer.boutique, user=None)),
        offer=Offer.objects.get(code="carte-libre"),
        status=Line.Status.TERMINATED,
    )
    PrepaidMigration.objects.create(
        line=former,
        from_offer=line.offer,
        to_offer=former.offer,
        migrated_on=date(2026, 3, 20),
        decided_by=supervisor,
    )
    OperatorTermination.objects.create(
        line=former,
        cause=OperatorTermination.Cause.FALSE_DECLARATION,
        reason="Fausse déclaration",
        decided_by=supervisor,
    )
    LineTransfer.objects.create(
        line=former,
        new_holder=customer,
        identity_document="documents/test/cin.png",
        last_name_ok=True,
        first_name_ok=True,
        cin_ok=True,
        birth_date_ok=True,
        address_ok=True,
        status=LineTransfer.Status.REFUSED,
        requested_by=supervisor,
        decided_by=supervisor,
        decided_at=ACTIVATED_AT + timedelta(days=10),
    )


def top_up_and_past_sim_loss(customer: Customer, line: Line) -> None:
    """R2.3, R14.1: a Banka top-up and a SIM lost in the past (replaced since), so that the
    admins of top-ups, recharge accounts and lost SIMs have a record per boutique."""
    top_up_record(
        line=line,
        channel=TopUp.Channel.BANKA,
        amount=Decimal("5"),
        reference=f"BANKA-{line.pk}",
        job="test",
    )
    SimLossDeclaration.objects.create(
        line=line,
        status=SimLossDeclaration.Status.REPLACED,
        channel=SimLossDeclaration.Channel.PORTAL,
        declared_at=ACTIVATED_AT,
        declared_by=customer.user,
        police_declaration_due_at=ACTIVATED_AT + timedelta(days=4),
        new_sim=line.sim,
        replaced_at=ACTIVATED_AT + timedelta(days=1),
    )


def personal_data_requests(customer: Customer) -> None:
    """R21.*: an objection to partner sharing (delivered to the operator's list), a copy of
    data and a correction asked for, so that each privacy admin has a record per boutique."""
    Recipient.objects.get_or_create(
        name="Liste partenaires", kind="internal", defaults={"purposes": ["partners"]}
    )
    consent_record(
        customer=customer, purpose="partners", granted=False, channel="portal", actor=customer.user
    )
    AccessRequest.objects.create(customer=customer, requested_by=customer.user)
    RectificationRequest.objects.create(
        customer=customer, kind="address", changes={"city": "Ariana"}, requested_by=customer.user
    )


@pytest.fixture
def new_alice(grid, lac) -> Customer:
    """Alice with her postpaid line just activated, and no history."""
    return customer_with_line(
        boutique=lac,
        offer_code="forfait-liberte-20",
        email="alice@example.tn",
        first_name="Alice",
        last_name="Ben Ali",
    )


@pytest.fixture
def alice(new_alice) -> Customer:
    """Alice some months on: her history, an option taken, a late-payment suspension lifted."""
    line = customer_history(new_alice)
    LineOption.objects.create(
        line=line, option=Option.objects.get(code="internet-10go"), started_on=date(2026, 4, 1)
    )
    suspension_records(line, lifted=True)
    return new_alice


@pytest.fixture
def new_bob(grid, sfax) -> Customer:
    """Bob with his postpaid line just activated, and no history."""
    return customer_with_line(
        boutique=sfax,
        offer_code="forfait-pro-45",
        email="bob@example.tn",
        first_name="Bob",
        last_name="Gharbi",
    )


@pytest.fixture
def bob(new_bob) -> Customer:
    """Bob some months on: his history, his line suspended for an unpaid invoice."""
    customer = new_bob
    line = customer_history(customer)
    line_transition(line=line, to=Line.Status.SUSPENDED, job="test", reason="Unpaid invoice")
    suspension_records(line, lifted=False)
    return customer


def suspension_records(line: Line, *, lifted: bool) -> None:
    """R13.1: a late-payment cause (open on bob's suspended line, lifted on alice's) and its
    orders to the network, so that the outbox admin has a record per boutique."""
    at = timezone.make_aware(datetime(2026, 5, 27, 6, 30))
    cause = SuspensionCause.objects.create(
        line=line,
        cause=SuspensionCause.Cause.LATE_PAYMENT,
        reason="Unpaid invoice",
        opened_at=at,
        opened_job="test",
        lifted_at=at if lifted else None,
        lifted_job="test" if lifted else "",
    )
    for action in ["block", "unblock"] if lifted else ["block"]:
        ProvisioningOrder.objects.create(
            line=line,
            action=action,
            key=f"test:{action}:cause{cause.pk}",
            reason=cause.reason,
            status=ProvisioningOrder.Status.CONFIRMED,
            created_at=at,
            confirmed_at=at,
        )


@pytest.fixture
def stranger(db) -> User:
    return UserFactory(email="stranger@example.tn")


@pytest.fixture
def agent(lac) -> User:
    return AgentFactory(email="agent@example.tn", boutique=lac)


@pytest.fixture
def sfax_agent(sfax) -> User:
    return AgentFactory(email="agent.sfax@example.tn", boutique=sfax)


@pytest.fixture
def supervisor(db) -> User:
    return SupervisorFactory(email="supervisor@example.tn")


@pytest.fixture
def messages_in_english():
    """Refusals compared with their source text (English); the French of the pages is checked by
    the translation tests."""
    with translation.override("en"):
        yield


@pytest.fixture
def celery_worker_on_redis(django_db_serialized_rollback, transactional_db):
    """A real Celery worker thread consuming from Redis (not eager mode), for task tests; with a
    serialized rollback, so that the database is left as the next transactional test expects."""
    from celery.contrib.testing.worker import start_worker

    from portal.celery import app

    broker = os.environ.get("CELERY_TEST_BROKER_URL", "redis://127.0.0.1:6379/15")
    saved = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=broker, result_backend=broker, task_always_eager=False)
    # The app keeps the connections and the result backend it built first; an earlier test may
    # have built them for no broker: drop them so that they are built for Redis.
    _forget_connections(app)
    try:
        with start_worker(
            app, perform_ping_check=False, shutdown_timeout=30, queues=["celery", "documents"]
        ):
            yield app
    finally:
        app.conf.update(saved)
        _forget_connections(app)


def _forget_connections(app) -> None:
    app.close()  # the producer pool
    app.__dict__.pop("amqp", None)
    pools.reset()
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def celery_app_on_broker():
    """Point the project's Celery app at a real broker for the test (worker processes of the
    test read the same), and back to eager mode afterwards."""
    from portal.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}

    def use(url: str):
        app.conf.update(broker_url=url, task_always_eager=False)
        _forget_connections(app)
        # Messages of an earlier run must not reach this one's workers.
        redis.Redis.from_url(url).flushdb()
        return app

    yield use
    app.conf.update(saved)
    _forget_connections(app)


# A visitor who has just opened an account on the subscription form (tests of the journey).
@pytest.fixture
def newcomer(client, grid, lac):
    response = client.post(
        reverse("portal:subscribe_account"),
        {
            "first_name": "Nour",
            "last_name": "Trabelsi",
            "email": "nour@example.tn",
            "mobile": "22 333 444",
            "password1": "une-longue-phrase-2026",
            "password2": "une-longue-phrase-2026",
        },
    )
    assert response.status_code == 302
    return User.objects.get(email="nour@example.tn")


@pytest.fixture
def private_storage(settings, tmp_path) -> Path:
    """Each test stores its PDFs in its own directory (numbers restart with every test)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return tmp_path
