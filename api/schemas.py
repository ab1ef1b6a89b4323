"""The shapes of the API's answers for its OpenAPI document (drf-spectacular): the subset of
TM Forum's schemas that the portal fills, with what it always gives marked required."""

from typing import Any

STR = {"type": "string"}
NUM = {"type": "number"}
DATETIME = {"type": "string", "format": "date-time"}
MONEY = {
    "type": "object",
    "required": ["unit", "value"],
    "properties": {"unit": {"type": "string", "enum": ["TND"]}, "value": NUM},
}
PERIOD = {"type": "object", "properties": {"startDateTime": DATETIME, "endDateTime": DATETIME}}
REF: dict[str, Any] = {
    "type": "object",
    "required": ["id", "@type"],
    "properties": {"id": STR, "href": STR, "name": STR, "@type": STR, "@referredType": STR},
}
TAX = {
    "type": "object",
    "required": ["@type", "taxCategory", "taxAmount"],
    "properties": {"@type": STR, "taxCategory": STR, "taxRate": NUM, "taxAmount": MONEY},
}
ENTITY = ["id", "href", "@type"]

BILL = {
    "type": "object",
    "required": ENTITY,
    "properties": {
        "id": STR,
        "href": STR,
        "@type": {"type": "string", "enum": ["CustomerBill"]},
        "billNo": STR,
        "category": {"type": "string", "enum": ["normal", "last", "creditNote"]},
        "runType": {"type": "string", "enum": ["onCycle", "offCycle"]},
        "state": {"type": "string", "enum": ["validated", "sent", "partiallyPaid", "settled"]},
        "billDate": DATETIME,
        "lastUpdate": DATETIME,
        "paymentDueDate": DATETIME,
        "billingPeriod": PERIOD,
        "billingAccount": REF,
        "billCycle": REF,
        "amountDue": MONEY,
        "remainingAmount": MONEY,
        "taxExcludedAmount": MONEY,
        "taxIncludedAmount": MONEY,
        "taxItem": {"type": "array", "items": TAX},
        "billDocument": {
            "type": "array",
            "items": {**REF, "properties": {**REF["properties"], "url": STR}},
        },
    },
}
RATE = {
    "type": "object",
    "required": ENTITY,
    "properties": {
        "id": STR,
        "href": STR,
        "@type": {"type": "string", "enum": ["AppliedCustomerBillingRate"]},
        "name": STR,
        "description": STR,
        "appliedBillingRateType": STR,
        "date": DATETIME,
        "isBilled": {"type": "boolean"},
        "bill": REF,
        "billingAccount": REF,
        "product": REF,
        "periodCoverage": PERIOD,
        "taxExcludedAmount": MONEY,
        "taxIncludedAmount": MONEY,
        "appliedTax": {"type": "array", "items": TAX},
        "characteristic": {"type": "array", "items": {"type": "object"}},
    },
}
CYCLE = {
    "type": "object",
    "required": ENTITY,
    "properties": {
        "id": STR,
        "href": STR,
        "@type": {"type": "string", "enum": ["BillCycle"]},
        "name": STR,
        "billingPeriod": STR,
        "description": STR,
        "billingDate": DATETIME,
        "mailingDate": DATETIME,
        "validFor": PERIOD,
    },
}
CHOICE = {
    "type": "object",
    "required": ["@type", "privacyUsagePurpose"],
    "properties": {
        "@type": STR,
        "privacyUsagePurpose": STR,
        "characterisitc": {
            "type": "object",
            "properties": {"@type": STR, "name": STR, "value": {"type": "boolean"}},
        },
    },
}
SPECIFICATION = {
    "type": "object",
    "required": ENTITY,
    "properties": {
        "id": STR,
        "href": STR,
        "@type": {"type": "string", "enum": ["PartyPrivacyProfileSpecification"]},
        "name": STR,
        "description": STR,
        "lifecycleStatus": STR,
        "version": STR,
        "specCharacteristic": {"type": "array", "items": {"type": "object"}},
    },
}
PARTY = {"type": "object", "properties": {"@type": STR, "role": STR, "partyOrPartyRole": REF}}
PROFILE = {
    "type": "object",
    "required": ENTITY,
    "properties": {
        "id": STR,
        "href": STR,
        "@type": {"type": "string", "enum": ["PartyPrivacyProfile"]},
        "name": STR,
        "status": STR,
        "creationDate": DATETIME,
        "lastUpdate": DATETIME,
        "applicableForParty": PARTY,
        "partyPrivacyProfileSpecification": REF,
        "agreement": REF,
        "partyPrivacyProfileCharacteristic": {"type": "array", "items": CHOICE},
    },
}
AGREEMENT = {
    "type": "object",
    "required": ENTITY,
    "properties": {
        "id": STR,
        "href": STR,
        "@type": {"type": "string", "enum": ["PartyPrivacyAgreement"]},
        "name": STR,
        "agreementType": STR,
        "status": STR,
        "initialDate": DATETIME,
        "engagedParty": {"type": "array", "items": REF},
        "partyPrivacyProfile": {"type": "array", "items": REF},
        "partyPrivacyProfileCharacteristic": {"type": "array", "items": CHOICE},
        "agreementAuthorization": {"type": "array", "items": {"type": "object"}},
    },
}
CHOICES_IN: dict[str, Any] = {
    "type": "object",
    "required": ["partyPrivacyProfileCharacteristic"],
    "properties": {
        "partyPrivacyProfileCharacteristic": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["privacyUsagePurpose", "characterisitc"],
                "properties": {
                    "@type": STR,
                    "privacyUsagePurpose": {
                        "type": "string",
                        "enum": [
                            "marketing_email",
                            "marketing_sms",
                            "marketing_calls",
                            "traffic_offers",
                            "partners",
                        ],
                    },
                    "characterisitc": {
                        "type": "object",
                        "required": ["value"],
                        "properties": {"value": {"type": "boolean"}},
                    },
                },
            },
        }
    },
}
PROFILE_IN = {
    **CHOICES_IN,
    "required": ["applicableForParty", "partyPrivacyProfileCharacteristic"],
    "properties": {
        **CHOICES_IN["properties"],
        "applicableForParty": {
            "type": "object",
            "required": ["partyOrPartyRole"],
            "properties": {
                "role": STR,
                "partyOrPartyRole": {
                    "type": "object",
                    "required": ["id"],
                    "properties": {"id": STR, "@type": STR},
                },
            },
        },
    },
}
# A callback: an https URL (plain http too under DEBUG, for a laptop).
CALLBACK = r"https://[a-z0-9]([a-z0-9.-]{0,200}[a-z0-9])?(:[0-9]{1,5})?(/[!-~]{0,250})?"
CALLBACK_DEBUG = r"https?" + CALLBACK[5:]
HUB_IN = {
    "type": "object",
    "required": ["callback"],
    "properties": {
        "callback": {"type": "string", "pattern": f"^{CALLBACK}$", "maxLength": 500},
        "query": {"type": "string", "maxLength": 255},
    },
}
HUB = {
    "type": "object",
    "required": ["id", "callback", "@type"],
    "properties": {
        "id": STR,
        "href": STR,
        "@type": STR,
        "callback": STR,
        "query": STR,
        "secret": {
            "type": "string",
            "description": "Key of the HMAC-SHA256 signature of each event (given once).",
        },
    },
}
ERROR = {
    "type": "object",
    "required": ["@type", "code", "reason"],
    "properties": {"@type": STR, "code": STR, "reason": STR, "message": STR, "status": STR},
}
