"""Figures as planners read them: separators, plurals, percentages, and model years."""

from chat.formatting import number, percent, plural, usd, year


def test_numbers_money_and_shares():
    assert number(21551.56) == "21,551.56" and number(15650) == "15,650"
    assert usd(21551.56) == "21,551.56 USD" and usd(2500.0) == "2,500 USD"
    assert percent(0.25) == "25%"
    assert year(2022) == "2022"


def test_plurals():
    assert plural(1, "load") == "1 load" and plural(2, "load") == "2 loads" and plural(1, "hour") == "1 hour"
