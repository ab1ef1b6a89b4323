"""Property tests of the API's own OpenAPI document (schemathesis): for every operation,
generated requests never get a server error, and every answer (status, headers, body) is one
the document describes. A few examples per operation keep it to seconds."""

import json
from datetime import date

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from schemathesis.checks import negative_data_rejection

from api.keys import key_create
from billing.models import BillingRun
from privacy.services import consent_record
from tests.api.conftest import ALL_SCOPES
from tests.api.helpers import many_bills
from tests.factories import ContractFactory, CustomerFactory

DOCUMENT = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
schema = schemathesis.openapi.from_dict(DOCUMENT)
schema.app = get_wsgi_application()


def test_tmf_api_document_is_published_at_a_stable_url_with_its_docs_page(db):
    client = Client()
    served = client.get("/tmf-api/openapi.json")
    assert served.status_code == 200
    assert served.json()["paths"].keys() == DOCUMENT["paths"].keys()
    page = client.get("/tmf-api/docs")
    assert page.status_code == 200
    assert b"/static/vendor/swagger-ui/swagger-ui-bundle." in page.content  # no CDN
    assert b"https://" not in page.content


@pytest.fixture
def key_text(db, settings) -> str:
    """A key with every scope, and a customer with bills, a run and a choice to read."""
    settings.ALLOWED_HOSTS = ["localhost"]  # schemathesis' WSGI requests name this host
    customer = CustomerFactory()
    many_bills(ContractFactory(customer=customer), 3)
    BillingRun.objects.create(period_start=date(2026, 3, 1), status="done")
    consent_record(customer=customer, purpose="partners", granted=False, channel="portal")
    _key, text = key_create(name="Schemathesis", scopes=ALL_SCOPES, rate_per_minute=100_000)
    # As Django's test client does: the test's transaction outlives each request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield text
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_tmf_api_answers_match_its_openapi_document(case, key_text):
    # Unknown query parameters are ignored, as TM Forum's APIs do (attribute filters): a
    # request with one is not "invalid", so the negative-data check is left out.
    case.call_and_validate(
        headers={"Authorization": f"Bearer {key_text}"},
        excluded_checks=[negative_data_rejection],
    )
