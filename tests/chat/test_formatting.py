"""Figures as planners read them: separators, plurals, percentages, model years and feature names in words."""

from chat.formatting import GLOSSARY, feature_words, number, percent, plural, usd, year


def test_numbers_money_and_shares():
    assert number(21551.56) == "21,551.56" and number(15650) == "15,650"
    assert usd(21551.56) == "21,551.56 USD" and usd(2500.0) == "2,500 USD"
    assert percent(0.25) == "25%"
    assert year(2022) == "2022"


def test_plurals():
    assert plural(1, "load") == "1 load" and plural(2, "load") == "2 loads" and plural(1, "hour") == "1 hour"


def test_feature_names_in_planner_words_without_figures():
    assert feature_words("slack_left_hours") == "time left before the promise"
    assert feature_words("mean_56") == "average demand over eight weeks"
    assert feature_words("engine_temp_c_slope7") == "engine temperature trend over a week"
    assert not any(ch.isdigit() for name in GLOSSARY for ch in feature_words(name))
