"""Checks on the documents customers upload with a subscription (CIN or passport scans, trade
register extracts, the signed form).

`clean_upload()` decides the type from the bytes alone, never from the name or the declared
content type. Images are decoded in full, then re-encoded without metadata, so that what is stored
is pixels we produced (no EXIF/GPS, no trailing payload, no polyglot). PDFs are accepted only when
pypdf reads them, they are not encrypted and nothing in them can run or carry a file; they are then
stored as pypdf writes them again from their pages (no bytes after their end, no object that
nothing references, no earlier revision).
Each refusal is a ValidationError with its own `code`, so that `DocumentField` (and any other
caller) can tell them apart.
"""

import hashlib
import io
import re
import unicodedata
import uuid
import warnings
import zlib
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

MEGABYTE = 1024 * 1024
DISPLAY_NAME_MAX_LENGTH = 100
JPEG_QUALITY = 90
# Reading every object costs about 40 µs each: 200,000 tiny objects fit in 10 MB and take 8 s.
# Scans and signed forms have hundreds; a long generated report, a few thousand.
PDF_MAX_OBJECTS = 50_000

PDF, JPEG, PNG = "application/pdf", "image/jpeg", "image/png"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EXTENSIONS = {PDF: "pdf", JPEG: "jpg", PNG: "png"}
_PILLOW_FORMATS = {JPEG: "JPEG", PNG: "PNG"}
_PNG_MODES = frozenset({"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"})
_MAGIC_NUMBERS = (
    (b"%PDF-", PDF),
    (b"\xff\xd8\xff", JPEG),
    (PNG_SIGNATURE, PNG),
)

# Keys (or name values, such as /S /JavaScript or /Type /EmbeddedFile) that make a PDF run
# something or carry a file. /OpenAction is refused even when it is a mere "go to page 1":
# scans and signed forms never need one, and telling the harmless form apart is not worth it.
_SCRIPTED_PDF_NAMES = frozenset(
    {
        "/JavaScript",
        "/JS",
        "/OpenAction",
        "/AA",
        "/Launch",
        "/EmbeddedFile",
        "/EmbeddedFiles",
        "/EF",
        "/RichMedia",
        "/XFA",
    }
)
_SCRIPTED_PDF_RAW_NAMES = frozenset(name.encode() for name in _SCRIPTED_PDF_NAMES)
# A PDF name runs from "/" to the next white-space or delimiter character (ISO 32000-1, 7.2.2).
_PDF_NAME_RE = re.compile(rb"/[^\x00\t\n\x0c\r ()<>\[\]{}/%]*")
_PDF_NAME_ESCAPE_RE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Readers accept %%EOF within the last 1024 bytes (trailing garbage from mail gateways is common).
_PDF_EOF_WINDOW = 1024
_NOT_IN_DISPLAY_NAME = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})

MESSAGES = {
    "empty": _("The file is empty. Send a PDF, JPEG or PNG file of at most %(megabytes)s MB."),
    "too_large": _(
        "The file is too large. Send a PDF, JPEG or PNG file of at most %(megabytes)s MB."
    ),
    "unsupported_type": _(
        "This type of file is not accepted. "
        "Send a PDF, JPEG or PNG file of at most %(megabytes)s MB."
    ),
    "corrupt_image": _(
        "This image is damaged or incomplete. Scan or photograph the document again "
        "and send it as a PDF, JPEG or PNG file."
    ),
    "image_too_large": _(
        "This image has too many pixels (at most %(megapixels)s megapixels). "
        "Reduce its resolution and send it again."
    ),
    "encrypted_pdf": _(
        "This PDF is protected by a password or encryption. "
        "Remove the protection (or print it to a new PDF) and send it again."
    ),
    "scripted_pdf": _(
        "This PDF contains scripts, automatic actions or attached files, which we do not accept. "
        "Print it to a new PDF or scan the paper document, and send that file."
    ),
    "complex_pdf": _(
        "This PDF is too complex for us to check. "
        "Print it to a new PDF or scan the paper document, and send that file."
    ),
    "malformed_pdf": _(
        "This PDF is damaged or incomplete. Save or scan the document again and send the new file."
    ),
}


@dataclass(frozen=True)
class CleanDocument:
    content: bytes
    content_type: str
    extension: str
    original_name: str
    sha256: str


def clean_upload(uploaded: UploadedFile, *, max_bytes: int | None = None) -> CleanDocument:
    """Return the checked document, or raise ValidationError with a code from MESSAGES."""
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    # The size Django measured while receiving the file saves reading it; the read below is
    # bounded anyway, so a wrong size cannot make us load more than limit + 1 bytes.
    if uploaded.size is not None and uploaded.size > limit:
        raise _refusal("too_large", megabytes=_megabytes(limit))
    uploaded.seek(0)
    content = uploaded.read(limit + 1)
    if not content:
        raise _refusal("empty", megabytes=_megabytes(limit))
    if len(content) > limit:
        raise _refusal("too_large", megabytes=_megabytes(limit))
    content_type = _sniff(content)
    if content_type is None:
        raise _refusal("unsupported_type", megabytes=_megabytes(limit))
    if content_type == PDF:
        _check_pdf(content)
        content = _rewrite_pdf(content)
    else:
        content = _reencode_image(content, content_type)
    extension = EXTENSIONS[content_type]
    return CleanDocument(
        content=content,
        content_type=content_type,
        extension=extension,
        original_name=display_name(uploaded.name, extension=extension),
        sha256=hashlib.sha256(content).hexdigest(),
    )


def stored_name(document: CleanDocument) -> str:
    """A storage path that owes nothing to what the customer called the file."""
    today = timezone.localdate()
    return f"documents/{today:%Y}/{today:%m}/{uuid.uuid4().hex}.{document.extension}"


def display_name(raw: str | None, *, extension: str) -> str:
    """The customer's file name, safe to show: no folders, no control or bidi characters."""
    name = unicodedata.normalize("NFC", raw or "")
    # Browsers on Windows may send "C:\\Users\\...\\scan.pdf"; both separators count here.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c) not in _NOT_IN_DISPLAY_NAME)
    name = " ".join(name.split()).strip(" .")
    if not name:
        return f"document.{extension}"
    if len(name) > DISPLAY_NAME_MAX_LENGTH:
        stem, dot, suffix = name.rpartition(".")
        if dot and 0 < len(suffix) <= 10:
            keep = DISPLAY_NAME_MAX_LENGTH - len(suffix) - 1
            name = f"{stem[:keep].rstrip(' .')}.{suffix}"
        else:
            name = name[:DISPLAY_NAME_MAX_LENGTH]
    return name


class DocumentField(forms.FileField):
    """A file field whose cleaned value is a CleanDocument (None when optional and left empty)."""

    def __init__(self, *, max_bytes: int | None = None, **kwargs):
        self.max_bytes = max_bytes
        super().__init__(**kwargs)

    def to_python(self, data):
        # FileField would refuse an empty file here with a message that does not say what to send.
        if data not in self.empty_values and getattr(data, "size", None) == 0:
            raise _refusal("empty", megabytes=_megabytes(self._limit()))
        return super().to_python(data)

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            return clean_upload(value, max_bytes=self.max_bytes)
        # None (nothing sent), False (ClearableFileInput's "clear") or the initial value.
        return value

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if not widget.is_hidden:
            attrs.setdefault("accept", ".pdf,.jpg,.jpeg,.png," + ",".join(EXTENSIONS))
        return attrs

    def _limit(self) -> int:
        return settings.UPLOAD_MAX_BYTES if self.max_bytes is None else self.max_bytes


def _refusal(code: str, **params) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code, params=params or None)


def _megabytes(size: int) -> str:
    value = size / MEGABYTE
    value = round(value, 1) if value >= 1 else round(value, 3)
    return formats.number_format(int(value) if value == int(value) else value)


def _sniff(content: bytes) -> str | None:
    for magic, content_type in _MAGIC_NUMBERS:
        if content.startswith(magic):
            return content_type
    return None


def _reencode_image(content: bytes, content_type: str) -> bytes:
    # WeasyPrint sets Pillow's process-wide ImageFile.LOAD_TRUNCATED_IMAGES on import (the
    # invoices import it), and Pillow then pads a truncated image with grey instead of failing:
    # check the file's end ourselves.
    complete = _jpeg_is_complete if content_type == JPEG else _png_is_complete
    if not complete(content):
        raise _refusal("corrupt_image")
    max_pixels = settings.UPLOAD_MAX_PIXELS
    too_large = _refusal("image_too_large", megapixels=formats.number_format(max_pixels // 10**6))
    try:
        # Pillow warns above its own limit and raises above twice that; both mean a bomb here.
        # catch_warnings is process-wide state: a race between threads can only leave this
        # stricter filter in place, never remove it.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(
                io.BytesIO(content), formats=[_PILLOW_FORMATS[content_type]]
            )
            # The header gives the size: refuse before a single pixel is decoded.
            width, height = image.size
            if width * height > max_pixels:
                raise too_large
            image.load()
            # In place: a copy would double the memory of a 50-megapixel scan.
            ImageOps.exif_transpose(image, in_place=True)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_large from None
    except ValidationError:
        raise
    except Exception as error:
        # Pillow signals hostile or broken input with many types (OSError for truncation,
        # SyntaxError, ValueError, EOFError, struct.error, UnidentifiedImageError...): any of
        # them means the pixels cannot be trusted.
        raise _refusal("corrupt_image") from error
    # Drop every piece of metadata the encoders would otherwise copy over (JPEG comments, PNG
    # ICC profiles): only the transparency of a PNG is image data.
    image.info = {k: v for k, v in image.info.items() if k == "transparency"}
    output = io.BytesIO()
    if content_type == JPEG:
        if image.mode not in ("L", "RGB"):
            image = image.convert("RGB")
        image.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True)
    else:
        if image.mode not in _PNG_MODES:
            image = image.convert("RGBA")
        image.save(output, "PNG", optimize=True)
    return output.getvalue()


def _jpeg_is_complete(content: bytes) -> bool:
    """Walk the markers from start-of-image to end-of-image. Whatever follows the end marker
    (phones append motion-photo videos there) is ignored, and dropped by the re-encoding."""
    size = len(content)
    position = 2  # after the start-of-image marker
    while position + 1 < size:
        if content[position] != 0xFF:
            return False
        marker = content[position + 1]
        if marker == 0xD9:  # end of image
            return True
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a segment
            position += 2
            continue
        if position + 4 > size:
            return False
        position += 2 + int.from_bytes(content[position + 2 : position + 4], "big")
        if marker == 0xDA:
            # Compressed data follows the start-of-scan segment; in it, 0xFF is followed by
            # 0x00 (stuffing) or a restart marker, anything else is the next marker.
            while True:
                position = content.find(b"\xff", position)
                if position == -1 or position + 1 >= size:
                    return False
                following = content[position + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    position += 2
                elif following == 0xFF:
                    position += 1
                else:
                    break
    return False


def _png_is_complete(content: bytes) -> bool:
    """Every chunk whole, with a right CRC, up to IEND."""
    data = memoryview(content)
    position = len(PNG_SIGNATURE)
    while position + 12 <= len(data):
        length = int.from_bytes(data[position : position + 4], "big")
        kind = bytes(data[position + 4 : position + 8])
        end = position + 12 + length
        if end > len(data) or not kind.isalpha():
            return False
        if zlib.crc32(data[position + 4 : end - 4]) != int.from_bytes(data[end - 4 : end], "big"):
            return False
        if kind == b"IEND":
            return True
        position = end
    return False


def _check_pdf(content: bytes) -> None:
    if b"%%EOF" not in content[-_PDF_EOF_WINDOW:]:
        raise _refusal("malformed_pdf")
    # pypdf raises PdfReadError and friends but also KeyError, ValueError, RecursionError... on
    # hostile input: a PDF that pypdf cannot read is not one we keep.
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
    except Exception as error:
        # pypdf tries the empty password on opening, and fails on handlers it does not know
        # (public-key, or AES without the `cryptography` package): still an encrypted file.
        if b"/Encrypt" in _raw_names(content):
            raise _refusal("encrypted_pdf") from error
        raise _refusal("malformed_pdf") from error
    if reader.is_encrypted:
        raise _refusal("encrypted_pdf")
    if _object_count(reader) > PDF_MAX_OBJECTS:
        raise _refusal("complex_pdf")
    try:
        page_count = len(reader.pages)
        scripted = _has_scripted_object(reader)
    except ValidationError:
        raise
    except Exception as error:
        raise _refusal("malformed_pdf") from error
    if page_count == 0:
        raise _refusal("malformed_pdf")
    if scripted or _has_scripted_raw_name(content):
        raise _refusal("scripted_pdf")


def _rewrite_pdf(content: bytes) -> bytes:
    """The checked PDF written anew from its document catalogue: what a viewer could reach from
    it, and nothing else (trailing bytes, unreferenced objects and earlier revisions are gone)."""
    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        writer = PdfWriter(clone_from=reader)
        writer.pdf_header = reader.pdf_header
        output = io.BytesIO()
        writer.write(output)
    except Exception as error:
        # Same reasoning as in _check_pdf: a file pypdf cannot copy is not one we keep.
        raise _refusal("malformed_pdf") from error
    return output.getvalue()


def _object_count(reader: PdfReader) -> int:
    return sum(len(numbers) for numbers in reader.xref.values()) + len(reader.xref_objStm)


def _has_scripted_object(reader: PdfReader) -> bool:
    """Walk every object: from the trailer, and every object the cross-reference table lists
    (an object nobody references can still be found by a viewer that repairs the file)."""
    pending: list = [reader.trailer]
    for generation, numbers in reader.xref.items():
        pending.extend(IndirectObject(number, generation, reader) for number in numbers)
    pending.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    visited: set[tuple[int, int]] = set()
    while pending:
        obj = pending.pop()
        if isinstance(obj, IndirectObject):
            key = (obj.idnum, obj.generation)
            if key in visited:
                continue
            visited.add(key)
            if len(visited) > PDF_MAX_OBJECTS:
                raise _refusal("complex_pdf")
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            # dict.items: the raw values, so that references are followed here, once each.
            for name, value in dict.items(obj):
                if name in _SCRIPTED_PDF_NAMES:
                    return True
                pending.append(value)
        elif isinstance(obj, ArrayObject):
            pending.extend(list.__iter__(obj))
        elif isinstance(obj, NameObject) and obj in _SCRIPTED_PDF_NAMES:
            return True
    return False


def _has_scripted_raw_name(content: bytes) -> bool:
    """Belt and braces: look for the names in the bytes themselves, in case a viewer reads
    something that pypdf did not."""
    return not _SCRIPTED_PDF_RAW_NAMES.isdisjoint(_raw_names(content))


def _raw_names(content: bytes) -> set[bytes]:
    """The PDF names written outside stream data, "#xx" escapes decoded ("/J#61vaScript" is
    "/JavaScript"). Stream data is skipped: compressed bytes would spell "/JS" by chance in a
    few percent of large scans."""
    names = set()
    for name in _PDF_NAME_RE.findall(_outside_streams(content)):
        if b"#" in name:
            name = _PDF_NAME_ESCAPE_RE.sub(lambda m: bytes([int(m[1], 16)]), name)
        names.add(name)
    return names


def _outside_streams(content: bytes) -> bytes:
    # A linear scan with find(): a regular expression such as rb"stream.*?endstream" goes
    # quadratic on a file full of "stream" keywords without an "endstream".
    parts = []
    position = 0
    while True:
        start = content.find(b"stream", position)
        if start == -1:
            parts.append(content[position:])
            break
        parts.append(content[position:start])
        end = content.find(b"endstream", start + len(b"stream"))
        if end == -1:
            break
        position = end + len(b"endstream")
    return b" ".join(parts)
