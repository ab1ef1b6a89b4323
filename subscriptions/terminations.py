"""The extra time staff may grant a suspended line before its termination by right (R17.5);
the termination itself is `subscriptions.ending.lines_end` (called by `subscriptions.sweeps`)."""

from datetime import date

from django.db import transaction

from accounts.models import User
from subscriptions.lifecycle import line_record
from subscriptions.models import SuspensionCause
from subscriptions.suspensions import locked_lines


def suspension_extend(
    *, cause: SuspensionCause, until: date, actor: User, reason: str
) -> SuspensionCause:
    """R17.5: staff grant extra time before termination by right, recorded on the line's
    history with who, when and why."""
    with transaction.atomic():
        locked_lines([cause.line_id])
        SuspensionCause.objects.filter(pk=cause.pk).update(extended_until=until)
        cause.extended_until = until
        line_record(
            line=cause.line,
            actor=actor,
            reason=f"{reason} (R17.5: {cause.get_cause_display()}, {until:%d/%m/%Y})"[:255],
        )
    return cause
