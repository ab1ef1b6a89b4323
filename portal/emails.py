"""E-mails as template triplets: emails/<name>-subject.txt, -body.txt and -body.html."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
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
