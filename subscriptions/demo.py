"""Demo boutiques, staff, number pool, SIM stock and customers for `make run` (idempotent)."""

import base64
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Boutique, User
from catalogue.models import Offer, Option
from lib.identifiers import luhn_check_digit
from subscriptions.lifecycle.records import line_transition
from subscriptions.models import (
    Contract,
    Customer,
    Line,
    LineOption,
    MobileNumber,
    RechargeCode,
    RechargeCodeBatch,
    SimCard,
)
from subscriptions.services.prepaid import code_digest
from subscriptions.services.records import commitment_end, line_activate

DEMO_JOB = "demo data"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    login: str
    password: str


# Demo-only passwords, printed by `make run`; `load_demo` refuses to run outside DEBUG.
LOGINS = [
    DemoLogin("customer", "client@demo.tn", "demo-client-2026"),
    DemoLogin("agent (Tunis Lac)", "agent@demo.tn", "demo-agent-2026"),
    DemoLogin("supervisor", "superviseur@demo.tn", "demo-superviseur-2026"),
]


@dataclass(frozen=True)
class DemoRechargeCode:
    serial: str
    code: str
    amount: Decimal


# Demo-only recharge codes (R2.3), printed by `load_demo` and said in README, to try a top-up of
# the demo customer's prepaid line (+216 20 100 002). Each works once; `make run` again makes the
# used ones usable anew.
RECHARGE_CODES = [
    DemoRechargeCode("DEMO00000001", "1111 2222 3333 44", Decimal("5.000")),
    DemoRechargeCode("DEMO00000002", "5555 6666 7777 88", Decimal("10.000")),
    DemoRechargeCode("DEMO00000003", "9999 0000 1111 22", Decimal("20.000")),
]


def demo_iccid(serial: int) -> str:
    body = f"892160100{serial:010d}"
    return body + str(luhn_check_digit(body))


def _user(email: str, password: str, **fields) -> User:
    user, created = User.objects.get_or_create(email=email, defaults=fields)
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    return user


# Issue 16, point 5: the demo staff's second factor, published like their passwords (DEBUG
# only): one TOTP secret for them all, to add to an authenticator app (base32 below) or to read
# with `manage.py demo_totp`.
DEMO_TOTP_KEY = "3132333435363738393031323334353637383930"


def demo_totp_secret() -> str:
    """The demo TOTP secret in base32, as authenticator apps take it."""
    return base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode()


def _second_factor(user: User) -> None:
    TOTPDevice.objects.update_or_create(
        user=user, name="demo", defaults={"key": DEMO_TOTP_KEY, "confirmed": True}
    )


def _line(contract: Contract, offer: Offer, msisdn: str, sim: SimCard, activated: date) -> Line:
    number = MobileNumber.objects.get(msisdn=msisdn)
    line, _ = Line.objects.get_or_create(
        contract=contract, number=number, defaults={"offer": offer}
    )
    if line.status == Line.Status.PENDING:
        at = timezone.make_aware(datetime.combine(activated, time.min))
        line_activate(line=line, sim=sim, job=DEMO_JOB, at=at)
    return line


def _recharge_codes(*, created_by: User) -> None:
    """The demo codes, unused, with digests of this SECRET_KEY (the digest is keyed with it)."""
    for demo in RECHARGE_CODES:
        batch, _ = RechargeCodeBatch.objects.get_or_create(
            label=f"Demo {demo.serial}",
            defaults={"amount": demo.amount, "quantity": 1, "created_by": created_by},
        )
        RechargeCode.objects.update_or_create(
            serial=demo.serial,
            defaults={
                "batch": batch,
                "digest": code_digest(demo.code),
                "amount": demo.amount,
                "used_at": None,
            },
        )


@transaction.atomic
def demo_load() -> list[DemoLogin]:
    lac, _ = Boutique.objects.get_or_create(
        code="tunis-lac", defaults={"name": "Boutique Tunis Lac", "city": "Tunis"}
    )
    sfax, _ = Boutique.objects.get_or_create(
        code="sfax-centre", defaults={"name": "Boutique Sfax Centre", "city": "Sfax"}
    )
    agents, supervisors = Group.objects.get(name="Agents"), Group.objects.get(name="Supervisors")
    customer_login, agent_login, supervisor_login = LOGINS
    _user(
        agent_login.login,
        agent_login.password,
        first_name="Sami",
        last_name="Trabelsi",
        is_staff=True,
        boutique=lac,
    ).groups.add(agents)
    _user(
        "agent.sfax@demo.tn",
        "demo-agent-2026",
        first_name="Rim",
        last_name="Jaziri",
        is_staff=True,
        boutique=sfax,
    ).groups.add(agents)
    supervisor = _user(
        supervisor_login.login,
        supervisor_login.password,
        first_name="Hichem",
        last_name="Ayari",
        is_staff=True,
    )
    supervisor.groups.add(supervisors)
    for staff in User.objects.filter(is_staff=True, email__endswith="@demo.tn"):
        _second_factor(staff)
    _recharge_codes(created_by=supervisor)

    for n in range(50):
        MobileNumber.objects.get_or_create(msisdn=f"+2162010{n:04d}")
    sims = [
        SimCard.objects.get_or_create(
            iccid=demo_iccid(n), defaults={"boutique": lac if n < 20 else sfax}
        )[0]
        for n in range(40)
    ]

    user = _user(
        customer_login.login,
        customer_login.password,
        first_name="Amira",
        last_name="Ben Salah",
        mobile="+21620100001",
    )
    amira, _ = Customer.objects.get_or_create(
        cin="08123456",
        defaults={
            "kind": Customer.Kind.INDIVIDUAL,
            "user": user,
            "boutique": lac,
            "last_name": "Ben Salah",
            "first_name": "Amira",
            "birth_date": date(1990, 4, 12),
            "street": "12 rue de Marseille",
            "postal_code": "1000",
            "city": "Tunis",
            "email": user.email,
        },
    )
    contract, _ = Contract.objects.get_or_create(
        reference="C-DEMO-0001", defaults={"customer": amira, "signed_on": date(2025, 9, 1)}
    )
    postpaid = _line(
        contract,
        Offer.objects.get(code="forfait-liberte-20"),
        "+21620100001",
        sims[0],
        date(2025, 9, 2),
    )
    _line(
        contract, Offer.objects.get(code="carte-libre"), "+21620100002", sims[1], date(2025, 9, 2)
    )
    internet = Option.objects.get(code="internet-10go")
    taken = date(2026, 2, 1)
    LineOption.objects.get_or_create(
        line=postpaid,
        option=internet,
        defaults={
            "started_on": taken,
            "commitment_ends_on": commitment_end(
                start=taken, months=internet.minimum_commitment_months
            ),
        },
    )

    company, _ = Customer.objects.get_or_create(
        tax_id="1234567A/A/M/000",
        defaults={
            "kind": Customer.Kind.COMPANY,
            "boutique": sfax,
            "company_name": "Huilerie Demo SARL",
            "trade_register_number": "B0123452019",
            "street": "Route de Tunis km 4",
            "postal_code": "3000",
            "city": "Sfax",
        },
    )
    company_contract, _ = Contract.objects.get_or_create(
        reference="C-DEMO-0002", defaults={"customer": company, "signed_on": date(2025, 6, 1)}
    )
    fleet = _line(
        company_contract,
        Offer.objects.get(code="forfait-pro-45"),
        "+21620100010",
        sims[20],
        date(2025, 6, 3),
    )
    if (
        fleet.status == Line.Status.ACTIVE
        and not fleet.status_changes.filter(to_status="suspended").exists()
    ):
        line_transition(
            line=fleet,
            to=Line.Status.SUSPENDED,
            job=DEMO_JOB,
            reason=gettext_noop("Demo: invoice unpaid after its due date"),
        )
    return LOGINS
