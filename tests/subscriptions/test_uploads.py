"""Identity-document uploads: the type comes from the bytes, images are re-encoded without
metadata, PDFs that are encrypted, scripted or broken are refused, names are never trusted.

Every file is built here, in memory.
"""

import hashlib
import io
import random
import re
import struct
import zlib

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from PIL import ExifTags, Image, ImageCms, ImageFile
from pypdf import PdfReader, PdfWriter
from pypdf.actions import JavaScript, PageTrigger
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from lib import uploads
from lib.uploads import (
    CleanDocument,
    DocumentField,
    clean_upload,
    display_name,
    stored_name,
)
from tests.subscriptions.helpers import one_page_writer, pypdf_bytes, upload

STORED_NAME_RE = re.compile(r"^documents/\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|jpg|png)$")


def refusal_code(uploaded, **kwargs) -> str:
    with pytest.raises(ValidationError) as error:
        clean_upload(uploaded, **kwargs)
    return error.value.code


def image_bytes(fmt: str = "PNG", size=(64, 48), mode: str = "RGB", **save_kwargs) -> bytes:
    image = Image.new(mode, size, "white")
    # Some structure, so that a lossy re-encoding still has something to compress.
    for x in range(0, size[0], 4):
        image.putpixel((x, x % size[1]), (200, 30, 30) if mode == "RGB" else 0)
    output = io.BytesIO()
    image.save(output, fmt, **save_kwargs)
    return output.getvalue()


def noisy_png(size=(64, 64)) -> bytes:
    """A PNG that does not compress away (a few kilobytes)."""
    pixels = random.Random(0).randbytes(size[0] * size[1] * 3)
    output = io.BytesIO()
    Image.frombytes("RGB", size, pixels).save(output, "PNG")
    return output.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A PNG whose header announces width x height RGB pixels, followed by a few bytes of pixel
    data: a decompression bomb's shape, for the price of a hundred bytes."""
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + png_chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + png_chunk(b"IEND", b"")
    )


CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGES = b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"


def handmade_pdf(*objects: bytes, listed: int | None = None, trailer: bytes = b"") -> bytes:
    """A PDF written byte by byte, objects numbered from 1; only the first `listed` objects
    appear in the cross-reference table."""
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    listed = len(objects) if listed is None else listed
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (listed + 1)
    for offset in offsets[:listed]:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (listed + 1, trailer)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def pdf_with_object_stream(catalog: bytes, action: bytes) -> bytes:
    """A PDF 1.5 file as Acrobat or Word write them: the catalog (object 1) and object 4 sit
    in a compressed object stream, listed by a cross-reference stream, so that none of their
    names can be seen in the raw bytes."""
    out = bytearray(b"%PDF-1.5\n")
    offsets = {}

    def add(number: int, body: bytes) -> None:
        offsets[number] = len(out)
        out.extend(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    add(2, PAGES)
    add(3, PAGE)
    header = b"1 0 4 %d " % (len(catalog) + 1)
    packed = zlib.compress(header + catalog + b" " + action)
    add(
        5,
        b"<< /Type /ObjStm /N 2 /First %d /Filter /FlateDecode /Length %d >>\nstream\n%s\nendstream"
        % (len(header), len(packed), packed),
    )
    offsets[6] = len(out)
    rows = [(0, 0, 0xFFFF), (2, 5, 0), (1, offsets[2], 0), (1, offsets[3], 0), (2, 5, 1)]
    rows += [(1, offsets[5], 0), (1, offsets[6], 0)]
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    out += b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n" % (
        len(table)
    )
    out += table + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % offsets[6]
    return bytes(out)


# Accepted documents


def test_valid_png_is_accepted_and_reencoded_losslessly():
    source = image_bytes("PNG")
    document = clean_upload(upload(source, "cin-recto.png", "image/png"))
    assert isinstance(document, CleanDocument)
    assert (document.content_type, document.extension) == ("image/png", "png")
    assert document.original_name == "cin-recto.png"
    assert document.sha256 == hashlib.sha256(document.content).hexdigest()
    with Image.open(io.BytesIO(document.content)) as clean, Image.open(io.BytesIO(source)) as raw:
        assert clean.format == "PNG"
        assert clean.convert("RGB").tobytes() == raw.convert("RGB").tobytes()


def pages_of(content: bytes) -> int:
    return len(PdfReader(io.BytesIO(content)).pages)


def test_valid_pdf_is_accepted_and_stored_as_pypdf_writes_it_again():
    source = pypdf_bytes(one_page_writer())
    document = clean_upload(upload(source, "formulaire-signe.pdf"))
    assert document.content.startswith(b"%PDF-") and pages_of(document.content) == 1
    assert (document.content_type, document.extension) == ("application/pdf", "pdf")
    assert document.sha256 == hashlib.sha256(document.content).hexdigest()


def test_bytes_after_the_pdf_end_and_unreferenced_objects_are_not_stored():
    orphan = b"<< /Note (ORPHAN-PAYLOAD) >>"
    source = handmade_pdf(CATALOG, PAGES, PAGE, orphan) + b"\nTRAILING-PAYLOAD\n"
    document = clean_upload(upload(source))
    assert b"ORPHAN-PAYLOAD" not in document.content
    assert b"TRAILING-PAYLOAD" not in document.content
    assert document.content.rstrip().endswith(b"%%EOF") and pages_of(document.content) == 1
    assert document.content.startswith(b"%PDF-1.7")


def test_an_earlier_revision_of_a_pdf_is_not_stored():
    writer = one_page_writer()
    writer.add_metadata({"/Title": "EarlierRevision"})
    first = pypdf_bytes(writer)
    # An incremental update (as a PDF editor appends) gives the document another title; the
    # first revision's bytes stay in the file, unreachable.
    revised = PdfWriter(io.BytesIO(first), incremental=True)
    revised.add_metadata({"/Title": "LatestRevision"})
    source = pypdf_bytes(revised)
    assert b"EarlierRevision" in source
    document = clean_upload(upload(source))
    assert b"EarlierRevision" not in document.content and b"LatestRevision" in document.content


def test_pdf_made_by_weasyprint_is_accepted():
    from weasyprint import HTML

    source = HTML(
        string="<h1>Extrait du registre de commerce</h1><p><a href='https://example.tn'>lien</a>"
    ).write_pdf()
    assert pages_of(clean_upload(upload(source, "rne.pdf")).content) == 1


def test_handmade_minimal_pdf_is_accepted():
    assert clean_upload(upload(handmade_pdf(CATALOG, PAGES, PAGE))).extension == "pdf"


def test_pdf_with_compressed_object_stream_is_accepted():
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Lang 4 0 R >>"
    source = pdf_with_object_stream(catalog, b"(fr-TN)")
    content = clean_upload(upload(source)).content
    assert pages_of(content) == 1
    assert PdfReader(io.BytesIO(content)).trailer["/Root"]["/Lang"] == "fr-TN"


def test_type_comes_from_the_bytes_not_from_the_name_or_declared_type():
    document = clean_upload(upload(image_bytes("PNG"), "scan.pdf", "application/pdf"))
    assert (document.content_type, document.extension) == ("image/png", "png")


def test_names_inside_stream_data_do_not_make_a_pdf_scripted():
    # Page content is stream data: "/JS" there is not a PDF name (and compressed scans spell
    # such bytes by chance).
    content = b"BT /JS 12 Tf (/JavaScript /Launch) Tj ET"
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>"
    stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
    assert clean_upload(upload(handmade_pdf(CATALOG, PAGES, page, stream))).extension == "pdf"


# Images: re-encoded without metadata


def test_jpeg_with_gps_exif_is_accepted_without_any_metadata():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Phone"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (36.0, 48.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (10.0, 10.0, 55.0),
    }
    source = image_bytes("JPEG", exif=exif, comment=b"Bardo, 36.8N 10.1E")
    with Image.open(io.BytesIO(source)) as raw:
        assert raw.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the fixture does carry GPS

    document = clean_upload(upload(source, "cin.jpg", "image/jpeg"))

    assert (document.content_type, document.extension) == ("image/jpeg", "jpg")
    assert b"Exif" not in document.content
    assert b"Bardo" not in document.content
    with Image.open(io.BytesIO(document.content)) as clean:
        assert clean.format == "JPEG"
        assert len(clean.getexif()) == 0
        assert not clean.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert "comment" not in clean.info
        assert clean.size == (64, 48)


def test_jpeg_orientation_is_applied_to_the_pixels_before_exif_is_dropped():
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90° clockwise to display"
    source = image_bytes("JPEG", size=(64, 48), exif=exif)
    document = clean_upload(upload(source, "passport.jpg", "image/jpeg"))
    with Image.open(io.BytesIO(document.content)) as clean:
        assert clean.size == (48, 64)
        assert len(clean.getexif()) == 0


@pytest.mark.parametrize("trailer", [b"<html><script>alert(1)</script></html>", b"\xff\xda" * 3])
def test_data_after_the_jpeg_end_marker_is_dropped(trailer):
    # Phones append motion-photo videos after the end marker; polyglots append HTML or ZIP.
    source = image_bytes("JPEG") + trailer
    document = clean_upload(upload(source, "cin.jpg", "image/jpeg"))
    assert trailer not in document.content
    assert document.content.endswith(b"\xff\xd9")


def test_data_after_the_png_end_chunk_is_dropped():
    trailer = b"<html><script>alert(1)</script></html>"
    document = clean_upload(upload(image_bytes("PNG") + trailer, "cin.png", "image/png"))
    assert trailer not in document.content


def test_progressive_jpeg_is_accepted():
    source = image_bytes("JPEG", size=(320, 240), progressive=True, restart_marker_rows=1)
    document = clean_upload(upload(source, "cin.jpg", "image/jpeg"))
    with Image.open(io.BytesIO(document.content)) as clean:
        assert clean.size == (320, 240)


def test_png_text_chunks_and_icc_profile_are_dropped():
    from PIL.PngImagePlugin import PngInfo

    text = PngInfo()
    text.add_text("Author", "Mohamed Ben Salah")
    text.add_itxt("Comment", "Sfax, home address")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    source = image_bytes("PNG", pnginfo=text, icc_profile=icc)
    document = clean_upload(upload(source, "rne.png", "image/png"))
    for marker in (b"tEXt", b"iTXt", b"zTXt", b"iCCP", b"eXIf", b"Ben Salah"):
        assert marker not in document.content
    with Image.open(io.BytesIO(document.content)) as clean:
        assert not clean.text
        assert "icc_profile" not in clean.info


def test_png_transparency_survives_reencoding():
    source = image_bytes("PNG", mode="RGBA")
    document = clean_upload(upload(source, "signature.png", "image/png"))
    with Image.open(io.BytesIO(document.content)) as clean:
        assert clean.mode == "RGBA"


# Refusals


def test_html_renamed_jpg_is_refused():
    html = b"<!doctype html><html><script>alert(document.cookie)</script></html>"
    assert refusal_code(upload(html, "cin.jpg", "image/jpeg")) == "unsupported_type"


def test_png_header_followed_by_html_is_refused():
    polyglot = b"\x89PNG\r\n\x1a\n<html><script>alert(1)</script></html>"
    assert refusal_code(upload(polyglot, "cin.png", "image/png")) == "corrupt_image"


@pytest.mark.parametrize(
    ("name", "declared"), [("logo.svg", "image/svg+xml"), ("cin.png", "image/png")]
)
def test_svg_is_refused(name, declared):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    assert refusal_code(upload(svg, name, declared)) == "unsupported_type"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "WEBP"])
def test_other_image_formats_are_refused(fmt):
    assert refusal_code(upload(image_bytes(fmt), "cin.jpg", "image/jpeg")) == "unsupported_type"


@pytest.fixture(autouse=True)
def messages_in_english():
    """The messages are compared with their English source; the portal speaks French by default."""
    with translation.override("en"):
        yield


@pytest.fixture(params=[False, True], ids=["pillow-default", "after-weasyprint-import"])
def load_truncated_images(request, monkeypatch):
    """Importing WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES for the whole process."""
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", request.param)


@pytest.mark.usefixtures("load_truncated_images")
def test_truncated_jpeg_is_refused():
    source = image_bytes("JPEG", size=(256, 256), quality=95)
    truncated = source[: len(source) // 2]
    assert refusal_code(upload(truncated, "cin.jpg", "image/jpeg")) == "corrupt_image"


@pytest.mark.usefixtures("load_truncated_images")
def test_truncated_png_is_refused():
    source = noisy_png()
    truncated = source[: len(source) - 100]
    assert refusal_code(upload(truncated, "cin.png", "image/png")) == "corrupt_image"


def test_png_with_a_damaged_chunk_is_refused():
    source = bytearray(noisy_png())
    source[100] ^= 0xFF  # inside the pixel data: the chunk's CRC no longer matches
    assert refusal_code(upload(bytes(source), "cin.png", "image/png")) == "corrupt_image"


def test_40000_by_40000_png_is_refused_before_decoding():
    bomb = png_declaring(40_000, 40_000)  # 1.6 gigapixels, about 100 bytes
    assert len(bomb) < 200
    assert refusal_code(upload(bomb, "cin.png", "image/png")) == "image_too_large"


def test_png_over_the_portal_pixel_limit_is_refused_before_decoding(settings):
    # 8000 x 8000 = 64 megapixels: under Pillow's own bomb limit, over the portal's 50.
    # Were it decoded, its tiny pixel data would make it "corrupt_image" instead.
    assert refusal_code(upload(png_declaring(8000, 8000), "cin.png")) == "image_too_large"
    settings.UPLOAD_MAX_PIXELS = 1_000_000
    assert refusal_code(upload(png_declaring(1001, 1000), "cin.png")) == "image_too_large"


def test_empty_file_is_refused():
    assert refusal_code(upload(b"", "cin.pdf")) == "empty"


def test_file_over_the_given_limit_is_refused():
    source = noisy_png()
    assert len(source) > 1024
    assert refusal_code(upload(source, "cin.png", "image/png"), max_bytes=1024) == "too_large"
    assert clean_upload(upload(source, "cin.png"), max_bytes=len(source)).extension == "png"


def test_file_just_over_10_mb_is_refused_by_default():
    huge = b"%PDF-1.7\n" + b"\0" * (10 * 1024 * 1024)
    with pytest.raises(ValidationError) as error:
        clean_upload(upload(huge, "scan.pdf"))
    assert error.value.code == "too_large"
    assert error.value.messages == [
        "The file is too large. Send a PDF, JPEG or PNG file of at most 10 MB."
    ]


def test_wrongly_reported_size_does_not_get_a_large_file_through():
    uploaded = upload(b"%PDF-1.7\n" + b"\0" * 4096, "scan.pdf")
    uploaded.size = 10
    assert refusal_code(uploaded, max_bytes=1024) == "too_large"


def test_encrypted_pdf_is_refused():
    writer = one_page_writer()
    writer.encrypt(user_password="1234", owner_password="owner")
    assert refusal_code(upload(pypdf_bytes(writer))) == "encrypted_pdf"


def test_pdf_encrypted_with_an_empty_user_password_is_refused():
    writer = one_page_writer()
    writer.encrypt(user_password="", owner_password="owner")
    assert refusal_code(upload(pypdf_bytes(writer))) == "encrypted_pdf"


def test_pdf_encrypted_with_a_handler_pypdf_cannot_open_is_refused_as_encrypted():
    source = handmade_pdf(
        CATALOG, PAGES, PAGE, trailer=b"/Encrypt << /Filter /Adobe.PubSec /V 4 >> "
    )
    assert refusal_code(upload(source)) == "encrypted_pdf"


def test_pdf_with_document_javascript_is_refused():
    # pypdf 7 turned add_js() into an error; add_open_action() writes the /Names /JavaScript
    # tree, which viewers run on opening.
    writer = one_page_writer()
    writer.add_open_action(JavaScript("app.alert('hello');"))
    assert refusal_code(upload(pypdf_bytes(writer))) == "scripted_pdf"


def test_pdf_with_javascript_open_action_is_refused():
    writer = one_page_writer()
    action = DictionaryObject(
        {
            NameObject("/S"): NameObject("/JavaScript"),
            NameObject("/JS"): TextStringObject("app.launchURL('https://evil.example');"),
        }
    )
    writer.root_object[NameObject("/OpenAction")] = writer._add_object(action)
    assert refusal_code(upload(pypdf_bytes(writer))) == "scripted_pdf"


def test_pdf_with_page_additional_action_is_refused():
    writer = one_page_writer()
    writer.pages[0].add_action(PageTrigger.OPEN, JavaScript("app.alert(1);"))
    assert refusal_code(upload(pypdf_bytes(writer))) == "scripted_pdf"


def test_pdf_with_launch_action_in_a_link_is_refused():
    annotation = (
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 99 99] /A << /S /Launch /F (cmd.exe) >> >>"
    )
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [4 0 R] >>"
    assert refusal_code(upload(handmade_pdf(CATALOG, PAGES, page, annotation))) == "scripted_pdf"


def test_pdf_with_embedded_file_is_refused():
    writer = one_page_writer()
    writer.add_attachment("invoice.exe", b"MZ\x90\x00")
    assert refusal_code(upload(pypdf_bytes(writer))) == "scripted_pdf"


def test_pdf_with_javascript_inside_a_compressed_object_stream_is_refused():
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>"
    action = b"<< /S /JavaScript /JS (app.alert(1)) >>"
    source = pdf_with_object_stream(catalog, action)
    assert b"JavaScript" not in source  # only reading the objects can find it
    assert refusal_code(upload(source)) == "scripted_pdf"


def test_name_escaped_javascript_pdf_is_refused():
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Open#41ction 4 0 R >>"
    action = b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"
    assert refusal_code(upload(handmade_pdf(catalog, PAGES, PAGE, action))) == "scripted_pdf"


def test_name_escaped_javascript_outside_the_cross_reference_table_is_refused():
    # pypdf never reads object 4 (nothing lists or references it), but a viewer that repairs
    # the file would: the scan of the raw bytes finds it, escapes decoded.
    action = b"<< /S /J#61vaScript /J#53 (app.alert(1)) >>"
    source = handmade_pdf(CATALOG, PAGES, PAGE, action, listed=3)
    assert refusal_code(upload(source)) == "scripted_pdf"


def test_pdf_with_too_many_objects_to_check_is_refused(monkeypatch):
    monkeypatch.setattr(uploads, "PDF_MAX_OBJECTS", 10)
    fillers = [b"[%d]" % number for number in range(8)]
    assert refusal_code(upload(handmade_pdf(CATALOG, PAGES, PAGE, *fillers))) == "complex_pdf"


def test_pdf_without_eof_marker_is_refused():
    source = pypdf_bytes(one_page_writer())
    assert refusal_code(upload(source.replace(b"%%EOF", b""))) == "malformed_pdf"


def test_pdf_header_followed_by_garbage_is_refused():
    assert refusal_code(upload(b"%PDF-1.7\n<html>not a pdf</html>\n%%EOF\n")) == "malformed_pdf"


def test_pdf_without_pages_is_refused():
    assert refusal_code(upload(pypdf_bytes(PdfWriter()))) == "malformed_pdf"


def test_unsupported_type_message_says_what_to_send():
    with pytest.raises(ValidationError) as error:
        clean_upload(upload(b"MZ\x90\x00", "cin.pdf"))
    assert error.value.messages == [
        "This type of file is not accepted. Send a PDF, JPEG or PNG file of at most 10 MB."
    ]


# Names


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("C:\\x\\evil.png", "evil.png"),
        ("scan\x00.php\n.pdf", "scan.php.pdf"),
        ("line\r\nbreak.pdf", "linebreak.pdf"),
        ("\u202efdp.exe", "fdp.exe"),  # a right-to-left override would show "exe.pdf"
        ("  bulletin de paie .pdf  ", "bulletin de paie .pdf"),
    ],
)
def test_path_tricks_in_the_name_are_accepted_but_sanitised(name, shown):
    document = clean_upload(upload(pypdf_bytes(one_page_writer()), name))
    assert document.original_name == shown
    stored = stored_name(document)
    assert STORED_NAME_RE.match(stored)
    assert "passwd" not in stored and "evil" not in stored and ".." not in stored


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\system32\\cin.png", "cin.png"),
        ("/", "document.pdf"),
        ("..", "document.pdf"),
        ("", "document.pdf"),
        (None, "document.pdf"),
        ("\x00\x1b[31m", "[31m"),
    ],
)
def test_display_name_keeps_only_a_safe_basename(raw, shown):
    # Django already drops "../" from uploaded names; this does not rely on it.
    assert display_name(raw, extension="pdf") == shown


def test_long_name_is_cut_to_100_characters_keeping_its_extension():
    shown = display_name("a" * 300 + ".jpeg", extension="jpg")
    assert len(shown) == 100
    assert shown.endswith("a.jpeg")


def test_stored_name_is_generated_and_unique():
    document = clean_upload(upload(image_bytes("PNG"), "cin.png", "image/png"))
    names = {stored_name(document) for _ in range(3)}
    assert len(names) == 3
    assert all(STORED_NAME_RE.match(name) and name.endswith(".png") for name in names)


# Form field


class SubscriptionDocumentsForm(forms.Form):
    full_name = forms.CharField()
    identity_document = DocumentField()
    signed_form = DocumentField(required=False)


def test_document_field_returns_a_clean_document():
    source = pypdf_bytes(one_page_writer())
    form = SubscriptionDocumentsForm(
        data={"full_name": "Amel Trabelsi"},
        files={"identity_document": upload(source, "cin.pdf")},
    )
    assert form.is_valid(), form.errors
    assert pages_of(form.cleaned_data["identity_document"].content) == 1
    assert form.cleaned_data["signed_form"] is None


def test_bad_file_in_document_field_keeps_the_other_fields():
    html = b"<html><script>alert(1)</script></html>"
    form = SubscriptionDocumentsForm(
        data={"full_name": "Amel Trabelsi"},
        files={"identity_document": upload(html, "cin.jpg", "image/jpeg")},
    )
    assert not form.is_valid()
    assert form.cleaned_data == {"full_name": "Amel Trabelsi", "signed_form": None}
    assert [e.code for e in form.errors.as_data()["identity_document"]] == ["unsupported_type"]


def test_empty_file_in_document_field_is_refused_with_our_message():
    form = SubscriptionDocumentsForm(
        data={"full_name": "Amel Trabelsi"},
        files={"identity_document": upload(b"", "cin.pdf")},
    )
    assert not form.is_valid()
    [error] = form.errors.as_data()["identity_document"]
    assert error.code == "empty"
    assert form.errors["identity_document"] == [
        "The file is empty. Send a PDF, JPEG or PNG file of at most 10 MB."
    ]


def test_document_field_tells_the_browser_what_to_offer():
    html = str(SubscriptionDocumentsForm()["identity_document"])
    assert 'accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"' in html
