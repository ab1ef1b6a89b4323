"""Models of the subscriptions app, split by sub-domain."""

from subscriptions.models.files import FilePiece, FileStatusChange, IdentityCheck, SubscriptionFile
from subscriptions.models.prepaid import (
    PrepaidAccount,
    PrepaidMovement,
    RechargeCode,
    RechargeCodeBatch,
    RechargeCodeFailure,
    TopUp,
)
from subscriptions.models.records import (
    Contract,
    Customer,
    Line,
    LineOption,
    LineStatusChange,
    MobileNumber,
    SimCard,
)
from subscriptions.models.sim_loss import SimLossDeclaration
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
    "PrepaidAccount",
    "PrepaidMovement",
    "ProvisioningOrder",
    "RechargeCode",
    "RechargeCodeBatch",
    "RechargeCodeFailure",
    "SimCard",
    "SimLossDeclaration",
    "SubscriptionFile",
    "SuspensionCause",
    "TopUp",
]
