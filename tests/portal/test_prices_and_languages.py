"""Issue 14, point 4 (prices before commitment) and point 5 (the grid's texts in Arabic, numbers
the right way round, amounts in the page's locale), on the server's pages and documents."""

import io
import re
from datetime import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from catalogue.grid_file import grid_load
from catalogue.management.commands.grid_load import DEMO_GRID
from catalogue.models import Option, RequiredDocument
from catalogue.price_labels import option_price_label
from catalogue.selectors import OptionCard
from lib.bidi import FIRST_STRONG_ISOLATE, LEFT_TO_RIGHT_ISOLATE
from subscriptions.models import Line, SubscriptionFile
from subscriptions.services.prepaid import recharge_batch_generate
from tests.subscriptions.helpers import STEP, fill_until_documents, png
from tests.subscriptions.prepaid_lines import prepaid_line

signed_up = pytest.mark.usefixtures("newcomer")

IN_2025 = timezone.make_aware(datetime(2025, 6, 10, 10, 0))


def without_isolates(text: str) -> str:
    return "".join(c for c in text if c not in "\u2066\u2067\u2068\u2069")


@pytest.mark.time_machine(IN_2025, tick=False)
@signed_up
def test_issue14_point_4_offer_step_shows_each_offer_with_its_fee_in_force_that_day(
    client, grid, lac
):
    """R1.3: Forfait Liberté 20 costs 18 TND in 2025 (its 2026 row says 20): the row in force."""
    page = without_isolates(client.get(reverse(STEP, args=["offer"])).text)
    assert "Forfait Liberté 20 — 18,000 TND HT par mois" in page
    assert "Forfait Pro 45 — 45,000 TND HT par mois" in page
    assert "Carte Libre — sans redevance mensuelle" in page


@signed_up
def test_issue14_point_4_options_step_shows_each_option_and_pass_with_fee_and_period(
    client, grid, lac
):
    fill_until_documents(client, lac)
    page = without_isolates(client.get(reverse(STEP, args=["options"])).text)
    assert "Option Internet 10 Go — 10,000 TND HT par mois: 10 Go de données" in page
    assert "Pass Maroc illimité — année — 250,000 TND HT par année" in page


@signed_up
def test_issue14_point_4_summary_shows_monthly_fees_one_off_fee_deposit_and_conditions(
    client, grid, lac
):
    up_to_summary(client, lac, "internet-10go")
    response = client.get(reverse(STEP, args=["summary"]))
    prices = response.context["prices"]
    assert (prices.offer.terms.monthly_fee, prices.connection_fee, prices.deposit) == (
        Decimal("20.000"),
        Decimal("10.000"),
        Decimal("50.000"),
    )
    assert prices.monthly_total == Decimal("30.000")
    for cell in ("offer", "option", "monthly-total", "connection", "deposit"):
        assert f'data-price="{cell}"' in response.text
    assert "30,000 TND" in response.text
    assert f'href="{reverse("portal:conditions")}"' in response.text


@signed_up
def test_issue14_point_4_the_form_to_sign_shows_the_prices(client, grid, lac):
    up_to_summary(client, lac, "sms-illimites")
    link = re.search(r"(/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    client.get(link)
    client.post(reverse(STEP, args=["summary"]), {"accept_conditions": "on"})
    file = SubscriptionFile.objects.get(applicant__email="nour@example.tn")
    response = client.get(reverse("portal:file_form_pdf", args=[file.pk]))
    reader = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    text = without_isolates(" ".join(page.extract_text() for page in reader.pages))
    for amount in ("20,000 TND", "3,000 TND", "23,000 TND", "10,000 TND", "50,000 TND"):
        assert amount in text, amount
    assert "Option SMS illimités" in text


def test_issue14_point_4_the_general_conditions_are_a_page_with_the_grids_figures(client, grid):
    page = client.get(reverse("portal:conditions"))
    assert page.status_code == 200
    assert "60 jours après sa réception" in page.text  # termination_notice_days
    assert "40,000 TND" in page.text and "250,000 TND" in page.text  # R19.1
    home = client.get(reverse("portal:home"))
    assert f'href="{reverse("portal:conditions")}"' in home.text


def test_issue14_point_4_a_line_offers_its_options_with_their_price(client, new_alice):
    client.force_login(new_alice.user)
    line = Line.objects.get(contract__customer=new_alice)
    page = without_isolates(client.get(reverse("portal:line_option_add", args=[line.pk])).text)
    assert "Option SMS illimités — 3,000 TND HT par mois" in page


def test_issue14_point_5_the_grid_holds_option_descriptions_in_arabic_and_english(grid):
    option = _option("internet-10go")
    with translation.override("ar"):
        assert option.description_label == "10 جيغا من البيانات الإضافية كل شهر"
    with translation.override("en"):
        assert option.description_label == "10 GB of extra data every month"
    with translation.override("fr"):
        assert option.description_label == "10 Go de données en plus chaque mois"
    assert grid_load(DEMO_GRID).total_created == 0  # loading again changes nothing


def test_issue14_point_5_arabic_pages_show_the_grids_arabic_texts(client, grid):
    client.cookies["django_language"] = "ar"
    page = client.get(reverse("portal:home")).text
    assert 'lang="ar"' in page
    assert "مكالمات غير محدودة نحو الأرقام الثابتة والجوالة في المغرب" in page
    assert "Appels illimités" not in page


def test_issue14_point_5_a_french_description_keeps_its_order_in_an_arabic_label(grid):
    """ "Go de données… 10" no more: untranslated text is isolated in its own direction."""
    option = _option("internet-10go")
    option.description_ar = ""
    with translation.override("ar"):
        label = option_price_label(OptionCard(option=option, fee=Decimal("10")))
    assert f"{FIRST_STRONG_ISOLATE}10 Go de données en plus chaque mois\u2069" in label
    assert label.startswith(option.name_ar)


def test_issue14_point_5_a_top_up_message_writes_its_amount_as_the_page_does(
    client, grid, lac, supervisor
):
    line = prepaid_line(boutique=lac, email="carla@example.tn", activated=datetime(2026, 4, 30))
    client.force_login(line.contract.customer.user)
    _batch, printed = recharge_batch_generate(amount=Decimal("10"), quantity=1, actor=supervisor)
    url = reverse("portal:line_top_up", args=[line.pk])
    page = client.post(url, {"code": printed[0].code}, follow=True).text
    assert "10,000 TND ajoutés à votre ligne." in page
    assert "10.000 TND" not in page


def test_issue14_point_5_a_phone_number_in_an_arabic_message_stays_left_to_right(client, alice):
    client.force_login(alice.user)
    client.cookies["django_language"] = "ar"
    file = SubscriptionFile.objects.get(customer=alice, status="active")
    page = client.get(reverse("portal:file_detail", args=[file.pk])).text
    assert f"{LEFT_TO_RIGHT_ISOLATE}{file.line.number.msisdn}\u2069" in page


def up_to_summary(client, lac, option_code: str) -> None:
    """The steps filled in, with one option and the identity document sent."""
    fill_until_documents(client, lac)
    client.post(reverse(STEP, args=["options"]), {"options": [_option(option_code).pk]})
    identity = RequiredDocument.objects.get(customer_kind="individual", code="identity")
    client.post(reverse(STEP, args=["documents"]), {f"piece_{identity.pk}": png()})


def _option(code: str) -> Option:
    return Option.objects.get(code=code)


def test_issue14_point_5_the_top_up_help_is_in_the_pages_language(client, grid, lac):
    """Formatted per request: at import, it was French on every page."""
    line = prepaid_line(boutique=lac, email="carla@example.tn", activated=datetime(2026, 4, 30))
    client.force_login(line.contract.customer.user)
    client.cookies["django_language"] = "ar"
    page = client.get(reverse("portal:line_top_up", args=[line.pk])).text
    assert "الأرقام الـ 14 الموجودة تحت الشريط القابل للحك." in page
    assert "zone à gratter" not in page


def test_issue14_point_6_required_fields_are_marked_and_said_so(client, grid):
    page = client.get(reverse("portal:login")).text
    assert "Les champs marqués d'un astérisque (*) sont obligatoires." in page
    assert page.count('class="asteriskField"') == 2 and page.count(" required") >= 2


@signed_up
def test_issue14_point_4_the_summary_reads_its_prices_in_the_same_queries_for_any_options(
    client, grid, lac, django_assert_max_num_queries
):
    up_to_summary(client, lac, "internet-10go")
    with django_assert_max_num_queries(30) as one_option:
        client.get(reverse(STEP, args=["summary"]))
    file = SubscriptionFile.objects.get(applicant__email="nour@example.tn")
    file.options.set(Option.objects.filter(code__in=["internet-10go", "sms-illimites"]))
    with django_assert_max_num_queries(len(one_option.captured_queries)):
        client.get(reverse(STEP, args=["summary"]))


def test_issue14_point_4_the_conditions_page_reads_the_grid_once(
    client, grid, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2):
        assert client.get(reverse("portal:conditions")).status_code == 200
