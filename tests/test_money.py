from decimal import Decimal

import pytest

from lib.money import tnd


def test_tnd_has_three_decimals_rounded_half_up():
    assert tnd("1.0005") == Decimal("1.001")
    assert tnd("1.0004") == Decimal("1.000")
    assert tnd(Decimal("2.5")) == Decimal("2.500")
    assert tnd(3) == Decimal("3.000")


def test_tnd_refuses_floats():
    with pytest.raises(TypeError):
        tnd(0.1)


@pytest.mark.parametrize("value", ["abc", "NaN", "Infinity"])
def test_tnd_refuses_what_is_not_an_amount(value):
    with pytest.raises(ValueError):
        tnd(value)
