"""Model features in planner words: one glossary, the same table in docs/glossary.md, no figures in the words."""

import re
from pathlib import Path

from agents.glossary import GLOSSARY, UNITS, feature_value, feature_words

DOC = Path(__file__).resolve().parents[2] / "docs" / "glossary.md"


def test_feature_names_in_planner_words_without_figures():
    assert feature_words("slack_left_hours") == "time left before the promise"
    assert feature_words("mean_56") == "average demand over eight weeks against usual"
    assert feature_words("mean_112") == "average demand over sixteen weeks against usual"
    assert feature_words("engine_temp_c_slope7") == "engine temperature trend over a week"
    assert feature_words("lag_0") == "demand on the latest day against usual"
    assert feature_words("lag_2") == "demand two days before the latest against usual"
    assert not any(ch.isdigit() for name in GLOSSARY for ch in feature_words(name))
    assert not any(ch.isdigit() for k in range(7) for ch in feature_words(f"lag_{k}"))


def test_a_value_reads_with_its_unit():
    assert feature_value("slack_left_hours", "1.15") == "time left before the promise 1.15 hours"
    assert feature_value("weather", "0.7") == "weather on the lane 0.7"
    assert set(UNITS) <= set(GLOSSARY)


def test_the_documented_table_is_the_glossary():
    rows = re.findall(r"^\| `([^`]+)` \| ([^|]+?) \| ([^|]*?) \|$", DOC.read_text(), re.MULTILINE)
    assert {name: words for name, words, _ in rows} == GLOSSARY
    assert {name: unit for name, _, unit in rows if unit} == UNITS
