"""Models of the subscriptions app, split by sub-domain."""

from subscriptions.models.files import FilePiece, FileStatusChange, IdentityCheck, SubscriptionFile
from subscriptions.models.records import (
    Contract,
    Customer,
    Line,
    LineOption,
    LineStatusChange,
    MobileNumber,
    SimCard,
)
from subscriptions.models.suspensions import (
    CustomerNotification,
    ProvisioningOrder,
    SuspensionCause,
)

__all__ = [
    "Contract",
    "Customer",
    "CustomerNotification",
    "FilePiece",
    "FileStatusChange",
    "IdentityCheck",
    "Line",
    "LineOption",
    "LineStatusChange",
    "MobileNumber",
    "ProvisioningOrder",
    "SimCard",
    "SubscriptionFile",
    "SuspensionCause",
]
