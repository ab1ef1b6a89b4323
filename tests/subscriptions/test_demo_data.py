"""`make run` loads demo data; a second run duplicates nothing."""

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from subscriptions.demo import LOGINS, demo_load
from subscriptions.models import Customer, Line, LineStatusChange, MobileNumber, SimCard

MODELS = [User, Customer, Line, LineStatusChange, MobileNumber, SimCard]


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
