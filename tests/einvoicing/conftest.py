"""Electronic invoices: a throw-away certificate, the recording backend emptied, every invoice in
scope, and every TEIF document the tests produce checked against TTN's schema at the end."""

import pytest

from einvoicing.backends import RecordingBackend
from einvoicing.models import Submission
from einvoicing.schema import teif_errors

# The browser fixtures of tests/e2e, for test_einvoice_pages.py.
from tests.e2e.conftest import browser, browser_errors, live_server, page  # noqa: F401
from tests.einvoicing.certificates import throwaway


@pytest.fixture(autouse=True)
def einvoice_settings(settings, private_storage):
    for name, value in throwaway()[0].items():
        setattr(settings, name, value)
    settings.EINVOICE_SCOPE = "all"
    settings.EINVOICE_BACKEND = "einvoicing.backends.RecordingBackend"
    RecordingBackend.sent.clear()
    RecordingBackend.registered.clear()
    yield settings
    RecordingBackend.sent.clear()
    RecordingBackend.registered.clear()


@pytest.fixture
def certificate():
    return throwaway()[1]


@pytest.fixture(autouse=True)
def every_teif_document_is_valid(db, einvoice_settings):
    """After each test: every document stored or sent is valid against TTN's signed schema."""
    yield
    documents = [sent.xml for sent in RecordingBackend.sent]
    for submission in Submission.objects.exclude(xml=""):
        with submission.xml.open("rb") as stored:
            documents.append(stored.read())
    for document in documents:
        assert teif_errors(document, signed=True) == []
