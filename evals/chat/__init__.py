"""The chat eval suite: labelled utterances held out from the understanding layer's training set."""

from pathlib import Path

HELDOUT_PATH = Path(__file__).with_name("heldout.jsonl")
