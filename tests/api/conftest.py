"""Systems calling the API: keys with their scopes, and a client that sends them."""

import json

import pytest
from django.test import Client

from api.keys import key_create
from api.models import Scope

ALL_SCOPES = [scope.value for scope in Scope]


class ApiClient:
    """Django's test client with a key in `Authorization: Bearer`; answers read as JSON."""

    def __init__(self, text: str | None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {text}"} if text else {}

    def get(self, path: str, **params):
        return self.client.get(path, params, **self.headers)

    def post(self, path: str, body: dict):
        return self.client.post(
            path, json.dumps(body), content_type="application/json", **self.headers
        )

    def patch(self, path: str, body: dict, content_type: str = "application/merge-patch+json"):
        return self.client.patch(path, json.dumps(body), content_type=content_type, **self.headers)

    def delete(self, path: str):
        return self.client.delete(path, **self.headers)


@pytest.fixture
def system_key(db):
    """`system_key(scopes=[...], boutique=...)`: a new key and its text."""

    def make(*, scopes=None, boutique=None, name="CRM", rate_per_minute=600):
        return key_create(
            name=name,
            scopes=ALL_SCOPES if scopes is None else scopes,
            boutique=boutique,
            rate_per_minute=rate_per_minute,
        )

    return make


@pytest.fixture
def crm(system_key) -> ApiClient:
    """The CRM: every scope, every boutique."""
    _key, text = system_key()
    return ApiClient(text)
