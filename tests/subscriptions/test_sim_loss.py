"""Lost or stolen SIM (R14.1 to R14.4)."""

import io
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from billing.invoicing import Period, invoice_issue
from billing.models import Charge, InvoiceLine, UsageImport, UsageRecord
from lib.uploads import clean_upload
from subscriptions.models import (
    Line,
    ProvisioningOrder,
    SimCard,
    SimLossDeclaration,
    SuspensionCause,
    TopUp,
)
from subscriptions.services.prepaid import top_up_record
from subscriptions.services.records import IDENTITY_CHECKS
from subscriptions.services.sim_loss import (
    SimLossRefused,
    declarations_overdue,
    police_declaration_attach,
    sim_loss_declare,
    sim_replace,
)
from tests.factories import SimCardFactory
from tests.subscriptions.prepaid_lines import prepaid_line

pytestmark = pytest.mark.usefixtures("messages_in_english")

S = Line.Status
Channel = SimLossDeclaration.Channel
Action = ProvisioningOrder.Action
ALL_CHECKED = dict.fromkeys(IDENTITY_CHECKS, True)
NOVEMBER = date(2026, 11, 1)


@pytest.fixture
def line(new_alice) -> Line:
    return Line.objects.get(contract__customer=new_alice)


def police_scan():
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "PNG")
    return clean_upload(SimpleUploadedFile("pv.png", buffer.getvalue(), "image/png"))


def declare(line: Line, **kwargs) -> SimLossDeclaration:
    kwargs.setdefault("actor", line.contract.customer.user)
    kwargs.setdefault("channel", Channel.PORTAL)
    return sim_loss_declare(line=line, **kwargs)


def test_r14_1_declaration_blocks_the_line_at_once(line, django_capture_on_commit_callbacks):
    old_sim = line.sim
    earlier = list(ProvisioningOrder.objects.values_list("pk", flat=True))  # the persona's
    with django_capture_on_commit_callbacks(execute=True):
        declaration = declare(line)
    line.refresh_from_db()
    assert line.status == S.SUSPENDED
    cause = SuspensionCause.objects.get(line=line, lifted_at__isnull=True)
    assert (cause.cause, cause.opened_by) == (
        SuspensionCause.Cause.LOST_SIM,
        line.contract.customer.user,
    )
    block = ProvisioningOrder.objects.exclude(pk__in=earlier).get(line=line, action=Action.BLOCK)
    assert block.status == ProvisioningOrder.Status.CONFIRMED
    assert declaration.lost_sim == old_sim
    assert declaration.police_declaration_due_at == declaration.declared_at + timedelta(days=4)


def test_r14_4_an_agent_acts_only_after_the_five_identity_checks(line, agent):
    partly = {**ALL_CHECKED, "birth_date_ok": False}
    with pytest.raises(SimLossRefused, match="identity checks"):
        declare(line, actor=agent, channel=Channel.PHONE, checks=partly)
    line.refresh_from_db()
    assert line.status == S.ACTIVE
    declaration = declare(line, actor=agent, channel=Channel.PHONE, checks=ALL_CHECKED)
    assert (declaration.declared_by, declaration.cin_ok) == (agent, True)


def test_r14_1_a_second_declaration_of_the_same_loss_is_refused(line):
    declare(line)
    with pytest.raises(SimLossRefused, match="already declared"):
        declare(line)


def test_r14_1_police_declaration_due_in_4_days_or_the_case_goes_to_the_staff_queue(line):
    declared = timezone.make_aware(datetime(2026, 5, 4, 10))
    with time_machine.travel(declared, tick=False):
        declaration = declare(line)
    with time_machine.travel(declared + timedelta(days=3, hours=23), tick=False):
        assert not declarations_overdue().exists()
    with time_machine.travel(declared + timedelta(days=4, minutes=1), tick=False):
        assert list(declarations_overdue()) == [declaration]
        police_declaration_attach(
            declaration=declaration, upload=police_scan(), actor=line.contract.customer.user
        )
        assert not declarations_overdue().exists()
    declaration.refresh_from_db()
    assert declaration.police_declaration.name.startswith("documents/")
    assert declaration.police_declaration_type == "image/png"


def test_r14_3_replacement_waits_for_the_police_declaration(line, agent):
    declaration = declare(line)
    new_sim = SimCardFactory(boutique=agent.boutique)
    with pytest.raises(SimLossRefused, match="police declaration"):
        sim_replace(declaration=declaration, new_sim=new_sim, actor=agent)


def test_r14_3_replacement_charges_the_grid_fee_and_restores_the_line_on_a_new_sim(
    line, agent, django_capture_on_commit_callbacks
):
    old_sim = line.sim
    earlier = list(ProvisioningOrder.objects.values_list("pk", flat=True))  # the persona's
    with django_capture_on_commit_callbacks(execute=True):
        declaration = declare(line)
    police_declaration_attach(declaration=declaration, upload=police_scan(), actor=agent)
    new_sim = SimCardFactory(boutique=agent.boutique)
    with django_capture_on_commit_callbacks(execute=True):
        sim_replace(declaration=declaration, new_sim=new_sim, actor=agent)
    line.refresh_from_db()
    assert (line.status, line.sim) == (S.ACTIVE, new_sim)
    old_sim.refresh_from_db()
    new_sim.refresh_from_db()
    assert (old_sim.status, new_sim.status) == (SimCard.Status.RETIRED, SimCard.Status.ASSIGNED)
    charge = Charge.objects.get(contract=line.contract, fee_kind="sim_replacement")
    assert (charge.amount, charge.invoice) == (Decimal("5.000"), None)
    actions = list(
        ProvisioningOrder.objects.filter(line=line)
        .exclude(pk__in=earlier)
        .order_by("pk")
        .values_list("action", "status")
    )
    confirmed = ProvisioningOrder.Status.CONFIRMED
    assert actions == [
        (Action.BLOCK, confirmed),
        (Action.SIM_SWAP, confirmed),
        (Action.UNBLOCK, confirmed),
    ]
    declaration.refresh_from_db()
    assert (declaration.status, declaration.replaced_by) == (
        SimLossDeclaration.Status.REPLACED,
        agent,
    )


def test_r14_3_a_sim_of_another_boutique_is_refused(line, agent, sfax):
    declaration = declare(line)
    police_declaration_attach(declaration=declaration, upload=police_scan(), actor=agent)
    with pytest.raises(SimLossRefused, match="stock"):
        sim_replace(declaration=declaration, new_sim=SimCardFactory(boutique=sfax), actor=agent)
    assert Charge.objects.filter(fee_kind="sim_replacement").count() == 0


def test_r14_3_prepaid_line_pays_the_replacement_from_its_credit(grid, lac, agent):
    line = prepaid_line(boutique=lac, email="carla@example.tn", activated=datetime(2026, 4, 30))
    declaration = declare(line)
    police_declaration_attach(declaration=declaration, upload=police_scan(), actor=agent)
    new_sim = SimCardFactory(boutique=lac)
    with pytest.raises(SimLossRefused, match="top up the line first"):
        sim_replace(declaration=declaration, new_sim=new_sim, actor=agent)
    top_up_record(
        line=line, channel=TopUp.Channel.BANKA, amount=Decimal("20"), reference="B1", job="t"
    )
    sim_replace(declaration=declaration, new_sim=new_sim, actor=agent)
    line.prepaid_account.refresh_from_db()
    assert line.prepaid_account.credit == Decimal("15.000")
    assert not Charge.objects.exists()


def test_r14_2_usage_before_the_declaration_is_billed_to_the_customer(line):
    before = timezone.make_aware(datetime(2026, 10, 9, 22, 0))
    UsageRecord.objects.create(
        line=line,
        started_at=before,
        kind=UsageRecord.Kind.INTERNATIONAL,  # no allowance: every minute is billed
        destination="+212522000000",
        quantity=Decimal(30),
        unit_price=Decimal("0.900"),
        usage_import=UsageImport.objects.create(name="mediation"),
        record_key="r14-2-before",
    )
    with time_machine.travel(before + timedelta(hours=2), tick=False):
        declare(line)  # the SIM is declared lost the next morning
    invoice = invoice_issue(
        contract_id=line.contract_id, period=Period.month(date(2026, 10, 1)), issued_on=NOVEMBER
    )
    usage = invoice.lines.get(kind=InvoiceLine.Kind.USAGE)
    assert (usage.quantity, usage.amount_excl_tax) == (Decimal("30.000"), Decimal("27.000"))
