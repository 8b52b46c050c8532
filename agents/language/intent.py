"""A deterministic grammar over free text: twin codes and the exception type of a report.

The grammar only recognises; checking that a code exists in the twin happens elsewhere.
"""

import re
from collections.abc import Callable, Iterator
from typing import NamedTuple

from agents.schemas import ExceptionType

Entity = str | int | float

# Instructions aimed at the desk rather than describing a problem. Each clause, up to the next
# punctuation mark, is removed before anything else is read, so it changes neither codes nor type.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass)\b[^.!?;,\n]*"
    r"|\b(?:approve|reject|expedite|escalate|cancel|execute|authori[sz]e)\s+"
    r"(?:everything|all|every\w*|anything)\b[^.!?;,\n]*"
    r"|\b(?:classify|treat|mark|label|tag)\s+(?:this|it)\s+as\b[^.!?;,\n]*"
    r"|\b(?:you\s+are\s+now|act\s+as|new\s+instructions?|system\s+prompt)\b[^.!?;,\n]*",
    re.IGNORECASE,
)

_CITIES = {"dallas": "DAL", "houston": "HOU", "atlanta": "ATL", "chicago": "CHI", "los angeles": "LAX", "la": "LAX"}
_NUMBER_WORDS = {
    w: n
    for n, w in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"], start=1
    )
}

# Shares of a whole written in words, as percentages.
SHARE_WORDS = {
    "half": 50,
    "a third": 33.3,
    "one third": 33.3,
    "two thirds": 66.7,
    "a quarter": 25,
    "one quarter": 25,
    "three quarters": 75,
    "all": 100,
}
_CITY = r"dallas|houston|atlanta|chicago|los\s+angeles|(?-i:LA)"
_PLACE = rf"(?:DC-)?(?:DAL|HOU|ATL|CHI|LAX)|{_CITY}"
_LANE = re.compile(
    rf"\b(?P<a>{_PLACE})\s*(?:->|-|–|—|→|>|\bto\b)\s*(?P<b>{_PLACE})\b"
    rf"|\bbetween\s+(?P<c>{_PLACE})\s+and\s+(?P<d>{_PLACE})\b",
    re.IGNORECASE,
)
_LOCATION = re.compile(rf"\bDC-(?P<code>[A-Z]{{3}})\b|\b(?P<city>{_CITY})\b", re.IGNORECASE)


class _Code(NamedTuple):
    """One code pattern: the entity it fills and how its group 1 becomes the canonical value."""

    key: str
    pattern: re.Pattern[str]
    canonical: Callable[[str], Entity]


def _padded(prefix: str, width: int) -> Callable[[str], str]:
    """A prefix and a zero-padded number, e.g. "7" -> "TRK-007"."""
    return lambda digits: f"{prefix}{int(digits):0{width}d}"


def _percent(value: str) -> int | float:
    """A percentage as a number, whole numbers as int."""
    number = float(value)
    return int(number) if number.is_integer() else number


def _carrier(name: str) -> str:
    """A carrier code from a code or a bare name, e.g. "Red River" -> "CAR-REDRIVER"."""
    return "CAR-" + "".join(name.split()).upper()


# Codes, case-insensitive, canonicalised; the first mention of each kind wins:
#   shipment_id SHP-000123 or "shipment 123"; asset_id TRK-007 or "truck 7"; sku SKU-0042 or "sku 42";
#   customer CUST-0042 or "customer 42"; carrier CAR-NAME or Swiftline, Red River, BlueGrid, Prairie, Coastal,
#   Metro; decision_id DEC-... (upper-case prefix only, so "Dec-15" stays a date); capacity_cut_pct "30%",
#   "30 percent"; lane DAL-HOU, "Dallas to Houston", "between Dallas and Houston"; location DC-XXX or
#   Dallas, Houston, Atlanta, Chicago, Los Angeles, LA (when not part of a lane); horizon_weeks "4 weeks",
#   "next four weeks", "this week" or "next week" (1); reason: the text after "because", "since",
#   "due to" or "reason:" in an approval or rejection.
# A number after "shipment", "truck", "sku" or "customer" is an id unless a unit follows it.
_ALIAS = (
    r"\s+(?:#|no\.?|number)?\s*(\d{{1,{width}}})\b"
    r"(?!\s*(?:hours?|hrs?|minutes?|mins?|days?|weeks?|miles?|km|%|percent))"
)
_CODES = (
    _Code("shipment_id", re.compile(r"\bSHP-(\d{6})\b", re.IGNORECASE), _padded("SHP-", 6)),
    _Code(
        "shipment_id",
        re.compile(r"\b(?:shipment|shipmnet|shipmnt|shpment)" + _ALIAS.format(width=6), re.IGNORECASE),
        _padded("SHP-", 6),
    ),
    _Code("asset_id", re.compile(r"\bTRK-(\d{3})\b", re.IGNORECASE), _padded("TRK-", 3)),
    _Code("asset_id", re.compile(r"\btruck" + _ALIAS.format(width=3), re.IGNORECASE), _padded("TRK-", 3)),
    _Code("sku", re.compile(r"\bSKU-(\d{4})\b", re.IGNORECASE), _padded("SKU-", 4)),
    _Code("sku", re.compile(r"\bSKU" + _ALIAS.format(width=4), re.IGNORECASE), _padded("SKU-", 4)),
    _Code("customer", re.compile(r"\bCUST-(\d{4})\b", re.IGNORECASE), _padded("CUST-", 4)),
    _Code("customer", re.compile(r"\bcustomer" + _ALIAS.format(width=4), re.IGNORECASE), _padded("CUST-", 4)),
    _Code("carrier", re.compile(r"\bCAR-([A-Z]+)\b", re.IGNORECASE), _carrier),
    _Code(
        "carrier",
        re.compile(r"\b(swift\s*line|red\s*river|blue\s*grid|prairie|coastal|metro)\b", re.IGNORECASE),
        _carrier,
    ),
    _Code("decision_id", re.compile(r"\bDEC-([A-Za-z0-9]+(?:-[A-Za-z0-9]+)*)"), lambda rest: f"DEC-{rest}"),
    _Code(
        "capacity_cut_pct",
        re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d+)?)\s*(?:%|percent\b|pct\b)", re.IGNORECASE),
        _percent,
    ),
    _Code(
        "capacity_cut_pct",
        re.compile(
            r"\b(half|(?:a|one|two)\s+thirds?|(?:a|one|three)\s+quarters?|all(?=\s+(?:of\s+)?(?:its|their)\s+"
            r"(?:capacity|trucks|loads)))\b(?!\s+(?:an?\s+)?(?:hours?|days?|weeks?))",
            re.IGNORECASE,
        ),
        lambda word: SHARE_WORDS[" ".join(word.lower().split())],
    ),
)
_WEEKS = re.compile(
    r"\b(\d{1,2}|" + "|".join(_NUMBER_WORDS) + r")[\s-]*weeks?\b"
    r"|\b(?:this|next|coming)\s+week\b",
    re.IGNORECASE,
)


class _Cue(NamedTuple):
    """A phrase that points at one exception type, with its weight."""

    type: ExceptionType
    pattern: re.Pattern[str]
    weight: int


def _cues(kind: ExceptionType, weighted: dict[str, int]) -> list[_Cue]:
    """Compile one type's phrases (regular expressions, matched on word boundaries)."""
    return [_Cue(kind, re.compile(rf"\b(?:{p})\b", re.IGNORECASE), w) for p, w in weighted.items()]


_E = ExceptionType
_CUES = (
    _cues(
        _E.late_shipment,
        {
            r"miss(?:ed|es|ing)?\s+(?:the\s+|its\s+|a\s+)?(?:delivery(?:\s+window)?|window|appointment|cut-?off)": 3,
            r"(?:not|never|hasn't|has\s+not|still\s+not)\s+(?:been\s+)?(?:arrived|delivered|shown\s+up|turned\s+up)": 3,
            r"behind\s+schedule|running\s+behind|late\s+(?:delivery|shipment|load|arrival)": 3,
            r"late|delay(?:ed|s)?|stuck|overdue|held\s+up": 2,
            r"ETA": 1,
        },
    )
    + _cues(
        _E.stockout_risk,
        {
            r"out\s+of\s+stock|stock[\s-]?outs?|sold\s+out|below\s+(?:safety\s+stock|reorder\s+point)": 3,
            r"r(?:an|un|unning)\s+out\s+of\s+(?:stock|inventory|units|product)|empty\s+shel(?:f|ves)": 3,
            r"running\s+low|low\s+(?:on\s+)?(?:stock|inventory)|short(?:age|ages)?|back-?order(?:ed|s)?": 2,
        },
    )
    + _cues(
        _E.equipment_failure_risk,
        {
            r"overheat(?:ing|ed|s)?|running\s+hot|oil\s+pressure|vibrat(?:ion|ions|ing|es)": 3,
            r"break\s*downs?|broke\s+down|broken\s+down|check\s+engine|warning\s+light|fault\s+codes?": 3,
            r"temperature\s+(?:spike|alarm|warning)|coolant": 3,
            r"engine|brakes?|tyres?|tires?|blowout|transmission|smok(?:e|ing)": 2,
            r"leak(?:s|ing)?|grinding|knocking": 1,
        },
    )
    + _cues(
        _E.carrier_capacity,
        {
            r"no\s+capacity|out\s+of\s+capacity|tender\s+rejections?|driver\s+shortage": 3,
            r"(?:reject(?:ed|s)?|declin(?:ed|es))\s+(?:the\s+|our\s+|a\s+|my\s+)?(?:tenders?|loads?)": 3,
            r"tenders?\s+(?:was\s+|were\s+|got\s+)?(?:rejected|declined)": 3,
            r"(?:can't|cannot|can\s+not|won't|will\s+not|unable\s+to)\s+(?:take|cover|haul|accept)"
            r"\s+(?:\w+\s+)?(?:loads?|shipments?|freight)": 3,
            r"no\s+(?:trucks|drivers|equipment)\s+available": 3,
            r"capacity\s+(?:cut|crunch|shortfall|reduction)|(?:cut|cuts|cutting|reduced|lost|loses|losing)\s+"
            r"(?:\w+\s+)?capacity": 3,
            r"capacity": 1,
        },
    )
    + _cues(
        _E.demand_spike,
        {
            r"spik(?:e|es|ed|ing)|surg(?:e|es|ed|ing)|unusual(?:ly)?\s+(?:high\s+)?demand": 3,
            r"selling\s+(?:fast|quickly|out)|flying\s+off(?:\s+the\s+shelves)?|went\s+viral": 3,
            r"(?:jump|rise|increase)\s+in\s+(?:demand|orders)|demand\s+(?:is\s+)?(?:way\s+|sharply\s+)?up": 3,
            r"more\s+orders\s+than\s+(?:usual|normal|forecast)|above\s+forecast|orders?\s+(?:are\s+|is\s+)?(?:way\s+)?up": 2,
            r"demand": 1,
        },
    )
)


def strip_instructions(text: str) -> str:
    """The text without clauses that instruct the desk (e.g. "ignore the policy", "approve everything")."""
    return _INSTRUCTION.sub(" ", text)


def _place(token: str) -> str:
    """The three-letter site code of a DC code, a bare site code or a city name."""
    token = " ".join(token.split())
    return _CITIES.get(token.lower()) or token.upper().removeprefix("DC-")


def lanes(text: str) -> Iterator[tuple[int, int, str]]:
    """Every lane named in the text as (start, end, "DAL-HOU")."""
    for match in _LANE.finditer(text):
        a, b = (match["a"], match["b"]) if match["a"] else (match["c"], match["d"])
        if _place(a) != _place(b):
            yield match.start(), match.end(), f"{_place(a)}-{_place(b)}"


def extract(text: str, keep_instructions: bool = False) -> dict[str, Entity]:
    """The twin codes, percentage and horizon named in the text; the first mention of each kind wins. Clauses that
    instruct the desk are skipped unless `keep_instructions` (a person's own chat request, not a report)."""
    if not keep_instructions:
        text = strip_instructions(text)
    found: dict[str, tuple[int, Entity]] = {}

    def keep(key: str, start: int, value: Entity) -> None:
        """Record a mention unless an earlier one of the same kind exists."""
        if key not in found or start < found[key][0]:
            found[key] = (start, value)

    for code in _CODES:
        for match in code.pattern.finditer(text):
            keep(code.key, match.start(), code.canonical(match[1]))
    lane_spans = []
    for start, end, lane in lanes(text):
        lane_spans.append((start, end))
        keep("lane", start, lane)
    for match in _LOCATION.finditer(text):
        if not any(s <= match.start() < e for s, e in lane_spans):
            keep("location", match.start(), f"DC-{_place(match['code'] or match['city'])}")
    for match in _WEEKS.finditer(text):
        count = match[1]
        weeks = 1 if count is None else _NUMBER_WORDS.get(count.lower()) or int(count)
        keep("horizon_weeks", match.start(), weeks)
    return {key: value for key, (_, value) in sorted(found.items(), key=lambda item: item[1][0])}


def canonical_code(key: str, value: str) -> str | None:
    """The canonical code for an entity key read from a value (e.g. location "Dallas" -> "DC-DAL"), else None."""
    code = extract(value).get(key)
    return code if isinstance(code, str) else None


def read_exception_type(text: str) -> tuple[ExceptionType | None, list[str]]:
    """The exception type a report describes and the cue phrases that show it; None when nothing or a tie.

    Every cue phrase is matched; where phrases overlap the longer one wins (so "driver shortage" is a
    capacity cue, not a stock cue). Each type scores the weights of its distinct matched phrases.
    """
    text = strip_instructions(text)
    matches = sorted(
        ((m.start(), m.end(), cue) for cue in _CUES for m in cue.pattern.finditer(text)),
        key=lambda item: (item[0] - item[1], item[0]),
    )
    taken: list[tuple[int, int, _Cue]] = []
    for start, end, cue in matches:
        if all(end <= s or start >= e for s, e, _ in taken):
            taken.append((start, end, cue))
    taken.sort(key=lambda item: item[0])
    phrases = [(cue.type, " ".join(text[start:end].lower().split()), cue.weight) for start, end, cue in taken]
    scores: dict[ExceptionType, int] = {}
    for kind, _, weight in set(phrases):
        scores[kind] = scores.get(kind, 0) + weight
    ranked = sorted(scores.values(), reverse=True)
    if not ranked or (len(ranked) > 1 and ranked[0] == ranked[1]):
        return None, list(dict.fromkeys(phrase for _, phrase, _ in phrases))
    winner = max(scores, key=scores.__getitem__)
    return winner, list(dict.fromkeys(phrase for kind, phrase, _ in phrases if kind == winner))
