"""What billing tells the apps above it, without importing them: each signal is sent inside the
transaction that records the payment; an app that must act on it connects a receiver in its
AppConfig.ready() (subscriptions: `subscriptions.receivers`)."""

from django.dispatch import Signal

# A payment was recorded for a customer's account (R10.4, R11.2): `customer_id`. What it settles
# (the suspensions it caused) is lifted after the commit.
payment_recorded = Signal()
# An advance answered its request (R11.2, R13.1): `customer_id`, `actor`. The credit-control
# suspension the request caused is lifted in the same transaction, in the agent's name.
advance_paid = Signal()
