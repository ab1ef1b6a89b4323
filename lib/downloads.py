"""The one response for a private document: an attachment never sniffed nor cached."""

import io
from typing import IO

from django.http import FileResponse


def private_download(
    content: bytes | IO[bytes], *, filename: str, content_type: str | None = None
) -> FileResponse:
    """`content` (bytes or an open file) downloaded as `filename`: only its owner or the staff
    entitled to it get here, so no browser guesses its type and no cache keeps it."""
    if isinstance(content, bytes):  # FileResponse names the download only for a file object
        content = io.BytesIO(content)
    response = FileResponse(
        content, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
