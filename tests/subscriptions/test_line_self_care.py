"""The customer's pages on a line: top-up by code (R2.3), lost SIM (R14.1, R14.4), suspension on
request (R13.2). Access by others is tested in tests/portal/test_object_access.py."""

import io
from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from subscriptions.models import Line, SimLossDeclaration, SuspensionCause
from subscriptions.services.prepaid import recharge_batch_generate
from tests.subscriptions.prepaid_lines import prepaid_line

S = Line.Status


@pytest.fixture
def carla(grid, lac) -> Line:
    """A prepaid customer signed in with her password."""
    line = prepaid_line(boutique=lac, email="carla@example.tn", activated=datetime(2026, 4, 30))
    user = line.contract.customer.user
    user.set_password("carla-secret-2026")
    user.save()
    return line


@pytest.fixture
def browser(client, carla):
    client.force_login(carla.contract.customer.user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # messages compared with their source text
    return client


def test_r2_3_customer_tops_up_her_line_with_a_code_and_a_second_try_fails(
    browser, carla, supervisor
):
    _batch, printed = recharge_batch_generate(amount=Decimal("10"), quantity=1, actor=supervisor)
    url = reverse("portal:line_top_up", args=[carla.pk])
    response = browser.post(url, {"code": printed[0].code}, follow=True)
    assert "10.000 TND" in response.content.decode()
    carla.prepaid_account.refresh_from_db()
    assert carla.prepaid_account.credit == Decimal("10.000")
    again = browser.post(url, {"code": printed[0].code})
    assert again.status_code == 200
    assert "already used" in str(again.context["form"].errors["code"])
    carla.prepaid_account.refresh_from_db()
    assert carla.prepaid_account.credit == Decimal("10.000")


def test_r2_3_a_code_with_too_few_digits_is_refused_by_the_form(browser, carla):
    response = browser.post(reverse("portal:line_top_up", args=[carla.pk]), {"code": "1234"})
    assert response.context["form"].errors["code"][0].startswith("A recharge code has 14 digits")


def test_r14_4_the_customer_declares_a_loss_only_with_her_password(browser, carla):
    url = reverse("portal:line_sim_loss", args=[carla.pk])
    wrong = browser.post(url, {"password": "guess"})
    assert wrong.context["form"].has_error("password", "wrong_password")
    carla.refresh_from_db()
    assert carla.status == S.ACTIVE
    browser.post(url, {"password": "carla-secret-2026"})
    carla.refresh_from_db()
    assert carla.status == S.SUSPENDED
    declaration = SimLossDeclaration.objects.get(line=carla)
    assert declaration.channel == SimLossDeclaration.Channel.PORTAL


def test_r14_1_the_customer_sends_the_police_declaration_from_the_same_page(browser, carla):
    url = reverse("portal:line_sim_loss", args=[carla.pk])
    browser.post(url, {"password": "carla-secret-2026"})
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "PNG")
    scan = SimpleUploadedFile("pv.png", buffer.getvalue(), content_type="image/png")
    browser.post(url, {"document": scan})
    declaration = SimLossDeclaration.objects.get(line=carla)
    assert declaration.police_declaration_at is not None
    assert "We received your police declaration" in browser.get(url).content.decode()


def test_r13_2_the_customer_suspends_her_line_and_asks_for_it_back(
    browser, carla, django_capture_on_commit_callbacks
):
    url = reverse("portal:line_suspension", args=[carla.pk])
    assert browser.post(url, {}).context["form"].has_error("confirm")
    with time_machine.travel(timezone.make_aware(datetime(2026, 5, 14, 11)), tick=False):
        browser.post(url, {"confirm": "on"})
    carla.refresh_from_db()
    assert carla.status == S.SUSPENDED
    assert SuspensionCause.objects.filter(
        line=carla, cause=SuspensionCause.Cause.CUSTOMER_REQUEST, lifted_at__isnull=True
    ).exists()
    with django_capture_on_commit_callbacks(execute=True):
        browser.post(url, {})
    carla.refresh_from_db()
    assert carla.status == S.ACTIVE


def test_the_line_page_links_to_its_self_care_pages(browser, carla):
    page = browser.get(reverse("portal:line_detail", args=[carla.pk])).content.decode()
    for name in ("line_top_up", "line_sim_loss", "line_suspension"):
        assert reverse(f"portal:{name}", args=[carla.pk]) in page
