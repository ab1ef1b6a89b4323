"""In a real browser: a customer takes the weekly Morocco pass; a supervisor records the partner's
cut, then its partial restoration, in the back office; the customer is told, sees the
interruption on their passes page, the credit to come, then the credit on the month's invoice
(R1.2, RK.1 to RK.3)."""

from datetime import datetime, timedelta
from io import BytesIO

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from billing.invoicing import Period, invoice_issue
from passes.models import Interruption, InterruptionCredit, PassHolding
from subscriptions.models import Customer, Line
from tests.e2e.helpers import sign_in, sign_in_to_admin

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    # Mid-month: the week's pass, its cut and its credit fall in the month billed, whatever the
    # day the suite runs (at a month's end the credit would go on the next month's invoice).
    pytest.mark.time_machine(timezone.make_aware(datetime(2026, 11, 10, 10, 0)), tick=True),
]


def test_rk_1_to_rk_3_customer_takes_the_pass_staff_record_the_cut_customer_sees_the_credit(
    page: Page, other_page: Page, alice: Customer, supervisor, browser_errors: list[str]
):
    line = Line.objects.get(contract__customer=alice)
    passes_url = reverse("portal:line_passes", args=[line.pk])
    page.goto(reverse("portal:login"))
    sign_in(page, alice.user.email)
    page.goto(reverse("portal:line_detail", args=[line.pk]))
    page.get_by_role("link", name="Pass et consommation").click()
    page.wait_for_url(f"**{passes_url}")
    weekly = page.locator("main li").filter(has_text="Pass Maroc illimité — semaine")
    weekly.get_by_role("button", name="Le prendre").click()
    expect(page.locator(".alert-success, .alert")).to_contain_text("Le pass est actif")
    expect(page.locator("main .card")).to_contain_text("Pass Maroc illimité — semaine")
    holding = PassHolding.objects.get(line_option__line=line)

    admin = other_page
    sign_in_to_admin(admin, supervisor)
    admin.goto(reverse("admin:passes_interruption_add"))
    admin.locator("#id_partner").fill("Wana")
    admin.locator("#id_cause").fill("Rupture unilatérale du contrat")
    admin.get_by_label("Pass Maroc illimité — semaine").check()
    # The cut starts a second after the pass was taken; the partial restoration two days later.
    cut = timezone.localtime(holding.periods.get().starts_at) + timedelta(seconds=1)
    partial = cut + timedelta(days=2)
    admin.locator("#id_started_at_0").fill(f"{cut:%d/%m/%Y}")
    admin.locator("#id_started_at_1").fill(f"{cut:%H:%M:%S}")
    admin.locator("#id_scope").select_option("full")
    admin.locator("input[name=_continue]").click()
    expect(admin.locator(".messagelist")).to_be_visible()
    interruption = Interruption.objects.get()
    assert interruption.changes.get().actor == supervisor

    page.goto(passes_url)
    expect(page.locator("main .alert-warning")).to_contain_text("Wana")
    assert any("Wana" in message.body for message in mail.outbox)  # told by e-mail

    admin.locator("select[name='changes-1-scope']").select_option("partial")
    admin.locator("input[name='changes-1-effective_at_0']").fill(f"{partial:%d/%m/%Y}")
    admin.locator("input[name='changes-1-effective_at_1']").fill(f"{partial:%H:%M:%S}")
    admin.locator("input[name=_continue]").click()
    expect(admin.locator(".messagelist")).to_be_visible()
    assert interruption.changes.count() == 2
    assert InterruptionCredit.objects.filter(period__holding=holding).exists()

    page.goto(passes_url)
    # 2 days of a 7-day week at 7.000: 2.000 TND to come on the next invoice.
    expect(page.locator("main .text-success")).to_contain_text("2,000 TND")

    # The month is billed: the customer finds the credit on the invoice, beside the pass.
    today = timezone.localdate()
    invoice = invoice_issue(
        contract_id=line.contract_id, period=Period.month(today), issued_on=today
    )
    page.goto(reverse("portal:invoice_list"))
    expect(page.locator("main")).to_contain_text(invoice.number)
    pdf = page.request.get(reverse("portal:invoice_pdf", args=[invoice.pk]))
    assert pdf.ok
    text = " ".join(sheet.extract_text() for sheet in PdfReader(BytesIO(pdf.body())).pages)
    text = " ".join(text.replace("\xa0", " ").replace("\u202f", " ").split())
    assert "Pass Maroc illimité — semaine" in text
    assert "-2,000" in text, text
    assert not browser_errors
