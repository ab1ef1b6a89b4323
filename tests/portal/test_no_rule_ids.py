"""Rule IDs such as "(R16.1)" are for staff and code; customer pages do not show them."""

import re
from datetime import date, datetime

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from privacy.models import RectificationRequest
from subscriptions.lifecycle.records import line_transition
from subscriptions.models import Line
from terminations.models import TerminationLine, TerminationRequest

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.time_machine(timezone.make_aware(datetime(2026, 12, 1, 10, 0)), tick=False),
]

RULE_ID = re.compile(r"\(R\d+\.\d+")


@pytest.fixture
def alice_with_history(alice):
    """Alice's line suspended by the unpaid-invoice sweep's reason, a just-motive letter and a
    correction awaiting her confirmation: texts that carry rule IDs in the admin."""
    line = alice.contracts.get().lines.get()
    line_transition(
        line=line,
        to=Line.Status.SUSPENDED,
        job="test",
        reason="Invoice unpaid after its due date (R10.4)",
    )
    letter = TerminationRequest.objects.create(
        customer=alice,
        motive=TerminationRequest.Motive.TARIFF_INCREASE,
        prepared_by=alice.user,
        expected_receipt_on=date(2026, 12, 4),
    )
    TerminationLine.objects.create(
        request=letter, line=line, procedure=TerminationLine.Procedure.JUST_MOTIVE
    )
    RectificationRequest.objects.filter(customer=alice).update(
        status=RectificationRequest.Status.AWAITING_CONFIRMATION
    )
    return alice, line, letter


@pytest.mark.parametrize("language", ["fr", "ar", "en"])
def test_the_main_customer_pages_show_no_rule_id(client, alice_with_history, language):
    alice, line, letter = alice_with_history
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    visitor_pages = [
        reverse("portal:home"),
        reverse("portal:login"),
        reverse("portal:subscribe_account"),
    ]
    customer_pages = [
        reverse("portal:dashboard"),
        reverse("portal:line_detail", args=[line.pk]),
        reverse("portal:line_suspension", args=[line.pk]),
        reverse("portal:invoice_list"),
        reverse("portal:privacy"),
        reverse("portal:termination_new"),
        reverse("portal:termination_detail", args=[letter.pk]),
    ]
    shown = {}
    for url in [*visitor_pages, None, *customer_pages]:
        if url is None:
            client.force_login(alice.user)
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        shown[url] = RULE_ID.findall(response.content.decode())
    assert shown == {url: [] for url in visitor_pages + customer_pages}
