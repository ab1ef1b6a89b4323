"""What subscriptions tells the apps above it, without importing them: each signal is sent
inside the transaction that makes the change; an app that must act on it connects a receiver in
its AppConfig.ready() (passes: `passes.receivers`)."""

from django.dispatch import Signal

# A pass was taken on a line (R1.2): `line_option`, `actor`. Its first period starts now, paid or
# charged as it starts; a receiver refuses it by raising OptionRefused, which undoes the option.
pass_taken = Signal()
