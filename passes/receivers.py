"""What passes does when subscriptions signals (`subscriptions.signals`); connected in
PassesConfig.ready()."""

from django.dispatch import receiver

from passes.services import PassRefused, pass_open
from subscriptions.services.records import OptionRefused
from subscriptions.signals import pass_taken


@receiver(pass_taken)
def pass_taken_open(*, line_option, actor, **kwargs) -> None:
    """R1.2: the pass's first period from now; a refusal undoes the option with its message."""
    try:
        pass_open(line_option=line_option, actor=actor)
    except PassRefused as error:
        raise OptionRefused(str(error)) from None
