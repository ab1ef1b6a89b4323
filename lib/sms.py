"""Text messages through a backend chosen by `settings.SMS_BACKEND`, like `EMAIL_BACKEND`.

`ConsoleSmsBackend` writes each message to standard output (development); `LocmemSmsBackend`
keeps them in `lib.sms.outbox` (tests), as Django's locmem e-mail backend does.
"""

import sys
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Sms:
    to: str
    text: str


class SmsBackend(Protocol):
    def send(self, message: Sms) -> None: ...


class ConsoleSmsBackend:
    def send(self, message: Sms) -> None:
        sys.stdout.write(f"SMS to {message.to}: {message.text}\n")
        sys.stdout.flush()


outbox: list[Sms] = []


class LocmemSmsBackend:
    def send(self, message: Sms) -> None:
        outbox.append(message)


def send_sms(*, to: str, text: str) -> None:
    """Send one text message. Call it outside any transaction."""
    backend: SmsBackend = import_string(settings.SMS_BACKEND)()
    backend.send(Sms(to=to, text=" ".join(text.split())))
