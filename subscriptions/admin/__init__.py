"""Back office of the subscriptions app, one module per sub-domain of `subscriptions.models`;
importing them registers their admins."""

from subscriptions.admin import files, prepaid, records, sim_loss, suspensions

__all__ = ["files", "prepaid", "records", "sim_loss", "suspensions"]
