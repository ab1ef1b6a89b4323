"""Access to the API: registered systems' keys only, never a customer's session; revoked keys,
missing scopes and other boutiques' customers refused; a rate per key; last use recorded."""

import multiprocessing
import os
from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.management import call_command
from django.test import Client

from accounts.models import User
from api.keys import key_create, key_revoke
from api.models import ApiKey, Scope
from tests.api.conftest import ApiClient
from tests.api.tmf_schema import tmf_validate

BILLS = "/tmf-api/customerBillManagement/v5"
PRIVACY = "/tmf-api/partyPrivacyManagement/v5"


def test_tmf678_no_key_or_a_wrong_key_is_refused(alice):
    for client in (ApiClient(None), ApiClient("tnp_nothing_here"), ApiClient("Basic x")):
        answer = client.get(f"{BILLS}/customerBill")
        assert answer.status_code == 401
        tmf_validate("TMF678", "Error", answer.json())


def test_tmf678_a_customer_session_is_not_a_key(alice):
    client = Client()
    client.force_login(alice.user)
    assert client.get(f"{BILLS}/customerBill").status_code == 401


def test_tmf678_a_revoked_key_stops_at_once(alice, system_key, supervisor):
    key, text = system_key()
    client = ApiClient(text)
    assert client.get(f"{BILLS}/customerBill").status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None  # last use recorded
    assert key_revoke(key=key, actor=supervisor)
    assert client.get(f"{BILLS}/customerBill").status_code == 401


def test_tmf678_keys_are_hashed_at_rest(system_key):
    key, text = system_key()
    stored = ApiKey.objects.filter(pk=key.pk).values()[0]
    assert all(text.split("_", 2)[2] not in str(value) for value in stored.values())


def test_tmf644_a_scope_is_needed_per_resource_and_per_write(alice, system_key):
    _key, text = system_key(scopes=[Scope.BILLS_READ])
    bills_only = ApiClient(text)
    assert bills_only.get(f"{BILLS}/customerBill").status_code == 200
    refused = bills_only.get(f"{PRIVACY}/partyPrivacyProfile")
    assert refused.status_code == 403
    tmf_validate("TMF644", "Error", refused.json())
    _key, text = system_key(scopes=[Scope.PRIVACY_READ], name="Reader")
    reader = ApiClient(text)
    assert reader.get(f"{PRIVACY}/partyPrivacyProfile/{alice.pk}").status_code == 200
    assert reader.get(f"{BILLS}/customerBill").status_code == 403
    patch = {
        "partyPrivacyProfileCharacteristic": [
            {"privacyUsagePurpose": "partners", "characterisitc": {"value": False}}
        ]
    }
    assert reader.patch(f"{PRIVACY}/partyPrivacyProfile/{alice.pk}", patch).status_code == 403
    assert reader.post(f"{BILLS}/hub", {"callback": "https://crm.example.tn/e"}).status_code == 403


def test_tmf678_and_tmf644_a_boutique_key_sees_only_its_customers(alice, bob, lac, system_key):
    _key, text = system_key(boutique=lac, name="Tunis Lac tablet")
    boutique = ApiClient(text)
    bills = boutique.get(f"{BILLS}/customerBill").json()
    alice_bill = alice.contracts.get().invoices.get()
    bob_bill = bob.contracts.get().invoices.get()
    assert [bill["id"] for bill in bills] == [str(alice_bill.pk)]
    assert boutique.get(f"{BILLS}/customerBill/{bob_bill.pk}").status_code == 404
    assert boutique.get(f"{BILLS}/customerBill/{bob_bill.pk}/document").status_code == 404
    bob_line = bob_bill.lines.first()
    assert boutique.get(f"{BILLS}/appliedCustomerBillingRate/{bob_line.pk}").status_code == 404
    assert boutique.get(f"{PRIVACY}/partyPrivacyProfile/{bob.pk}").status_code == 404
    assert boutique.get(f"{PRIVACY}/partyPrivacyAgreement/{bob.pk}").status_code == 404
    patch = {
        "partyPrivacyProfileCharacteristic": [
            {"privacyUsagePurpose": "partners", "characterisitc": {"value": False}}
        ]
    }
    assert boutique.patch(f"{PRIVACY}/partyPrivacyProfile/{bob.pk}", patch).status_code == 404
    ids = {p["id"] for p in boutique.get(f"{PRIVACY}/partyPrivacyProfile").json()}
    assert str(alice.pk) in ids and str(bob.pk) not in ids


def test_tmf678_each_key_has_its_own_rate(alice, system_key):
    _key, text = system_key(rate_per_minute=3)
    limited = ApiClient(text)
    _key, other_text = system_key(name="Finance")
    other = ApiClient(other_text)
    assert [limited.get(f"{BILLS}/billCycle").status_code for _ in range(3)] == [200] * 3
    refused = limited.get(f"{BILLS}/billCycle")
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert other.get(f"{BILLS}/billCycle").status_code == 200


# serialized_rollback: the flush that ends it would delete the staff groups of accounts.0002.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_tmf678_a_keys_rate_holds_across_processes():
    """Two web processes (gunicorn's workers) count the same key's requests together."""
    _key, text = key_create(name="Partner", scopes=[Scope.BILLS_READ], rate_per_minute=4)
    client = ApiClient(text)
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, 5, tzinfo=UTC), tick=False):
        assert [client.get(f"{BILLS}/billCycle").status_code for _ in range(2)] == [200] * 2
        # Another process, as a second worker: its own memory and its own database session.
        process = multiprocessing.get_context("fork").Process(target=_two_requests, args=(text,))
        process.start()
        process.join(timeout=60)
        assert process.exitcode == 0  # both answered 200
        refused = client.get(f"{BILLS}/billCycle")
        assert refused.status_code == 429
        assert refused["Retry-After"] == "55"  # the next minute
        tmf_validate("TMF678", "Error", refused.json())
    with time_machine.travel(datetime(2026, 3, 2, 10, 1, 0, tzinfo=UTC), tick=False):
        assert client.get(f"{BILLS}/billCycle").status_code == 200


def _two_requests(text: str) -> None:
    codes = [ApiClient(text).get(f"{BILLS}/billCycle").status_code for _ in range(2)]
    os._exit(0 if codes == [200, 200] else 1)


def test_tmf678_a_key_made_in_the_back_office_is_shown_once_and_revoked_there(alice, db):
    admin = User.objects.create_superuser(email="root@example.tn", password="x-long-password-1")
    client = Client()
    client.force_login(admin)
    answer = client.post(
        "/admin/api/apikey/add/",
        {"name": "Finance", "scopes": '["customerBill:read"]', "rate_per_minute": "60"},
    )
    assert answer.status_code == 302
    [shown] = [str(m) for m in get_messages(answer.wsgi_request) if "tnp_" in str(m)]
    text = shown[shown.index("tnp_") :]
    key = ApiKey.objects.get(name="Finance")
    assert (key.created_by, key.scopes) == (admin, ["customerBill:read"])
    assert ApiClient(text).get(f"{BILLS}/billCycle").status_code == 200
    client.post(
        "/admin/api/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    key.refresh_from_db()
    assert key.revoked_by == admin
    assert ApiClient(text).get(f"{BILLS}/billCycle").status_code == 401


def test_tmf678_a_key_made_on_the_command_line_reads_its_boutiques_bills(alice, bob, lac):
    out = StringIO()
    call_command(
        "api_key_create",
        "Finance",
        "--scope",
        "customerBill:read",
        "--boutique",
        lac.code,
        stdout=out,
    )
    client = ApiClient(out.getvalue().strip())
    bills = client.get(f"{BILLS}/customerBill").json()
    assert [bill["id"] for bill in bills] == [str(alice.contracts.get().invoices.get().pk)]
    assert client.get(f"{PRIVACY}/partyPrivacyProfile").status_code == 403
    key = ApiKey.objects.get(name="Finance")
    assert (key.boutique, key.scopes) == (lac, ["customerBill:read"])
