"""Lines holding passes, for the tests of passes, their periods and partner interruptions."""

from datetime import datetime
from decimal import Decimal

import time_machine
from django.utils import timezone

from catalogue.models import Option
from subscriptions.models import Line, TopUp
from subscriptions.services.prepaid import top_up_record
from subscriptions.services.records import IDENTITY_CHECKS, line_option_add
from tests.billing.helpers import account
from tests.factories import AgentFactory, BoutiqueFactory
from tests.subscriptions.prepaid_lines import prepaid_line


def at(*args: int) -> datetime:
    """An instant in local time (Africa/Tunis)."""
    return timezone.make_aware(datetime(*args))


def take(line: Line, code: str, when: datetime):
    """An agent adds the pass `code` to the line at `when` (the five identity checks done)."""
    with time_machine.travel(when, tick=False):
        return line_option_add(
            line=line,
            option=Option.objects.get(code=code),
            actor=AgentFactory(),
            channel="phone",
            checks=dict.fromkeys(IDENTITY_CHECKS, True),
        )


def postpaid(activated=datetime(2026, 9, 1, 9, 0)) -> Line:
    return account(activated=activated)


def prepaid(credit: str, activated=datetime(2026, 9, 1, 9, 0)) -> Line:
    line = prepaid_line(
        boutique=BoutiqueFactory(), email=f"p{Line.objects.count()}@example.tn", activated=activated
    )
    with time_machine.travel(timezone.make_aware(activated), tick=False):
        top_up_record(
            line=line,
            channel=TopUp.Channel.BANKA,
            amount=Decimal(credit),
            reference=f"B{line.pk}",
            job="test",
        )
    return line
