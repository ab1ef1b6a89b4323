"""Issue 16, point 7: issued invoices, payments and their reversals, consents and the staff's
access log cannot be changed or deleted in SQL, whatever the code path or console session
(PostgreSQL triggers, lib/frozen_rows.py); what code fills in later stays writable."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from billing.documents import invoice_pdf_render
from billing.models import Invoice, InvoiceLine, Payment
from billing.payments import payment_reverse
from privacy.models import Consent, StaffAccessLog
from tests.billing.helpers import march_invoice

# Each test stores its PDFs in its own directory.
pytestmark = pytest.mark.usefixtures("private_storage")


def refused(sql: str, params: list) -> bool:
    """True when PostgreSQL refuses the statement (in a savepoint, so the test goes on)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    except IntegrityError as error:
        assert "refused" in str(error)
        return True
    return False


def test_an_update_of_an_issued_invoices_total_fails_in_sql(alice):
    invoice = march_invoice(alice)
    assert refused("UPDATE billing_invoice SET total_incl_tax = 0 WHERE id = %s", [invoice.pk])
    assert refused("UPDATE billing_invoice SET customer_name = 'X' WHERE id = %s", [invoice.pk])
    assert refused("DELETE FROM billing_invoice WHERE id = %s", [invoice.pk])
    line = InvoiceLine.objects.filter(invoice=invoice).first()
    assert refused("UPDATE billing_invoiceline SET amount_excl_tax = 0 WHERE id = %s", [line.pk])
    assert refused("DELETE FROM billing_invoiceline WHERE id = %s", [line.pk])
    invoice.refresh_from_db()
    assert invoice.total_incl_tax > 0


def test_the_pdf_and_the_mail_state_of_an_invoice_stay_writable_the_pdf_once(alice):
    invoice = invoice_pdf_render(march_invoice(alice))  # sets the PDF, from empty
    Invoice.objects.filter(pk=invoice.pk).update(
        email_claimed_at=timezone.now(), emailed_at=timezone.now(), email_message_id="<m@x>"
    )
    assert refused("UPDATE billing_invoice SET pdf = 'other.pdf' WHERE id = %s", [invoice.pk])


def test_a_payment_is_never_changed_and_reversed_once(alice, supervisor):
    payment = Payment.objects.create(
        contract=alice.contracts.get(),
        amount=Decimal("10.000"),
        method=Payment.Method.CHEQUE,
        reference="123",
        received_on=date(2026, 4, 2),
        recorded_by=supervisor,
    )
    assert refused("UPDATE billing_payment SET amount = 99 WHERE id = %s", [payment.pk])
    assert refused("DELETE FROM billing_payment WHERE id = %s", [payment.pk])
    payment_reverse(payment=payment, actor=supervisor, reason="Bounced")  # R9.4: allowed
    assert refused(
        "UPDATE billing_payment SET reversal_reason = 'Other' WHERE id = %s", [payment.pk]
    )
    assert refused("UPDATE billing_payment SET reversed_at = NULL WHERE id = %s", [payment.pk])


def test_consents_and_staff_accesses_are_never_changed_in_sql(alice, supervisor):
    consent = Consent.objects.create(
        customer=alice, purpose="marketing_email", granted=True, channel="portal"
    )
    assert refused("UPDATE privacy_consent SET granted = false WHERE id = %s", [consent.pk])
    assert refused("DELETE FROM privacy_consent WHERE id = %s", [consent.pk])
    access = StaffAccessLog.objects.create(staff=supervisor, customer=alice, what="customer")
    assert refused("UPDATE privacy_staffaccesslog SET staff_id = 0 WHERE id = %s", [access.pk])
    assert refused("DELETE FROM privacy_staffaccesslog WHERE id = %s", [access.pk])


@pytest.mark.django_db
def test_sqlite_the_laptop_default_still_migrates(tmp_path):
    import os
    import subprocess
    import sys

    from django.conf import settings

    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'laptop.sqlite3'}"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env=env,
        check=True,
        timeout=300,
    )
