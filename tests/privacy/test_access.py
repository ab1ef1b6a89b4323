"""R21.1: a copy of everything held on the customer, as JSON and PDF, theirs only, for a time."""

import io
import json
import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from billing.models import Invoice, Payment
from privacy.access import NOT_EXPORTED, SOURCES, access_exports_expire, readable
from privacy.models import AccessRequest, Consent
from subscriptions.models import Customer, FilePiece, Line

pytestmark = pytest.mark.django_db


def signed_in(customer: Customer) -> Client:
    client = Client()
    client.force_login(customer.user)
    return client


@pytest.fixture
def alices_copy(alice, bob, django_capture_on_commit_callbacks) -> AccessRequest:
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(alice).post(reverse("portal:privacy_access_request"))
    assert response.status_code == 302
    return AccessRequest.objects.filter(customer=alice).latest("pk")


def test_r21_1_the_copy_holds_every_category_of_the_customers_data(alice, bob, alices_copy):
    assert alices_copy.status == "ready"
    response = signed_in(alice).get(reverse("portal:privacy_access_json", args=[alices_copy.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(b"".join(response.streaming_content))
    records = {key: c["records"] for key, c in data["categories"].items()}

    assert records["identity"][0]["cin"] == alice.cin
    assert "password" not in records["account"][0]
    line = Line.objects.get(contract__customer=alice)
    assert [r["id"] for r in records["contracts"]] == [line.contract_id]
    assert [r["number_id"] for r in records["lines"]] == [line.number_id]
    assert {r["number"] for r in records["invoices"]} == set(
        Invoice.objects.filter(contract__customer=alice).values_list("number", flat=True)
    )
    assert {r["id"] for r in records["payments"] if r["record"] == "billing.payment"} == set(
        Payment.objects.filter(contract__customer=alice).values_list("pk", flat=True)
    )
    assert {(r["purpose"], r["granted"]) for r in records["consents"]} == {("partners", False)}
    assert [r["original_name"] for r in records["documents"]] == ["cin.png"]
    assert "subscriptions.linestatuschange" in {r["record"] for r in records["history"]}
    assert records["history"] and records["options"] and records["invoice_lines"]
    assert records["rectifications"][0]["changes"] == {"city": "Ariana"}

    # Nothing of bob's, anywhere in the file.
    text = json.dumps(data)
    for value in (bob.cin, bob.last_name, bob.user.email, *bob_numbers(bob), *bob_invoices(bob)):
        assert value not in text


def bob_numbers(bob: Customer) -> list[str]:
    return list(
        Line.objects.filter(contract__customer=bob).values_list("number__msisdn", flat=True)
    )


def bob_invoices(bob: Customer) -> list[str]:
    return list(Invoice.objects.filter(contract__customer=bob).values_list("number", flat=True))


def test_r21_1_the_pdf_is_readable_and_only_the_customers(alice, bob, alices_copy):
    response = signed_in(alice).get(reverse("portal:privacy_access_pdf", args=[alices_copy.pk]))
    pdf = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    text = " ".join(page.extract_text() for page in pdf.pages)
    assert alice.cin in text and "cin.png" in text
    assert Line.objects.get(contract__customer=alice).number.msisdn in text
    assert bob.cin not in text and bob.last_name not in text


def test_r21_1_only_the_customer_downloads_the_copy(alice, bob, agent, alices_copy):
    for kind in ("json", "pdf"):
        url = reverse(f"portal:privacy_access_{kind}", args=[alices_copy.pk])
        assert signed_in(bob).get(url).status_code == 404
        staff = Client()
        staff.force_login(agent)
        assert staff.get(url).status_code == 404


def test_r21_1_the_copy_expires_and_its_files_are_deleted(alice, alices_copy, settings):
    url = reverse("portal:privacy_access_json", args=[alices_copy.pk])
    name = alices_copy.json_file.name
    later = timezone.now() + timedelta(days=settings.PRIVACY_EXPORT_DAYS, minutes=1)
    with time_machine.travel(later):
        assert signed_in(alice).get(url).status_code == 404
        assert access_exports_expire() == 1
        assert access_exports_expire() == 0
    alices_copy.refresh_from_db()
    assert alices_copy.status == "expired" and not alices_copy.json_file
    assert not default_storage.exists(name)


def test_r21_1_documents_listed_are_names_and_states_not_contents(alice, alices_copy):
    data = json.loads(alices_copy.json_file.read())
    piece = FilePiece.objects.get(file__customer=alice, original_name="cin.png")
    listed = data["categories"]["documents"]["records"][0]
    assert listed["status"] == piece.status and listed["uploaded_at"] == piece.uploaded_at
    assert Consent.objects.filter(customer=alice).count() == len(
        data["categories"]["consents"]["records"]
    )


def customer_data_models() -> set:
    """Models whose rows belong to a customer: those with a foreign key to the customer, or to
    a model that does, and so on."""
    candidates = [
        m
        for m in apps.get_models()
        if m._meta.app_label in ("subscriptions", "billing", "privacy", "terminations")
    ]
    found = {Customer}
    while True:
        more = {
            m
            for m in candidates
            if m not in found
            and any(f.is_relation and f.related_model in found for f in m._meta.concrete_fields)
        }
        if not more:
            return found
        found |= more


def test_r21_1_every_model_of_customer_data_is_in_the_copy_or_excluded_with_a_reason():
    exported = {model for _, _, sources in SOURCES for model, _ in sources}
    missing = customer_data_models() - exported - set(NOT_EXPORTED)
    assert not missing, (
        "Customer data left out of the copy of their data (R21.1): add these models to "
        f"privacy.access.SOURCES, or to NOT_EXPORTED with the reason: {missing}"
    )


def test_r21_1_asking_again_gives_the_same_copy(
    alice, alices_copy, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        signed_in(alice).post(reverse("portal:privacy_access_request"))
    assert callbacks == []
    assert AccessRequest.objects.filter(customer=alice).count() == 1


def test_r21_1_the_copy_of_a_customer_with_a_mobile_number_is_built(
    alice, django_capture_on_commit_callbacks
):
    """A phone number, dates, times and amounts each have their plain JSON form (a
    `PhoneNumber` once made the request fail with HTTP 500 and stay in preparation)."""
    alice.user.mobile = "+21620123456"
    alice.user.save(update_fields=["mobile"])
    at = timezone.make_aware(datetime(2026, 12, 1, 10, 0))
    with (
        time_machine.travel(at, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = signed_in(alice).post(reverse("portal:privacy_access_request"))
    assert response.status_code == 302
    copy = AccessRequest.objects.filter(customer=alice).latest("pk")
    assert copy.status == "ready"

    data = json.loads(copy.json_file.read())
    assert data["categories"]["account"]["records"][0]["mobile"] == "+21620123456"
    assert data["generated_at"] == "2026-12-01T09:00:00Z"
    invoice = data["categories"]["invoices"]["records"][0]
    stored = Invoice.objects.get(number=invoice["number"])
    assert invoice["total_incl_tax"] == str(stored.total_incl_tax)
    assert invoice["issued_on"] == stored.issued_on.isoformat()


def test_r21_1_the_pdf_shows_dates_in_words_and_local_time_and_yes_or_no(
    alice, django_capture_on_commit_callbacks
):
    at = timezone.make_aware(datetime(2026, 12, 1, 10, 0))
    with (
        time_machine.travel(at, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        signed_in(alice).post(reverse("portal:privacy_access_request"))
    copy = AccessRequest.objects.filter(customer=alice).latest("pk")
    text = " ".join(page.extract_text() for page in PdfReader(copy.pdf_file.open("rb")).pages)

    assert "1 décembre 2026 10:00" in text  # generated at, in Tunis time
    assert "27 mai 2026 06:30" in text  # the late-payment cause opened at 06:30 in Tunis
    assert "Oui" in text and "Non" in text
    assert "True" not in text and "False" not in text and "None" not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), "a raw ISO date in the PDF"


def test_r21_1_readable_values_in_arabic():
    with translation.override("ar"):
        assert (readable(True), readable(False), readable(None)) == ("نعم", "لا", "—")


def test_r21_1_a_copy_that_cannot_be_built_is_shown_failed_and_asked_again(
    alice, agent, settings, tmp_path, django_capture_on_commit_callbacks
):
    """The storage refuses every file: the build fails (a worker retries it with doubling
    delays first; eager mode, as here, does not), the request is marked failed with the reason
    for staff; the customer sees it failed and asks again."""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    working = settings.STORAGES
    settings.STORAGES = {
        **working,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocked / "private")},
        },
    }
    at = timezone.make_aware(datetime(2026, 12, 1, 10, 0))
    with (
        time_machine.travel(at, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = signed_in(alice).post(reverse("portal:privacy_access_request"))
    assert response.status_code == 302
    copy = AccessRequest.objects.filter(customer=alice).latest("pk")
    assert copy.status == "failed" and copy.failed_at == at
    assert copy.failure_reason.startswith("NotADirectoryError")
    assert copy.failure_reason.endswith("(attempt 1)")

    page = signed_in(alice).get(reverse("portal:privacy")).text
    assert "Nous n'avons pas pu préparer cette copie" in page
    assert "Échec" in page

    staff = Client()
    staff.force_login(agent)
    listing = staff.get(
        reverse("admin:privacy_accessrequest_changelist"), {"status__exact": "failed"}
    )
    assert [row.pk for row in listing.context["cl"].result_list] == [copy.pk]

    settings.STORAGES = working  # the storage works again: asking again builds a new copy
    with django_capture_on_commit_callbacks(execute=True):
        signed_in(alice).post(reverse("portal:privacy_access_request"))
    again = AccessRequest.objects.filter(customer=alice).latest("pk")
    assert again.pk != copy.pk and again.status == "ready"
