"""Helpers shared by several test modules of this folder."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from lib.uploads import CleanDocument, clean_upload


def upload() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "white").save(buffer, "PNG")
    return SimpleUploadedFile("cin.png", buffer.getvalue(), content_type="image/png")


def scan() -> CleanDocument:
    return clean_upload(upload())
