"""Models of the privacy app (R21.*, R6.5, R7.2, R7.4), split by sub-domain."""

from privacy.models.consents import (
    Campaign,
    CampaignMessage,
    Consent,
    ObjectionDelivery,
    Purpose,
    Recipient,
    SuppressionEntry,
)
from privacy.models.requests import AccessRequest, BankDetails, RectificationRequest
from privacy.models.staff import ServicePin, StaffAccessLog

__all__ = [
    "AccessRequest",
    "BankDetails",
    "Campaign",
    "CampaignMessage",
    "Consent",
    "ObjectionDelivery",
    "Purpose",
    "Recipient",
    "RectificationRequest",
    "ServicePin",
    "StaffAccessLog",
    "SuppressionEntry",
]
