"""The online subscription form: steps kept as they are left, uploads, confirmation, follow page."""

import io

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalogue.models import Offer, RequiredDocument
from subscriptions.models import FilePiece, SubscriptionFile
from tests.subscriptions.helpers import (
    STEP,
    fill_until_documents,
    png,
    submit_online,
)


def html_as_jpeg() -> SimpleUploadedFile:
    return SimpleUploadedFile("cin.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")


def test_a_newcomer_opens_an_account_first_and_gets_a_confirmation_link(client, grid, newcomer):
    assert "_auth_user_id" in client.session
    assert newcomer.mobile == "+21622333444"
    assert len(mail.outbox) == 1 and "/confirm-email/" in mail.outbox[0].body
    assert client.get(reverse("portal:subscribe"))["Location"] == reverse(STEP, args=["offer"])


def test_anonymous_visitor_starts_with_the_account_step(client, grid):
    assert client.get(reverse("portal:subscribe"))["Location"] == reverse(
        "portal:subscribe_account"
    )


def test_account_form_keeps_values_and_says_what_to_fix(client, grid, alice):
    response = client.post(
        reverse("portal:subscribe_account"),
        {
            "first_name": "A",
            "last_name": "B",
            "email": "alice@example.tn",
            "mobile": "123",
            "password1": "une-longue-phrase-2026",
            "password2": "autre",
        },
    )
    form = response.context["form"]
    assert form.has_error("email", "email_taken")
    assert form.has_error("mobile", "invalid_msisdn")
    assert form.has_error("password2", "password_mismatch")
    assert 'value="alice@example.tn"' in response.text
    assert "Saisissez" in response.text or "numéro" in response.text  # French by default


def test_a_half_filled_form_comes_back_as_it_was_left(client, grid, lac, newcomer):
    offer = Offer.objects.get(code="forfait-pro-45")
    client.post(
        reverse(STEP, args=["offer"]),
        {"customer_kind": "individual", "offer": offer.pk, "boutique": lac.pk},
    )
    client.logout()
    client.force_login(newcomer)
    assert client.get(reverse("portal:subscribe"))["Location"] == reverse(STEP, args=["options"])
    page = client.get(reverse(STEP, args=["offer"]))
    assert page.context["form"].initial["offer"] == offer.pk


def test_one_wrong_field_keeps_the_others(client, grid, lac, newcomer):
    fill_until_documents(client, lac)
    response = client.post(
        reverse(STEP, args=["identity"]),
        {
            "last_name": "Trabelsi",
            "first_name": "Nour",
            "birth_date": "1992-03-04",
            "id_kind": "cin",
            "cin": "123",
        },
    )
    assert response.context["form"].has_error("cin", "invalid_cin")
    assert 'value="Trabelsi"' in response.text and 'value="1992-03-04"' in response.text


def test_steps_cannot_be_skipped(client, grid, newcomer):
    assert client.get(reverse(STEP, args=["documents"]))["Location"] == reverse(
        STEP, args=["offer"]
    )


def test_a_bad_file_is_refused_alone_and_the_good_one_is_kept(client, grid, lac, newcomer):
    """R3.1: identity piece as PNG is kept even when another upload in the same form is bad."""
    fill_until_documents(client, lac)
    file = SubscriptionFile.objects.get(applicant=newcomer)
    identity = RequiredDocument.objects.get(customer_kind="individual", code="identity")
    response = client.post(
        reverse(STEP, args=["documents"]), {f"piece_{identity.pk}": html_as_jpeg()}
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not file.pieces.exclude(document="").exists()
    response = client.post(reverse(STEP, args=["documents"]), {f"piece_{identity.pk}": png()})
    assert response.status_code == 302
    piece = file.pieces.get(required_document=identity)
    assert piece.status == "uploaded" and piece.original_name == "cin.png"
    assert not piece.document.name.endswith("cin.png")  # stored under a generated name


def test_summary_shows_fee_and_deposit_before_confirmation(client, grid, lac, newcomer):
    """R3.1, R12.1: the grid's connection fee and deposit are shown before confirmation."""
    fill_until_documents(client, lac)
    identity = RequiredDocument.objects.get(customer_kind="individual", code="identity")
    client.post(reverse(STEP, args=["documents"]), {f"piece_{identity.pk}": png()})
    page = client.get(reverse(STEP, args=["summary"]))
    assert "10,000" in page.text and "50,000" in page.text


def test_the_request_waits_for_the_confirmed_email(client, grid, lac, newcomer):
    fill_until_documents(client, lac)
    identity = RequiredDocument.objects.get(customer_kind="individual", code="identity")
    client.post(reverse(STEP, args=["documents"]), {f"piece_{identity.pk}": png()})
    response = client.post(reverse(STEP, args=["summary"]), {"accept_conditions": "on"})
    assert response["Location"] == reverse(STEP, args=["summary"])
    assert SubscriptionFile.objects.get(applicant=newcomer).status == "draft"


def test_the_customer_sends_the_request_and_follows_it(client, grid, lac, newcomer):
    response = submit_online(client, lac, newcomer)
    file = SubscriptionFile.objects.get(applicant=newcomer)
    assert response["Location"] == reverse("portal:file_detail", args=[file.pk])
    assert file.status == "received" and file.customer.cin == "07654321"
    page = client.get(response["Location"])
    assert file.get_status_display() in page.text
    assert "abonnement signé" in page.text


def test_the_signed_form_is_sent_from_the_follow_page(client, grid, lac, newcomer):
    submit_online(client, lac, newcomer)
    file = SubscriptionFile.objects.get(applicant=newcomer)
    signed = file.pieces.get(required_document__code="signed_form")
    response = client.post(
        reverse("portal:file_detail", args=[file.pk]),
        {f"piece_{signed.required_document_id}": png("signed.png")},
    )
    assert response.status_code == 302
    signed.refresh_from_db()
    assert signed.status == FilePiece.Status.UPLOADED


def test_the_form_to_sign_is_a_pdf_with_the_customers_details(client, grid, lac, newcomer):
    from pypdf import PdfReader

    submit_online(client, lac, newcomer)
    file = SubscriptionFile.objects.get(applicant=newcomer)
    response = client.get(reverse("portal:file_form_pdf", args=[file.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = PdfReader(io.BytesIO(b"".join(response.streaming_content))).pages[0].extract_text()
    assert "Trabelsi" in text and "07654321" in text and "Forfait Liberté 20" in text


def test_documents_are_served_only_to_their_owner_and_the_boutique(
    client, grid, lac, newcomer, bob, agent, sfax_agent, supervisor
):
    submit_online(client, lac, newcomer)
    piece = SubscriptionFile.objects.get(applicant=newcomer).pieces.exclude(document="").get()
    url = reverse("portal:piece_download", args=[piece.pk])
    own = client.get(url)
    assert own.status_code == 200
    assert own["X-Content-Type-Options"] == "nosniff" and own["Content-Disposition"].startswith(
        "attachment"
    )
    for viewer, expected in ((bob.user, 404), (sfax_agent, 404), (agent, 200), (supervisor, 200)):
        client.force_login(viewer)
        assert client.get(url).status_code == expected, viewer
