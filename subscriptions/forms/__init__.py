"""Forms of the subscriptions app, one module per sub-domain of `subscriptions.models`."""
