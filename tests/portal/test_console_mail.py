"""The console mail of `make run` is readable: links whole, attachments by name and size."""

import base64
import os
import subprocess
import sys
from io import StringIO

from django.conf import settings
from django.core import mail

from lib.emails import ConsoleEmailBackend

LINK = "http://127.0.0.1:8000/confirm-email/" + "Zx9-" * 30 + "/"
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 8


def test_the_console_mail_prints_the_confirmation_link_whole_and_names_the_attachments():
    stream = StringIO()
    message = mail.EmailMultiAlternatives(
        "Confirmez votre adresse électronique",
        f"Bonjour Amira,\n\nPour confirmer votre adresse, ouvrez ce lien :\n{LINK}\n",
        to=["client@demo.tn"],
    )
    message.attach_alternative(f'<p><a href="{LINK}">Confirmer</a></p>', "text/html")
    message.attach("formulaire.pdf", PDF, "application/pdf")
    ConsoleEmailBackend(stream=stream).send_messages([message])
    printed = stream.getvalue()
    assert "Subject: Confirmez votre adresse électronique" in printed
    assert "To: client@demo.tn" in printed
    assert f"\n{LINK}\n" in printed
    assert "Attachment: formulaire.pdf (application/pdf, 2057 bytes)" in printed
    assert base64.b64encode(PDF)[:40].decode() not in printed
    assert "Content-Transfer-Encoding" not in printed


def test_debug_without_email_backend_uses_the_readable_console():
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DEBUG": "true",
        "DATABASE_URL": os.environ["DATABASE_URL"],
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.EMAIL_BACKEND)",
        ],
        cwd=settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "lib.emails.ConsoleEmailBackend"
