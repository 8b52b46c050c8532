"""The compositional held-out set shares no run of eight words with any training file."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HELDOUT = ROOT / "evals" / "chat" / "compositional_heldout.jsonl"
TRAINING = [ROOT / "agents" / "language" / "utterances.jsonl", ROOT / "agents" / "language" / "query_examples.jsonl"]
SPAN = 8


def _shingles(text: str) -> set[tuple[str, ...]]:
    """Every run of eight consecutive lower-case words of a text."""
    words = re.findall(r"[a-z0-9]+(?:[-'][a-z0-9]+)*", text.lower())
    return {tuple(words[i : i + SPAN]) for i in range(len(words) - SPAN + 1)}


def _texts(path: Path) -> list[str]:
    """Every string value in a JSON-lines file."""
    out: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for line in path.read_text().splitlines():
        if line.strip():
            walk(json.loads(line))
    return out


def test_heldout_has_at_least_150_utterances() -> None:
    """The set is large enough to measure."""
    assert len(HELDOUT.read_text().splitlines()) >= 150


def test_no_eight_word_overlap_with_training() -> None:
    """No held-out sentence or context shares eight words in a row with a training sentence."""
    held = set().union(*(_shingles(text) for text in _texts(HELDOUT)))
    for path in TRAINING:
        if not path.exists():
            continue
        shared = held & set().union(*(_shingles(text) for text in _texts(path)))
        assert not shared, f"{path.name} shares {sorted(shared)[:3]}"
