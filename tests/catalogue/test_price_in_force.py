"""R1.1 to R1.3, R2.7, R12.1: the tariff grid and the one rule for the price in force on a day."""

from datetime import date
from decimal import Decimal

import pytest

from catalogue.models import Fee, Offer, Option
from catalogue.selectors import (
    NotInForce,
    fee_amount,
    grid_parameters,
    international_rate,
    offer_terms,
    offers_on_sale,
    option_fee,
    options_on_sale,
    prepaid_validity_days,
)
from tests.factories import OfferFactory, OfferTermsFactory, OptionPriceFactory


def test_r1_3_offer_price_in_force_follows_effective_dates(grid):
    offer = Offer.objects.get(code="forfait-liberte-20")
    assert offer_terms(offer, on=date(2025, 12, 31)).monthly_fee == Decimal("18.000")
    assert offer_terms(offer, on=date(2026, 1, 1)).monthly_fee == Decimal("20.000")
    assert offer_terms(offer, on=date(2026, 11, 23)).monthly_fee == Decimal("20.000")


def test_r1_3_no_price_before_the_first_effective_date(grid):
    offer = Offer.objects.get(code="forfait-liberte-20")
    with pytest.raises(NotInForce):
        offer_terms(offer, on=date(2024, 12, 31))


def test_r1_3_a_future_price_is_not_in_force_yet(db):
    option = OptionPriceFactory(effective_from=date(2026, 1, 1), fee=Decimal("10.000")).option
    OptionPriceFactory(option=option, effective_from=date(2027, 1, 1), fee=Decimal("12.500"))
    assert option_fee(option, on=date(2026, 12, 31)) == Decimal("10.000")
    assert option_fee(option, on=date(2027, 1, 1)) == Decimal("12.500")


def test_r1_1_offers_are_prepaid_postpaid_or_capped_with_commitment_and_minimum_flag(grid):
    kinds = {offer.code: offer.kind for offer in Offer.objects.all()}
    assert set(kinds.values()) == {"prepaid", "postpaid", "capped"}
    liberte = Offer.objects.get(code="forfait-liberte-20")
    assert liberte.minimum_commitment_months == 12
    assert liberte.minimum_invoice_applies is True
    terms = offer_terms(liberte, on=date(2026, 6, 1))
    assert (terms.voice_minutes_included, terms.sms_included, terms.data_mb_included) == (
        120,
        100,
        5120,
    )
    assert terms.voice_rate == Decimal("0.120")
    assert international_rate(liberte, "maghreb", on=date(2026, 6, 1)) == Decimal("0.450")


def test_r1_2_morocco_unlimited_pass_by_week_month_and_year(grid):
    passes = Option.objects.filter(code__startswith="maroc-illimite", kind="pass")
    assert {p.period for p in passes} == {"week", "month", "year"}
    year = passes.get(period="year")
    assert year.minimum_commitment_months == 12
    assert option_fee(year, on=date(2026, 6, 1)) == Decimal("250.000")


def test_r1_3_one_off_fees_are_in_the_grid(grid):
    day = date(2026, 6, 1)
    assert fee_amount(Fee.Kind.CONNECTION, on=day) == Decimal("10.000")
    assert fee_amount(Fee.Kind.SIM_REPLACEMENT, on=day) == Decimal("5.000")
    assert fee_amount(Fee.Kind.MIGRATION, on=day) == Decimal("10.000")
    assert fee_amount(Fee.Kind.DUPLICATE_INVOICE, on=day) == Decimal("2.000")
    assert fee_amount(Fee.Kind.UNPAID_INSTRUMENT, on=day) == Decimal("15.000")


def test_r12_1_deposit_of_an_offer_wins_over_the_general_deposit(grid):
    day = date(2026, 6, 1)
    liberte = Offer.objects.get(code="forfait-liberte-20")
    capped = Offer.objects.get(code="plafonne-15")
    assert fee_amount(Fee.Kind.DEPOSIT, on=day, offer=liberte) == Decimal("50.000")
    assert fee_amount(Fee.Kind.DEPOSIT, on=day, offer=capped) == Decimal("0.000")


def test_r12_1_a_later_general_row_does_not_hide_the_offer_row(db):
    offer = OfferFactory()
    Fee.objects.create(kind="deposit", offer=offer, effective_from=date(2025, 1, 1), amount=70)
    Fee.objects.create(kind="deposit", effective_from=date(2026, 1, 1), amount=10)
    assert fee_amount("deposit", on=date(2026, 6, 1), offer=offer) == Decimal("70.000")
    assert fee_amount("deposit", on=date(2026, 6, 1)) == Decimal("10.000")


def test_vat_and_stamp_duty_are_grid_settings_with_effective_dates(grid):
    parameters = grid_parameters(on=date(2026, 6, 1))
    assert parameters.vat_rate == Decimal("0.1900")
    assert parameters.stamp_duty == Decimal("1.000")
    assert parameters.minimum_invoice_excl_tax == Decimal("15.000")
    assert parameters.invoice_due_days == 15


@pytest.mark.parametrize(
    ("amount", "days"),
    [("1.000", 7), ("4.999", 7), ("5.000", 30), ("19.000", 60), ("20.000", 90), ("100.000", 180)],
)
def test_r2_7_prepaid_validity_depends_on_the_top_up_amount(grid, amount, days):
    assert prepaid_validity_days(Decimal(amount), on=date(2026, 6, 1)) == days


def test_r2_7_a_top_up_below_the_smallest_tier_opens_no_validity(grid):
    with pytest.raises(NotInForce):
        prepaid_validity_days(Decimal("0.500"), on=date(2026, 6, 1))


def test_offers_on_sale_take_two_queries_whatever_the_grid_size(db, django_assert_num_queries):
    for _ in range(15):
        offer = OfferFactory()
        OfferTermsFactory(offer=offer, effective_from=date(2025, 1, 1))
        OfferTermsFactory(offer=offer, effective_from=date(2026, 1, 1), monthly_fee=25)
    with django_assert_num_queries(2):
        cards = offers_on_sale(on=date(2026, 6, 1))
    assert len(cards) == 15
    assert {card.terms.monthly_fee for card in cards} == {Decimal("25.000")}
    OptionPriceFactory.create_batch(10)
    with django_assert_num_queries(2):
        assert len(options_on_sale(on=date(2026, 6, 1))) == 10
