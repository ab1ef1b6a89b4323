"""Ending one option of a line (R17.4): the option stops, the line and its contract run on."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from subscriptions.lifecycle.records import line_record
from subscriptions.models import LineOption


class OptionEndRefused(Exception):
    pass


def line_option_end(*, line_option: LineOption, actor: User) -> LineOption:
    """R17.4: the option ends today; the month's invoice bills it for its days (R9.2) and the
    rest of the contract is left as it is. Claimed by a conditional update: once only."""
    today = timezone.localdate()
    with transaction.atomic():
        if not LineOption.objects.filter(pk=line_option.pk, ended_on__isnull=True).update(
            ended_on=today
        ):
            raise OptionEndRefused(_("This option has ended already."))
        line_option.ended_on = today
        line_record(
            line=line_option.line,
            actor=actor,
            reason=f"Option {line_option.option.name} terminated (R17.4)"[:255],
        )
    return line_option
