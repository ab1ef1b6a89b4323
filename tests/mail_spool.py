"""A mail backend for tests with worker processes: each message is a file in EMAIL_FILE_PATH,
named after its Message-ID, so that the test counts what went out from any process, and the
backend can say whether it already has a message (`message_sent`, as a provider's API can)."""

import hashlib
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


def _key(message_id: str) -> str:
    return hashlib.sha256(message_id.encode()).hexdigest()[:32]


def spooled(directory: Path) -> list[Path]:
    return sorted(Path(directory).glob("*.eml"))


def _directory() -> Path:
    """The test's EMAIL_FILE_PATH setting, or in a worker process its environment's (the
    portal's settings do not read that variable)."""
    return Path(getattr(settings, "EMAIL_FILE_PATH", None) or os.environ["EMAIL_FILE_PATH"])


class SpoolEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        directory = _directory()
        directory.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            message_id = message.extra_headers.get("Message-ID", uuid.uuid4().hex)
            path = directory / f"{_key(message_id)}-{uuid.uuid4().hex}.eml"
            path.write_bytes(message.message().as_bytes())
        return len(email_messages)

    def message_sent(self, message_id: str) -> bool:
        return any(_directory().glob(f"{_key(message_id)}-*.eml"))
