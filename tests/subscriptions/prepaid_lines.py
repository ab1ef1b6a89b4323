"""A prepaid customer with an active line, for the tests of top-ups and of the prepaid life
cycle (R2.3, R2.7 to R2.9)."""

from datetime import datetime

from django.utils import timezone

from accounts.models import Boutique
from catalogue.models import Offer
from subscriptions.models import Line
from subscriptions.services.records import line_activate
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    LineFactory,
    SimCardFactory,
    UserFactory,
)


def prepaid_line(*, boutique: Boutique, email: str, activated: datetime) -> Line:
    customer = CustomerFactory(boutique=boutique, user=UserFactory(email=email))
    line = LineFactory(
        contract=ContractFactory(customer=customer), offer=Offer.objects.get(code="carte-libre")
    )
    return line_activate(
        line=line,
        sim=SimCardFactory(boutique=boutique),
        job="test",
        at=timezone.make_aware(activated),
    )
