"""E-mails as template triplets: emails/<name>-subject.txt, -body.txt and -body.html."""

from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend
from django.template.loader import render_to_string
from django.utils import translation


def send_templated(
    *,
    to: str,
    template: str,
    context: dict,
    language: str = "fr",
    attachments: list[tuple[str, bytes, str]] = (),  # type: ignore[assignment]
) -> None:
    """Send one e-mail in the recipient's language. Call it outside any transaction."""
    context = {**context, "LANGUAGE_CODE": language, "operator": settings.OPERATOR}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}-subject.txt", context)
        text = render_to_string(f"emails/{template}-body.txt", context)
        html = render_to_string(f"emails/{template}-body.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), text, to=[to])
    message.attach_alternative(html, "text/html")
    for name, content, mimetype in attachments:
        message.attach(name, content, mimetype)
    message.send()


class ConsoleEmailBackend(DjangoConsoleBackend):
    """The console mail of `make run`, to be read: subject, recipients, the text body as written
    (its links whole, to click) and the attachments by name and size, not dumped in base64."""

    def write_message(self, message: EmailMessage) -> None:
        lines = [
            f"Subject: {message.subject}",
            f"From: {message.from_email}",
            f"To: {', '.join(message.recipients())}",
            "",
            message.body.rstrip(),
            "",
        ]
        for _content, mimetype in getattr(message, "alternatives", []):
            lines.append(f"Alternative: {mimetype}")
        for attachment in message.attachments:
            lines.append(f"Attachment: {_attachment_label(attachment)}")
        self.stream.write("\n".join(lines) + "\n" + "-" * 79 + "\n")


def _attachment_label(attachment) -> str:
    if isinstance(attachment, MIMEBase):
        payload = attachment.get_payload(decode=True) or b""
        return (
            f"{attachment.get_filename()} ({attachment.get_content_type()}, {len(payload)} bytes)"
        )
    name, content, mimetype = attachment
    size = len(content.encode() if isinstance(content, str) else content)
    return f"{name} ({mimetype}, {size} bytes)"
