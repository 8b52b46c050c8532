"""The justification verifier: each number (rounded as written; 82% also matches 0.8234), entity code, date and
time in a sentence must be in the evidence it cites."""

import contextlib
import math
import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter

from agents.schemas import Claim
from tools.evidence import Evidence

CODE = (
    r"SOP-[A-Z]+-\d{2}|SHP-\d{6}|ORD-\d{6}|TRK-\d{3}|SKU-\d{4}|CUST-\d{4}|DC-[A-Z]{3}|CAR-[A-Z]+"
    r"|(?:DEC|RTE|WO)-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*|[A-Z]{3}-[A-Z]{3}"
)
DATE = r"\d{4}-\d{2}-\d{2}"
TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?!\d)|\d+)(?:\.\d+)?"
TOKEN = re.compile(
    rf"(?P<code>(?<![A-Za-z0-9])(?:{CODE})(?![A-Za-z0-9]))"
    rf"|(?P<date>(?<!\d){DATE}(?!\d))"
    rf"|(?P<time>(?<![\d:]){TIME}(?![\d:]))"
    rf"|(?<![\w.])(?P<sign>[-\u2212](?=\$?\d))?\$?(?P<number>{NUMBER})(?P<percent>\s?%|\s+percent\b)?"
)
# A token written as a string must stand alone in the evidence: `SKU-0042` is not in `SKU-00421`.
STRING_EDGE = {
    "code": (r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])"),
    "date": (r"(?<!\d)", r"(?!\d)"),
    "time": (r"(?<![\d:])", r"(?![\d:])"),
}
RELATIVE_SLACK = 1e-9

TokenKind = Literal["number", "percent", "code", "date", "time"]
TOKEN_KIND: TypeAdapter[TokenKind] = TypeAdapter(TokenKind)


class Token(BaseModel):
    """A number, percentage, entity code, date or time as written in a sentence; numbers carry value and decimals."""

    text: str
    kind: TokenKind
    value: float | None = None
    decimals: int = 0


class TextCheck(BaseModel):
    """Every checkable token found in a text and those the evidence does not support."""

    ok: bool
    tokens: list[Token]
    unsupported: list[Token]


class ClaimCheck(TextCheck):
    """A claim's check: its tokens against the evidence it cites, and the cited ids that are unknown."""

    claim: Claim
    unknown_evidence_ids: list[str]


def extract_tokens(text: str) -> list[Token]:
    """The numbers, percentages, codes, dates and times in `text`; digits inside codes, dates and words are skipped."""
    tokens = []
    for match in TOKEN.finditer(text):
        kind = TOKEN_KIND.validate_python(
            match.lastgroup if match["number"] is None else ("percent" if match["percent"] else "number")
        )
        if kind in STRING_EDGE:
            tokens.append(Token(text=match[0], kind=kind))
            continue
        written = Decimal(match["number"].replace(",", ""))
        value = -written if match["sign"] else written
        exponent = written.as_tuple().exponent  # an int: a written number is finite
        decimals = max(0, -exponent) if isinstance(exponent, int) else 0
        tokens.append(Token(text=match[0].strip(), kind=kind, value=float(value), decimals=decimals))
    return tokens


def _leaves(value: Any) -> Iterator[Any]:
    """Every scalar in a nested structure of dicts and lists, dict keys included."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _leaves(item)
    else:
        yield value


def _values(record: Evidence) -> tuple[list[float], list[str]]:
    """The numbers (numeric strings and numbers in text included) and the strings of one evidence record."""
    numbers: list[float] = []
    strings: list[str] = []
    for leaf in _leaves(record.model_dump(mode="json")):
        if isinstance(leaf, bool) or leaf is None:
            continue
        if isinstance(leaf, int | float):
            numbers.append(float(leaf))
            continue
        leaf = str(leaf)
        strings.append(leaf)
        numbers.extend(token.value for token in extract_tokens(leaf) if token.value is not None)
        with contextlib.suppress(ValueError):
            numbers.append(float(leaf))
    return numbers, strings


class EvidenceIndex:
    """The numeric values (sorted) and the strings of a set of evidence records, for fast look-ups."""

    def __init__(self, evidence: Iterable[Evidence], read: dict[str, tuple[list[float], list[str]]] | None = None):
        """Walk each record (id, source, inputs, facts, drivers), collecting numbers, numeric strings and strings;
        records already walked come from `read` (by id), and the walk of new ones is added to it."""
        read = {} if read is None else read
        numbers: list[float] = []
        strings: list[str] = []
        for record in evidence:
            if record.id not in read:
                read[record.id] = _values(record)
            numbers += read[record.id][0]
            strings += read[record.id][1]
        self.numbers = sorted(number for number in numbers if math.isfinite(number))
        self.text = "\n".join(strings)

    def has_value_near(self, value: float, decimals: int) -> bool:
        """Whether some evidence value rounds to `value` at `decimals` decimals (either way at the half)."""
        slack = 0.5 * 10.0**-decimals + RELATIVE_SLACK * max(1.0, abs(value))
        position = bisect_left(self.numbers, value - slack)
        return position < len(self.numbers) and self.numbers[position] <= value + slack

    def supports(self, token: Token) -> bool:
        """Whether the evidence supports one token."""
        if token.value is None:
            before, after = STRING_EDGE[token.kind]
            return re.search(before + re.escape(token.text) + after, self.text) is not None
        if token.kind == "percent":
            return self.has_value_near(token.value, token.decimals) or self.has_value_near(
                token.value / 100, token.decimals + 2
            )
        return self.has_value_near(token.value, token.decimals)


def _check(text: str, index: EvidenceIndex) -> TextCheck:
    """Check every token of `text` against an evidence index."""
    tokens = extract_tokens(text)
    unsupported = [token for token in tokens if not index.supports(token)]
    return TextCheck(ok=not unsupported, tokens=tokens, unsupported=unsupported)


def verify_text(text: str, cited: list[Evidence]) -> TextCheck:
    """Check a free text (e.g. a rephrased justification) against the evidence records it may draw on."""
    return _check(text, EvidenceIndex(cited))


def verify_claim(
    claim: Claim, evidence: dict[str, Evidence], read: dict[str, tuple[list[float], list[str]]] | None = None
) -> ClaimCheck:
    """Check a claim against the evidence it cites; it fails when it cites nothing or an id not in `evidence`.
    Claims checked against the same evidence share `read`, so that each record is walked once."""
    unknown = [evidence_id for evidence_id in claim.evidence_ids if evidence_id not in evidence]
    cited = [evidence[evidence_id] for evidence_id in claim.evidence_ids if evidence_id in evidence]
    check = _check(claim.text, EvidenceIndex(cited, read))
    ok = check.ok and bool(claim.evidence_ids) and not unknown
    return ClaimCheck(
        ok=ok, tokens=check.tokens, unsupported=check.unsupported, claim=claim, unknown_evidence_ids=unknown
    )
