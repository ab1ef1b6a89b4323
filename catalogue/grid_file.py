"""Load a tariff grid from a TOML file (catalogue/data/demo_grid.toml is the demo one).

Rows are matched on their natural keys (code, effective date, kind…), so loading the same file
twice changes nothing.
"""

import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from django.db import models, transaction

from catalogue.models import (
    DestinationPrefix,
    Fee,
    GridParameters,
    InternationalRate,
    Offer,
    OfferTerms,
    Option,
    OptionPrice,
    PassAllowance,
    PrepaidValidity,
    RequiredDocument,
)
from lib.money import tnd

MONEY_KEYS = {
    "monthly_fee",
    "voice_rate",
    "sms_rate",
    "data_rate_per_mb",
    "rate_per_minute",
    "fee",
    "amount",
    "stamp_duty",
    "minimum_invoice_excl_tax",
    "minimum_top_up",
    "legal_admin_fee",
    "legal_lawyer_fee",
}


@dataclass
class GridLoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, model: type[models.Model], created: bool) -> None:
        bucket = self.created if created else self.updated
        name = model._meta.model_name or ""
        bucket[name] = bucket.get(name, 0) + 1

    @property
    def total_created(self) -> int:
        return sum(self.created.values())


RATE_KEYS = {
    "vat_rate",
    "late_interest_rate",
    "interruption_partial_share",
    "interruption_degraded_share",
    "quantity",
    "fair_use",
}


def _typed(key: str, value):
    if key in MONEY_KEYS:
        return tnd(value)
    if key in RATE_KEYS:
        return Decimal(value)
    return value


def _values(row: dict, *, skip: tuple[str, ...] = ()) -> dict:
    return {key: _typed(key, value) for key, value in row.items() if key not in skip}


def _upsert(report: GridLoadReport, model: type[models.Model], keys: dict, values: dict):
    obj, created = model._default_manager.get_or_create(**keys, defaults=values)
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not created and changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.save(update_fields=changed)
    if created or changed:
        report.count(model, created)
    return obj


@transaction.atomic
def grid_load(path: Path) -> GridLoadReport:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    report = GridLoadReport()
    for row in data.get("parameters", []):
        values = _values(row, skip=("effective_from",))
        _upsert(report, GridParameters, {"effective_from": row["effective_from"]}, values)
    offers: dict[str, Offer] = {}
    for row in data.get("offers", []):
        values = _values(row, skip=("code", "terms", "international_rates"))
        offer = offers[row["code"]] = _upsert(report, Offer, {"code": row["code"]}, values)
        for terms in row.get("terms", []):
            keys = {"offer": offer, "effective_from": terms["effective_from"]}
            _upsert(report, OfferTerms, keys, _values(terms, skip=("effective_from",)))
        for rate in row.get("international_rates", []):
            keys = {"offer": offer, "zone": rate["zone"], "effective_from": rate["effective_from"]}
            _upsert(report, InternationalRate, keys, _values(rate, skip=("zone", "effective_from")))
    for row in data.get("options", []):
        values = _values(row, skip=("code", "prices", "offers", "allowances"))
        option = _upsert(report, Option, {"code": row["code"]}, values)
        option.offers.set(Offer.objects.filter(code__in=row.get("offers", [])))
        for price in row.get("prices", []):
            keys = {"option": option, "effective_from": price["effective_from"]}
            _upsert(report, OptionPrice, keys, _values(price, skip=("effective_from",)))
        for allowance in row.get("allowances", []):
            keys = {
                "option": option,
                "kind": allowance["kind"],
                "country": allowance.get("country", ""),
                "effective_from": allowance["effective_from"],
            }
            values = _values(allowance, skip=("kind", "country", "effective_from"))
            _upsert(report, PassAllowance, keys, values)
    for table in data.get("destinations", []):
        for row in table["prefixes"]:
            keys = {"prefix": row["prefix"], "effective_from": table["effective_from"]}
            _upsert(report, DestinationPrefix, keys, _values(row, skip=("prefix",)))
    for row in data.get("fees", []):
        offer = Offer.objects.get(code=row["offer"]) if "offer" in row else None
        keys = {"kind": row["kind"], "offer": offer, "effective_from": row["effective_from"]}
        _upsert(report, Fee, keys, {"amount": tnd(row["amount"])})
    for row in data.get("required_documents", []):
        keys = {"customer_kind": row["customer_kind"], "code": row["code"]}
        _upsert(report, RequiredDocument, keys, _values(row, skip=("customer_kind", "code")))
    for table in data.get("prepaid_validity", []):
        for tier in table["tiers"]:
            keys = {
                "effective_from": table["effective_from"],
                "minimum_top_up": tnd(tier["minimum_top_up"]),
            }
            _upsert(report, PrepaidValidity, keys, {"validity_days": tier["validity_days"]})
    return report
