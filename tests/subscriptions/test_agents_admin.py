"""The boutique's back office in French: activation with a chosen number and SIM (R3.2, R4.1),
identity documents opened in the browser (R6.5), no English left, recharge cards refused on
postpaid lines (R10.7), the prepaid balance on the line's page (R2.3, R2.7)."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone, translation

from billing.models import BillingRun
from catalogue.models import Offer
from lib.uploads import clean_upload
from subscriptions.models import Line, MobileNumber, SimCard, SubscriptionFile
from subscriptions.services.files import file_record_connection_fee, piece_attach
from subscriptions.services.prepaid import TopUpRefused, recharge_batch_generate, top_up_with_code
from subscriptions.services.records import line_activate
from terminations.models import TerminationRequest
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    LineFactory,
    MobileNumberFactory,
    SimCardFactory,
    UserFactory,
)
from tests.subscriptions.helpers import png, review_all, submitted_file

QUEUE = "admin:subscriptions_subscriptionfile_changelist"


@pytest.fixture
def french(client):
    client.cookies["django_language"] = "fr"
    return client


def complete_file(lac, agent) -> SubscriptionFile:
    file = submitted_file(boutique=lac)
    file_record_connection_fee(file=file, actor=agent)
    review_all(file, agent)
    assert file.status == "complete"
    return file


def said(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_r4_1_activation_proposes_a_number_and_a_sim_the_agent_may_change(french, grid, lac, agent):
    proposed_number, other_number = MobileNumberFactory.create_batch(2)
    proposed_sim, other_sim = sorted(SimCardFactory.create_batch(2, boutique=lac), key=str)
    file = complete_file(lac, agent)
    french.force_login(agent)
    action = {"action": "accept_and_activate", "_selected_action": [file.pk]}
    page = french.post(reverse(QUEUE), action)
    assert page.status_code == 200 and file.status == "complete"
    (form,) = page.context["forms"]
    assert (form.initial["number"], form.initial["sim"]) == (proposed_number.pk, proposed_sim.pk)
    assert "Numéro" in page.text and "Activer les lignes" in page.text

    response = french.post(
        reverse(QUEUE),
        {
            **action,
            "activate": "1",
            f"file-{file.pk}-number": other_number.pk,
            f"file-{file.pk}-sim": other_sim.pk,
        },
    )
    assert response.status_code == 302
    file.refresh_from_db()
    assert file.status == "active"
    assert (file.line.number, file.line.sim) == (other_number, other_sim)
    ((level, text),) = said(response)
    assert level == "success"
    assert other_number.msisdn in text and other_sim.iccid in text and "activée" in text


def test_r4_1_a_number_given_meanwhile_is_refused_with_a_message(french, grid, lac, agent):
    number = MobileNumberFactory()
    sim = SimCardFactory(boutique=lac)
    file = complete_file(lac, agent)
    french.force_login(agent)
    action = {"action": "accept_and_activate", "_selected_action": [file.pk]}
    MobileNumber.objects.filter(pk=number.pk).update(status=MobileNumber.Status.ASSIGNED)
    page = french.post(
        reverse(QUEUE),
        {
            **action,
            "activate": "1",
            f"file-{file.pk}-number": number.pk,
            f"file-{file.pk}-sim": sim.pk,
        },
    )
    assert page.status_code == 200  # the form again, with its error, nothing activated
    assert page.context["forms"][0].errors["number"]
    file.refresh_from_db()
    assert file.status == "complete" and SimCard.objects.get(pk=sim.pk).status == "in_stock"


def test_r6_5_an_identity_document_opens_in_the_browser_for_the_boutique(
    french, grid, lac, agent, settings, tmp_path
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    file = submitted_file(boutique=lac)
    piece = file.pieces.select_related("required_document").get(required_document__code="identity")
    piece_attach(
        file=file,
        document=piece.required_document,
        upload=clean_upload(png()),
        actor=file.applicant,
    )
    french.force_login(agent)
    change = french.get(reverse("admin:subscriptions_subscriptionfile_change", args=[file.pk]))
    url = reverse("portal:piece_download", args=[piece.pk])
    assert f'href="{url}" target="_blank"' in change.text
    response = french.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("inline;")
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    french.force_login(UserFactory())  # still private: nobody else's
    assert french.get(url).status_code == 404


def test_the_file_history_in_the_french_admin_has_no_english_reason(french, grid, lac, agent):
    MobileNumberFactory()
    SimCardFactory(boutique=lac)
    file = complete_file(lac, agent)
    french.force_login(agent)
    action = {"action": "accept_and_activate", "_selected_action": [file.pk]}
    form = french.post(reverse(QUEUE), action).context["forms"][0]
    french.post(
        reverse(QUEUE),
        {
            **action,
            "activate": "1",
            f"file-{file.pk}-number": form.initial["number"],
            f"file-{file.pk}-sim": form.initial["sim"],
        },
    )
    page = french.get(reverse("admin:subscriptions_subscriptionfile_change", args=[file.pk]))
    for english in ("Sent online", "Line activated", "All pieces received", "Connection fee paid"):
        assert english not in page.text, english
    assert "Envoyé en ligne" in page.text and "Ligne activée" in page.text
    customer = french.get(
        reverse("admin:subscriptions_customer_change", args=[file.customer_id])
    ).text
    assert "Sent online" not in customer and "→ Reçu" in customer


def test_status_and_reference_columns_are_french(french, grid, lac, supervisor):
    BillingRun.objects.create(period_start=datetime(2026, 10, 1).date())
    french.force_login(supervisor)
    runs = french.get(reverse("admin:billing_billingrun_changelist")).text
    assert ">Statut<" in runs and ">Status<" not in runs and ">status<" not in runs
    model_admin = admin.site._registry[TerminationRequest]
    with translation.override("fr"):
        assert label_for_field("reference", TerminationRequest, model_admin) == "référence"


def activated_line(lac, offer_code: str) -> Line:
    customer = CustomerFactory(boutique=lac, user=UserFactory())
    line = LineFactory(
        contract=ContractFactory(customer=customer), offer=Offer.objects.get(code=offer_code)
    )
    return line_activate(
        line=line,
        sim=SimCardFactory(boutique=lac),
        job="test",
        at=timezone.make_aware(datetime(2026, 11, 2, 9)),
    )


@pytest.fixture
def code(supervisor) -> str:
    _batch, printed = recharge_batch_generate(amount=Decimal("5"), quantity=1, actor=supervisor)
    return printed[0].code


def test_r10_7_a_postpaid_line_refuses_a_recharge_card_and_the_code_stays_good(
    client, grid, lac, code
):
    postpaid = activated_line(lac, "forfait-liberte-20")
    client.force_login(postpaid.contract.customer.user)
    client.cookies["django_language"] = "fr"
    page = client.post(reverse("portal:line_top_up", args=[postpaid.pk]), {"code": code})
    assert page.status_code == 200
    assert "postpayée" in page.text and "carte de recharge" in page.text
    assert not postpaid.top_ups.exists()
    capped = activated_line(lac, "plafonne-15")  # R10.7: a capped offer takes the same code
    top_up = top_up_with_code(line=capped, code=code, user=capped.contract.customer.user)
    assert top_up.amount == Decimal("5.000")


def test_r10_7_the_refusal_names_no_rule_and_is_raised_before_the_code_is_read(grid, lac):
    postpaid = activated_line(lac, "forfait-liberte-20")
    with pytest.raises(TopUpRefused) as refusal:
        top_up_with_code(line=postpaid, code="0" * 14, user=postpaid.contract.customer.user)
    assert "R10" not in str(refusal.value)
    assert not postpaid.contract.customer.user.recharge_failures.exists()


def test_r2_7_a_prepaid_lines_admin_page_shows_its_balance_and_validity_end(
    french, grid, lac, agent, code
):
    line = activated_line(lac, "carte-libre")
    top_up_with_code(line=line, code=code, user=line.contract.customer.user)
    line.prepaid_account.refresh_from_db()
    french.force_login(agent)
    page = french.get(reverse("admin:subscriptions_line_change", args=[line.pk])).text
    assert "5,000 TND" in page
    valid_until = line.prepaid_account.valid_until
    assert valid_until is not None and valid_until.strftime("%d/%m/%Y") in page
    assert "Fin de validité" in page or "validité" in page
