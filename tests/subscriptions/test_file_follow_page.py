"""The follow page of a sent subscription file: refused uploads said, closed files closed,
what is missing said (R3.1), and the stored pieces (no orphan file, PDFs rewritten)."""

import io
import threading
import time

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils.html import escape
from PIL import Image

from catalogue.models import RequiredDocument
from lib.uploads import clean_upload
from subscriptions.models import FilePiece
from subscriptions.services.files import (
    file_record_connection_fee,
    file_refuse,
    piece_attach,
    piece_review,
)
from tests.subscriptions.helpers import submitted_file


def png(name="scan.png", colour="white") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), colour).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def html_as_jpeg() -> SimpleUploadedFile:
    return SimpleUploadedFile("cin.jpg", b"<html><script>alert(1)</script></html>", "image/jpeg")


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def stored_files(root) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def piece_of(file, code: str) -> FilePiece:
    return file.pieces.select_related("required_document").get(required_document__code=code)


def test_r3_1_a_refused_upload_is_said_even_when_another_one_was_kept(
    client, grid, lac, agent, private_storage
):
    file = submitted_file(boutique=lac)
    identity = piece_of(file, "identity")
    signed = piece_of(file, "signed_form")
    piece_review(piece=identity, status="rejected", reason="Photo illisible", actor=agent)
    client.force_login(file.applicant)
    response = client.post(
        reverse("portal:file_detail", args=[file.pk]),
        {
            f"piece_{identity.required_document_id}": html_as_jpeg(),
            f"piece_{signed.required_document_id}": png("signed.png"),
        },
        follow=True,
    )
    said = [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]
    said += [(m.level_tag, str(m)) for m in response.context["messages"]]
    errors = [text for level, text in said if level == "error"]
    assert any(identity.required_document.label in text for text in errors), said
    assert any(level == "success" for level, _text in said)
    signed.refresh_from_db()
    identity.refresh_from_db()
    assert signed.status == FilePiece.Status.UPLOADED
    assert identity.status == FilePiece.Status.REJECTED and not identity.document
    assert escape(identity.required_document.label) in response.text  # shown on the page


def test_a_refused_file_offers_no_upload_form_and_takes_no_piece(
    client, grid, lac, agent, private_storage
):
    file = submitted_file(boutique=lac)
    file_refuse(file=file, actor=agent, motive="Couverture réseau indisponible")
    signed = piece_of(file, "signed_form")
    client.force_login(file.applicant)
    url = reverse("portal:file_detail", args=[file.pk])
    page = client.get(url)
    assert 'enctype="multipart/form-data"' not in page.text
    response = client.post(
        url, {f"piece_{signed.required_document_id}": png("signed.png")}, follow=True
    )
    assert "Ce dossier est clos." in response.text  # "This file is closed.", in French
    signed.refresh_from_db()
    assert not signed.document and stored_files(private_storage) == set()


def test_this_file_is_closed_is_translated(grid, lac, agent, private_storage):
    from django.utils import translation

    from subscriptions.services.files import FileRefused

    file = submitted_file(boutique=lac)
    file_refuse(file=file, actor=agent, motive="Couverture réseau indisponible")
    document = RequiredDocument.objects.get(customer_kind="individual", code="signed_form")
    for language, text in (("fr", "Ce dossier est clos."), ("ar", "هذا الملف مغلق.")):
        with translation.override(language), pytest.raises(FileRefused) as refusal:
            piece_attach(
                file=file, document=document, upload=clean_upload(png()), actor=file.applicant
            )
        assert str(refusal.value) == text


def test_r3_1_an_incomplete_file_says_which_piece_and_the_unpaid_connection_fee(
    client, grid, lac, agent, private_storage
):
    file = submitted_file(boutique=lac)
    piece_review(piece=piece_of(file, "identity"), status="received", actor=agent)
    piece_review(piece=piece_of(file, "signed_form"), status="missing", actor=agent)
    file.refresh_from_db()
    assert file.status == "incomplete"
    client.force_login(file.applicant)
    page = client.get(reverse("portal:file_detail", args=[file.pk])).text
    missing = page[page.index('id="file-missing"') :]
    missing = missing[: missing.index("</div>")]
    assert escape(piece_of(file, "signed_form").required_document.label) in missing
    assert escape(piece_of(file, "identity").required_document.label) not in missing
    assert "frais de raccordement de 10,000 TND" in missing

    file_record_connection_fee(file=file, actor=agent)
    page = client.get(reverse("portal:file_detail", args=[file.pk])).text
    assert "frais de raccordement" not in page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_uploads_of_one_piece_at_once_leave_no_stored_file_that_nothing_points_to(
    grid, lac, private_storage
):
    file = submitted_file(boutique=lac)
    document = RequiredDocument.objects.get(customer_kind="individual", code="identity")
    uploads = [clean_upload(png(colour=colour)) for colour in ("white", "black")]
    first_attached, release_first = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with transaction.atomic():
                piece_attach(file=file, document=document, upload=uploads[0], actor=file.applicant)
                first_attached.set()
                release_first.wait(30)
        except BaseException as error:
            errors.append(error)
        finally:
            first_attached.set()
            connection.close()

    def second() -> None:
        try:
            piece_attach(file=file, document=document, upload=uploads[1], actor=file.applicant)
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    first_attached.wait(30)
    threads[1].start()
    time.sleep(1)  # the second upload reaches the piece while the first is not committed
    release_first.set()
    for thread in threads:
        thread.join(60)
    assert not errors
    piece = FilePiece.objects.get(file=file, required_document=document)
    assert piece.sha256 == uploads[1].sha256
    assert stored_files(private_storage) == {piece.document.name}


def test_a_pdf_piece_is_stored_as_rewritten_without_its_trailing_bytes(
    client, grid, lac, private_storage
):
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    sent = buffer.getvalue() + b"\nTRAILING-PAYLOAD\n"
    file = submitted_file(boutique=lac)
    signed = piece_of(file, "signed_form")
    client.force_login(file.applicant)
    client.post(
        reverse("portal:file_detail", args=[file.pk]),
        {
            f"piece_{signed.required_document_id}": SimpleUploadedFile(
                "signed.pdf", sent, "application/pdf"
            )
        },
    )
    signed.refresh_from_db()
    stored = signed.document.open("rb").read()
    assert stored.startswith(b"%PDF-") and b"TRAILING-PAYLOAD" not in stored
