"""factory_boy factories for test data; personas built from them live in tests/conftest.py."""

from datetime import date
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from accounts.models import Boutique, User
from catalogue.models import GridParameters, Offer, OfferTerms, Option, OptionPrice
from subscriptions.demo import demo_iccid
from subscriptions.models import Contract, Customer, Line, MobileNumber, SimCard

PASSWORD = "correct-horse-battery-7"


class BoutiqueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Boutique
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"boutique-{n}")
    name = factory.Sequence(lambda n: f"Boutique {n}")
    city = "Tunis"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.tn")
    first_name = "Test"
    last_name = factory.Sequence(lambda n: f"Person{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class AgentFactory(UserFactory):
    is_staff = True
    boutique = factory.SubFactory(BoutiqueFactory)

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create:
            obj.groups.add(Group.objects.get(name="Agents"))


class SupervisorFactory(UserFactory):
    is_staff = True

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        if create:
            obj.groups.add(Group.objects.get(name="Supervisors"))


class GridParametersFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GridParameters
        django_get_or_create = ["effective_from"]

    effective_from = date(2020, 1, 1)
    vat_rate = Decimal("0.1900")
    stamp_duty = Decimal("1.000")
    minimum_invoice_excl_tax = Decimal("15.000")
    invoice_due_days = 15
    incomplete_file_days = 3
    prepaid_grace_days = 90
    prepaid_preservation_days = 90
    number_quarantine_days = 180


class OfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Offer
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"offer-{n}")
    name = factory.Sequence(lambda n: f"Offre {n}")
    kind = Offer.Kind.POSTPAID
    minimum_commitment_months = 12
    minimum_invoice_applies = True


class OfferTermsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OfferTerms

    offer = factory.SubFactory(OfferFactory)
    effective_from = date(2020, 1, 1)
    monthly_fee = Decimal("20.000")
    voice_rate = Decimal("0.120")
    sms_rate = Decimal("0.050")
    data_rate_per_mb = Decimal("0.005")


class OptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Option
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"option-{n}")
    name = factory.Sequence(lambda n: f"Option {n}")
    period = Option.Period.MONTH


class OptionPriceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OptionPrice

    option = factory.SubFactory(OptionFactory)
    effective_from = date(2020, 1, 1)
    fee = Decimal("10.000")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    kind = Customer.Kind.INDIVIDUAL
    user = factory.SubFactory(UserFactory)
    boutique = factory.SubFactory(BoutiqueFactory)
    last_name = factory.Sequence(lambda n: f"Nom{n}")
    first_name = "Prénom"
    birth_date = date(1985, 5, 17)
    cin = factory.Sequence(lambda n: f"{10000000 + n:08d}")
    street = "1 avenue Habib Bourguiba"
    postal_code = "1000"
    city = "Tunis"


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    customer = factory.SubFactory(CustomerFactory)
    reference = factory.Sequence(lambda n: f"C-T-{n:06d}")
    signed_on = date(2026, 1, 5)


class MobileNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MobileNumber

    msisdn = factory.Sequence(lambda n: f"+2162{n % 10_000_000:07d}")


class SimCardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SimCard

    iccid = factory.Sequence(lambda n: demo_iccid(500_000 + n))


class LineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Line

    contract = factory.SubFactory(ContractFactory)
    offer = factory.SubFactory(OfferFactory)
    number = factory.SubFactory(MobileNumberFactory)
