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

__all__ = [
    "Contract",
    "Customer",
    "FilePiece",
    "FileStatusChange",
    "IdentityCheck",
    "Line",
    "LineOption",
    "LineStatusChange",
    "MobileNumber",
    "SimCard",
    "SubscriptionFile",
]
