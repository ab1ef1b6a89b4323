"""Issue 14, point 4: an offer, option or pass named with its price in force and its period,
where the customer chooses it (the subscription form's radios and boxes, the option list of a
line). Prices come from the grid through `catalogue.selectors`; the amount and the description
are isolated (FSI ... PDI) so that they keep their order inside a label of the other direction."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _

from catalogue.selectors import OfferCard, OptionCard, offers_on_sale, options_on_sale
from lib.bidi import isolate
from lib.forms import label_choices
from lib.money import format_tnd


def offer_price_label(card: OfferCard) -> str:
    """ "Forfait Liberté 20 — 20,000 TND excl. tax per month"; a prepaid offer has no fee."""
    if not card.offer.is_postpaid:
        return _("%(offer)s — no monthly fee, pay as you go") % {"offer": card.offer.label}
    return _("%(offer)s — %(amount)s excl. tax per month") % {
        "offer": card.offer.label,
        "amount": isolate(format_tnd(card.terms.monthly_fee)),
    }


def option_price_label(card: OptionCard) -> str:
    """ "Option Internet 10 Go — 10,000 TND excl. tax per month: 10 Go de données…"."""
    label = _("%(option)s — %(amount)s excl. tax per %(period)s") % {
        "option": card.option.label,
        "amount": isolate(format_tnd(card.fee)),
        "period": card.option.get_period_display(),
    }
    description = card.option.description_label
    return f"{label}: {isolate(description)}" if description else label


def offers_priced(field: forms.ModelChoiceField) -> None:
    """Each offer of a form's field shown with its monthly fee in force today."""
    cards = {card.offer.pk: card for card in offers_on_sale(on=timezone.localdate())}
    label_choices(
        field,
        lambda offer: offer_price_label(cards[offer.pk]) if offer.pk in cards else offer.label,
    )


def options_priced(field: forms.ModelChoiceField) -> None:
    """Each option or pass of a form's field shown with its fee in force today and its period."""
    cards = {card.option.pk: card for card in options_on_sale(on=timezone.localdate())}
    label_choices(
        field,
        lambda option: option_price_label(cards[option.pk]) if option.pk in cards else option.label,
    )
