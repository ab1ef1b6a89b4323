"""Import of the bank's direct debit file (CSV, documented in docs/direct-debit-file.md).

Each paid row records a direct debit payment allocated like any other (billing/payments.py);
each rejected row reverses the payment of the same bank reference with the grid's fee (R9.4).
The bank reference goes in once (a unique constraint on payments), so a file imported twice
adds nothing; a bad row is reported with its line number and the good rows still go in.
"""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import cast

from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_date

from accounts.models import User
from billing.models import DirectDebitImport, Invoice, Payment
from billing.payments import PaymentRefused, payment_record, payment_reverse
from lib.money import tnd
from subscriptions.models import Contract

COLUMNS = ["account", "invoice", "amount", "date", "bank_reference", "status"]
PAID, REJECTED = "paid", "rejected"


class RowRefused(ValueError):
    pass


@dataclass(frozen=True)
class DebitRow:
    account: str
    invoice: str
    amount: Decimal
    on: date
    bank_reference: str
    status: str


def _parse(row: dict) -> DebitRow:
    account = (row.get("account") or "").strip()
    invoice = (row.get("invoice") or "").strip()
    if not account and not invoice:
        raise RowRefused("account or invoice: one of them names the account")
    try:
        amount = tnd(Decimal((row.get("amount") or "").strip()))
    except InvalidOperation as error:
        raise RowRefused(f"amount: {row.get('amount')!r} is not a number") from error
    if amount <= 0:
        raise RowRefused("amount: must be positive")
    on = parse_date((row.get("date") or "").strip())
    if on is None:
        raise RowRefused(f"date: {row.get('date')!r} is not a date (YYYY-MM-DD)")
    reference = (row.get("bank_reference") or "").strip()
    if not reference:
        raise RowRefused("bank_reference: missing")
    if len(reference) > cast(int, Payment._meta.get_field("reference").max_length):  # a CharField
        raise RowRefused("bank_reference: too long")
    status = (row.get("status") or "").strip().lower()
    if status not in (PAID, REJECTED):
        raise RowRefused(f"status: {status!r} is not paid or rejected")
    return DebitRow(account, invoice, amount, on, reference, status)


def _account(row: DebitRow, contracts: dict[str, Contract], invoices: dict[str, int]) -> Contract:
    by_reference = contracts.get(row.account) if row.account else None
    if row.account and by_reference is None:
        raise RowRefused(f"account: no account {row.account!r}")
    if row.invoice:
        contract_id = invoices.get(row.invoice)
        if contract_id is None:
            raise RowRefused(f"invoice: no invoice {row.invoice!r}")
        if by_reference and by_reference.pk != contract_id:
            raise RowRefused(f"invoice {row.invoice} is not of account {row.account}")
        return by_reference or next(c for c in contracts.values() if c.pk == contract_id)
    return cast(Contract, by_reference)  # no invoice: _parse required the account, found above


def _paid(row: DebitRow, contract: Contract, actor: User) -> bool:
    """Record the debit; False when its bank reference is already recorded."""
    known = Payment.objects.filter(
        method=Payment.Method.DIRECT_DEBIT, reference=row.bank_reference
    ).first()
    if known:
        if known.contract_id != contract.pk or known.amount != row.amount:
            raise RowRefused("bank_reference: already used for another account or amount")
        return False
    try:
        with transaction.atomic():
            payment_record(
                contract=contract,
                amount=row.amount,
                method=Payment.Method.DIRECT_DEBIT,
                reference=row.bank_reference,
                received_on=row.on,
                actor=actor,
            )
    except IntegrityError:  # another import recorded it at the same moment
        return False
    return True


def _rejected(row: DebitRow, contract: Contract, actor: User, reason: str) -> bool:
    """R9.4: reverse the debit the bank returned; False when it is reversed already."""
    payment = Payment.objects.filter(
        method=Payment.Method.DIRECT_DEBIT, reference=row.bank_reference
    ).first()
    if payment is None:
        raise RowRefused("bank_reference: no paid debit with this reference was imported")
    if payment.contract_id != contract.pk or payment.amount != row.amount:
        raise RowRefused("bank_reference: the paid debit is of another account or amount")
    if payment.reversed_at:
        return False
    try:
        payment_reverse(payment=payment, actor=actor, reason=reason)
    except PaymentRefused:  # another import reversed it at the same moment
        return False
    return True


def direct_debit_import(*, name: str, content: bytes, actor: User) -> DirectDebitImport:
    report = DirectDebitImport.objects.create(name=name, imported_by=actor)
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    missing = set(COLUMNS) - set(reader.fieldnames or [])
    if missing:
        report.errors = [{"row": 1, "error": f"missing columns: {', '.join(sorted(missing))}"}]
        report.save(update_fields=["errors"])
        return report
    rows = list(reader)
    invoices = dict(
        Invoice.objects.filter(
            number__in={(r.get("invoice") or "").strip() for r in rows}
        ).values_list("number", "contract_id")
    )
    contracts = {
        c.reference: c
        for c in Contract.objects.filter(
            reference__in={(r.get("account") or "").strip() for r in rows}
        )
    }
    contracts.update({c.reference: c for c in Contract.objects.filter(pk__in=invoices.values())})
    counts = {"paid": 0, "rejected": 0, "duplicate": 0}
    for number, raw in enumerate(rows, start=2):  # line 1 is the header
        try:
            row = _parse(raw)
            contract = _account(row, contracts, invoices)
            if row.status == PAID:
                done = _paid(row, contract, actor)
            else:
                reason = f"Prélèvement rejeté par la banque ({name}, ligne {number})"
                done = _rejected(row, contract, actor, reason)
        except RowRefused as error:
            report.errors.append({"row": number, "error": str(error)})
            continue
        counts[row.status if done else "duplicate"] += 1
    report.rows_total = len(rows)
    report.rows_paid = counts["paid"]
    report.rows_rejected = counts["rejected"]
    report.rows_duplicate = counts["duplicate"]
    report.save()
    return report
