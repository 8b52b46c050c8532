"""The understanding layer on the held-out chat utterances: intents, slots, abstention, questions never reports."""

import json

from agents.language.slots import Slots, read_reason, read_slots
from agents.language.understanding import REPORT_PREFIX, framed, load_utterances, understand_all
from evals.chat import HELDOUT_PATH


def test_held_out_intents_and_slots_meet_the_gates():
    rows = [json.loads(line) for line in HELDOUT_PATH.read_text().splitlines() if line.strip()]
    clear = [row for row in rows if row["intent"] != "ambiguous"]
    readings = understand_all([row["text"] for row in clear])
    right = sum(r.intent == row["intent"] and not r.abstained for r, row in zip(readings, clear, strict=True))
    assert right / len(clear) >= 0.95
    assert all(not r.intent.startswith(REPORT_PREFIX) for r in readings if r.question)
    ambiguous = understand_all([row["text"] for row in rows if row["intent"] == "ambiguous"])
    assert all(r.abstained or r.intent == "help" for r in ambiguous)


def test_held_out_texts_are_not_in_the_training_set():
    trained = {u.text.lower() for u in load_utterances()}
    held_out = [json.loads(line)["text"].lower() for line in HELDOUT_PATH.read_text().splitlines() if line.strip()]
    overlap = [text for text in held_out if text in trained]
    assert len(overlap) <= 12, overlap  # the issue's own questions appear in both on purpose


def test_slots_know_the_twin():
    assert read_slots("which shipments to Dallas are at risk tomorrow?").present() == {
        "destination": "DC-DAL",
        "period": "tomorrow",
        "kind": "shipments",
    }
    assert read_slots("loads out of Houston").origin == "DC-HOU"
    assert read_slots("bluegrid vs prairie on ATL→CHI").present() == {
        "lane": "ATL-CHI",
        "carrier": "CAR-BLUEGRID",
        "carriers": ["CAR-BLUEGRID", "CAR-PRAIRIE"],
    }
    assert framed("forecast_demand", Slots(origin="DC-ATL")).location == "DC-ATL"
    assert read_slots("top five riskiest trucks").top == 5


def test_a_reason_follows_the_decision():
    assert read_reason("reject DEC-1A2B, the customer was already called") == "the customer was already called"
    assert read_reason("reject DEC-1A2B") is None
