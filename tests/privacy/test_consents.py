"""Consents and objections (R21.1-R21.3): an append-only history, a current state derived from
it, objections effective at once and told to every recipient, the subscription form's choices."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from catalogue.models import RequiredDocument
from lib import sms
from privacy.marketing import campaign_queue, messages_send
from privacy.models import Campaign, CampaignMessage, Consent, ObjectionDelivery, Recipient
from privacy.models.consents import HistoryRewritten
from privacy.selectors import consent_granted, consent_state
from privacy.services import consent_record
from subscriptions.models import Customer, Line, SubscriptionFile
from tests.subscriptions.helpers import (
    STEP,
    fill_until_documents,
    png,
    submit_online,
)

pytestmark = pytest.mark.django_db


def signed_in(customer: Customer) -> Client:
    client = Client()
    client.force_login(customer.user)
    return client


def choose(customer: Customer, purpose: str, granted: bool) -> Consent:
    return consent_record(
        customer=customer, purpose=purpose, granted=granted, channel="portal", actor=customer.user
    )


def test_r21_consent_history_is_append_only(new_alice):
    first = choose(new_alice, "marketing_sms", True)
    choose(new_alice, "marketing_sms", False)

    first.granted = False
    with pytest.raises(HistoryRewritten):
        first.save()
    with pytest.raises(HistoryRewritten):
        first.delete()
    with pytest.raises(HistoryRewritten):
        Consent.objects.filter(pk=first.pk).update(granted=False)
    with pytest.raises(HistoryRewritten):
        Consent.objects.filter(customer=new_alice).delete()

    rows = list(
        Consent.objects.filter(customer=new_alice, purpose="marketing_sms").values_list(
            "granted", flat=True
        )
    )
    assert rows == [True, False]  # both kept, in order, as given


def test_r21_consent_admin_adds_choices_but_never_changes_or_deletes_them(new_alice, agent):
    client = Client()
    client.force_login(agent)
    response = client.post(
        reverse("admin:privacy_consent_add"),
        {
            "customer": new_alice.pk,
            "purpose": "marketing_calls",
            "granted": "on",
            "channel": "boutique",
        },
    )
    assert response.status_code == 302
    row = Consent.objects.filter(customer=new_alice, purpose="marketing_calls").get()
    assert (row.granted, row.channel, row.actor) == (True, "boutique", agent)

    change = reverse("admin:privacy_consent_change", args=[row.pk])
    assert client.post(change, {"purpose": "partners", "granted": ""}).status_code == 403
    assert client.get(reverse("admin:privacy_consent_delete", args=[row.pk])).status_code == 403
    row.refresh_from_db()
    assert (row.purpose, row.granted) == ("marketing_calls", True)


def test_r21_1_current_state_is_the_latest_choice_else_the_rules_default(bob):
    state = consent_state(bob)
    # R21.2, R21.3: traffic data and partners unless opposed (bob objected to partners in
    # conftest); direct marketing only if asked for.
    assert state["traffic_offers"].granted is True and state["traffic_offers"].since is None
    assert state["partners"].granted is False
    assert state["marketing_email"].granted is False

    choose(bob, "marketing_email", True)
    choose(bob, "traffic_offers", False)
    state = consent_state(bob)
    assert state["marketing_email"].granted
    assert state["marketing_email"].channel == Consent.Channel.PORTAL.label
    assert not state["traffic_offers"].granted


def test_r21_2_objection_effective_immediately(new_alice, supervisor, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    choose(new_alice, "marketing_email", True)
    campaign = Campaign.objects.create(
        name="Été", subject="Offre d'été", body="20 Go offerts", created_by=supervisor
    )
    campaign_queue(campaign=campaign, customer_ids=[new_alice.pk])
    message = CampaignMessage.objects.get(campaign=campaign)

    response = signed_in(new_alice).post(
        reverse("portal:privacy_consent"), {"purpose": "marketing_email", "granted": "no"}
    )

    assert response.status_code == 302
    assert consent_granted(new_alice.pk, "marketing_email") is False
    assert messages_send(message_ids=[message.pk]) == {message.pk: "skipped"}
    assert mail.outbox == []


def test_r21_2_a_campaign_on_traffic_data_needs_both_consents(new_alice, supervisor, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    choose(new_alice, "marketing_email", True)
    choose(new_alice, "traffic_offers", False)
    plain, targeted = (
        Campaign.objects.create(
            name=name,
            subject="Offre",
            body="Texte",
            uses_traffic_data=uses,
            created_by=supervisor,
        )
        for name, uses in (("plain", False), ("targeted", True))
    )
    for campaign in (plain, targeted):
        campaign_queue(campaign=campaign, customer_ids=[new_alice.pk])

    sent = {
        c.name: messages_send(message_ids=[c.messages.get().pk])[c.messages.get().pk]
        for c in (plain, targeted)
    }

    assert sent == {"plain": "sent", "targeted": "skipped"}
    assert [m.to for m in mail.outbox] == [[new_alice.user.email]]
    assert messages_send(message_ids=[plain.messages.get().pk]) == {}  # decided once


def test_r21_3_an_objection_is_queued_once_for_each_recipient_of_its_purpose(alice):
    partner = Recipient.objects.create(
        name="Partenaire",
        kind="http",
        purposes=["partners", "marketing_sms"],
        endpoint_url="https://partner.example/optout",
        secret="s3cret",
    )
    sms_list = Recipient.objects.create(name="SMS", kind="internal", purposes=["marketing_sms"])
    Recipient.objects.create(
        name="Ancien", kind="internal", purposes=["marketing_sms"], is_active=False
    )

    choose(alice, "marketing_sms", True)
    objection = choose(alice, "marketing_sms", False)
    choose(alice, "marketing_sms", False)  # already objected: nothing new to tell

    deliveries = ObjectionDelivery.objects.filter(consent__purpose="marketing_sms")
    assert {d.recipient for d in deliveries} == {partner, sms_list}
    assert {d.consent for d in deliveries} == {objection}
    assert len({d.idempotency_key for d in deliveries}) == 2


def test_r21_privacy_page_one_click_objects_to_everything_and_shows_the_history(alice):
    client = signed_in(alice)
    choose(alice, "marketing_email", True)

    client.post(reverse("portal:privacy_consent"), {"purpose": "all", "granted": "no"})

    assert not any(state.granted for state in consent_state(alice).values())
    page = client.get(reverse("portal:privacy"), headers={"Accept-Language": "en"})
    assert page.status_code == 200
    history = page.text.split('id="history"')[1]
    assert (
        history.count("Objected") == Consent.objects.filter(customer=alice, granted=False).count()
    )
    assert "I object to every use" not in page.text  # nothing left to object to


def test_r21_the_privacy_page_is_for_customers_only(stranger):
    client = Client()
    client.force_login(stranger)
    assert client.get(reverse("portal:privacy")).status_code == 404


def test_r21_subscription_form_asks_every_consent_unticked(client, grid, lac, newcomer):
    submit_online(client, lac, newcomer)  # ticks nothing but the conditions
    customer = SubscriptionFile.objects.get(applicant=newcomer).customer
    assert consent_state(customer)["partners"].granted is False
    assert set(Consent.objects.filter(customer=customer).values_list("granted", flat=True)) == {
        False
    }
    assert Consent.objects.filter(customer=customer).count() == 5
    assert not ObjectionDelivery.objects.exists()  # a new customer's data went nowhere yet


def test_r21_summary_step_shows_the_consents_unticked(client, grid, lac, newcomer):
    fill_until_documents(client, lac)
    identity = RequiredDocument.objects.get(customer_kind="individual", code="identity")
    client.post(reverse(STEP, args=["documents"]), {f"piece_{identity.pk}": png()})
    page = client.get(reverse(STEP, args=["summary"])).text
    for purpose in (
        "marketing_email",
        "marketing_sms",
        "marketing_calls",
        "traffic_offers",
        "partners",
    ):
        box = page.split(f'name="consent_{purpose}"')[1].split(">")[0]
        assert "checked" not in box


def test_r21_2_a_supervisor_sends_a_campaign_only_to_those_who_agreed(
    alice, bob, supervisor, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    choose(alice, "marketing_email", True)  # bob never agreed to offers by e-mail
    campaign = Campaign.objects.create(
        name="Rentrée", subject="Offre de rentrée", body="Texte", created_by=supervisor
    )
    client = Client()
    client.force_login(supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:privacy_campaign_changelist"),
            {"action": "send_to_every_customer", "_selected_action": [campaign.pk]},
        )

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [[alice.user.email]]
    statuses = dict(campaign.messages.values_list("customer", "status"))
    assert (statuses[alice.pk], statuses[bob.pk]) == ("sent", "skipped")
    assert list(statuses.values()).count("sent") == 1


def test_r21_2_an_sms_campaign_needs_the_sms_consent_and_goes_to_the_active_line(
    alice, bob, supervisor, settings
):
    settings.SMS_BACKEND = "lib.sms.LocmemSmsBackend"
    sms.outbox.clear()
    choose(alice, "marketing_sms", True)
    choose(bob, "marketing_sms", True)  # agreed, but his only line is suspended
    campaign = Campaign.objects.create(
        name="Pass", channel="sms", body="Pass 5 Go à 5 DT", created_by=supervisor
    )
    campaign_queue(campaign=campaign, customer_ids=[alice.pk, bob.pk])
    ids = list(campaign.messages.values_list("pk", flat=True))

    decided = messages_send(message_ids=ids)

    alices_number = Line.objects.get(contract__customer=alice).number.msisdn
    assert sorted(decided.values()) == ["sent", "skipped"]
    assert [(m.to, "Pass 5 Go" in m.text) for m in sms.outbox] == [(alices_number, True)]
