"""What subscriptions does when billing signals (`billing.signals`); connected in
SubscriptionsConfig.ready()."""

from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from billing.signals import advance_paid, payment_recorded
from subscriptions.services.sweeps import credit_control_lift
from subscriptions.tasks import lift_settled_suspensions


@receiver(payment_recorded)
def payment_recorded_lift(*, customer_id: int, **kwargs) -> None:
    """R10.4, R11.2: after the commit, the suspensions the payment settles are lifted."""
    transaction.on_commit(lambda: lift_settled_suspensions.delay(customer_id))


@receiver(advance_paid)
def advance_paid_lift(*, customer_id: int, actor, **kwargs) -> None:
    """R13.1: the credit-control cause the advance answers is lifted in the agent's name."""
    credit_control_lift(today=timezone.localdate(), customer_id=customer_id, actor=actor)
