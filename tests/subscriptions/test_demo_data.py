"""`make run` loads demo data; a second run duplicates nothing."""

from datetime import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from subscriptions.demo import LOGINS, RECHARGE_CODES, demo_load
from subscriptions.models import (
    Customer,
    Line,
    LineStatusChange,
    MobileNumber,
    RechargeCode,
    SimCard,
)
from subscriptions.services.prepaid import top_up_with_code

MODELS = [User, Customer, Line, LineStatusChange, MobileNumber, SimCard, RechargeCode]


def test_demo_data_twice_duplicates_nothing(grid):
    demo_load()
    counts = [model.objects.count() for model in MODELS]
    demo_load()
    assert [model.objects.count() for model in MODELS] == counts


def test_demo_logins_sign_in(client, grid):
    demo_load()
    for login in LOGINS:
        response = client.post("/login/", {"username": login.login, "password": login.password})
        assert response.status_code == 302, login.role
        client.logout()


def test_demo_customer_sees_her_lines(client, grid):
    demo_load()
    client.post("/login/", {"username": LOGINS[0].login, "password": LOGINS[0].password})
    response = client.get("/dashboard/")
    assert "+21620100001" in response.text and "+21620100002" in response.text


def test_load_demo_refuses_without_debug(grid, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("load_demo")


@pytest.mark.time_machine(timezone.make_aware(datetime(2026, 12, 1, 10, 0)), tick=False)
def test_r2_3_a_demo_recharge_code_tops_up_the_demo_prepaid_line_and_is_printed(grid, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("load_demo", stdout=out)
    assert all(demo.code in out.getvalue() for demo in RECHARGE_CODES)
    customer = User.objects.get(email=LOGINS[0].login)
    line = Line.objects.get(number__msisdn="+21620100002")
    demo = RECHARGE_CODES[1]
    top_up = top_up_with_code(line=line, code=demo.code, user=customer)
    assert top_up.amount == demo.amount
    demo_load()
    assert not RechargeCode.objects.get(serial=demo.serial).used_at  # usable anew


def test_demo_recharge_codes_are_said_in_the_readme(settings):
    readme = (settings.BASE_DIR / "README.md").read_text()
    assert all(demo.code in readme for demo in RECHARGE_CODES)
