"""Customer pages of the subscriptions app: the subscription journey (files) and a line's pages
(records)."""
