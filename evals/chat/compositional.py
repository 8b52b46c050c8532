"""Score the compositional reader on the held-out questions: a question counts as read when every part's kind,
subject, measure, aggregation, what-if, act, referent and filters match the expected typed reading."""

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from agents.language.query import Query
from agents.language.reader import read

HELDOUT_PATH = Path(__file__).with_name("compositional_heldout.jsonl")
CLOCK = dt.date(2026, 11, 2)  # the reference twin's clock
CODE_KEYS = ("shipment_id", "sku", "dcs", "lane", "carriers", "truck", "decision_id", "action_type", "period")


class Miss(BaseModel):
    """A question read wrongly: its text and the first field that differs."""

    id: str
    text: str
    field: str
    expected: Any
    got: Any


class Score(BaseModel):
    """The share of held-out questions read exactly, and the misses."""

    total: int
    correct: int
    accuracy: float
    misses: list[Miss]


def _difference(expected: dict, got: Query) -> tuple[str, Any, Any] | None:
    """The first field where a part differs from its expected reading, or None."""
    actual = got.model_dump(mode="json")
    if expected["kind"] != actual["kind"]:
        return "kind", expected["kind"], actual["kind"]
    if expected["kind"] in ("out_of_scope", "no_data"):
        return None
    for key in ("subject", "measure", "act", "referent"):
        if expected.get(key) != actual.get(key):
            return key, expected.get(key), actual.get(key)
    want, have = expected.get("aggregation"), actual.get("aggregation")
    if want is None or have is None:
        if want is not have:
            return "aggregation", want, have
    elif want["kind"] != have["kind"]:
        return "aggregation", want, have
    elif want.get("n") is not None and want["n"] != have.get("n"):
        return "aggregation.n", want, have
    want, have = expected.get("whatif"), actual.get("whatif")
    if want is None or have is None:
        if want is not have:
            return "whatif", want, have
    elif want["op"] != have["op"]:
        return "whatif", want, have
    else:
        for key in ("factor", "days"):
            if want.get(key) is not None and (have.get(key) is None or abs(want[key] - have[key]) > 0.01):
                return f"whatif.{key}", want.get(key), have.get(key)
    filters = expected.get("filters", {})
    for key in CODE_KEYS:
        want_value, have_value = filters.get(key), actual["filters"].get(key)
        if key == "period" and have_value:
            have_value = {"start": have_value["start"], "end": have_value["end"]}
        if (want_value or None) != (have_value or None):
            return f"filters.{key}", want_value, have_value
    if "dc_role" in filters and filters["dc_role"] != actual["filters"].get("dc_role"):
        return "filters.dc_role", filters["dc_role"], actual["filters"].get("dc_role")
    return None


def score(path: Path = HELDOUT_PATH, now: dt.date = CLOCK) -> Score:
    """Read every held-out question (after its context turns) and compare with its expected reading."""
    misses: list[Miss] = []
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    for row in rows:
        previous = None
        for turn in row.get("context", []):
            previous = read(turn, now, previous).parts[-1]
        parts = read(row["text"], now, previous).parts
        if len(parts) != len(row["expect"]):
            misses.append(
                Miss(
                    id=row["id"],
                    text=row["text"],
                    field="parts",
                    expected=len(row["expect"]),
                    got=[p.model_dump(exclude_defaults=True) for p in parts],
                )
            )
            continue
        for want, got in zip(row["expect"], parts, strict=True):
            diff = _difference(want, got)
            if diff:
                misses.append(Miss(id=row["id"], text=row["text"], field=diff[0], expected=diff[1], got=diff[2]))
                break
    correct = len(rows) - len(misses)
    return Score(total=len(rows), correct=correct, accuracy=round(correct / len(rows), 4), misses=misses)
