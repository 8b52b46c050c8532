"""Slots of a message about the twin: codes, places with their direction, lanes, carriers, periods, durations,
counts, shares, decision filters and reasons, in the canonical form the chat tools take."""

import re
from typing import Any, Literal

from pydantic import BaseModel

from agents.language.intent import extract, lanes

Period = Literal["today", "tomorrow", "this_week", "next_week"]
Kind = Literal["trucks", "shipments", "skus"]

_NUMBERS = {
    w: n
    for n, w in enumerate(
        ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve"], start=1
    )
} | {"a": 1, "an": 1}
_COUNT = r"\d{1,3}|" + "|".join(w for w in _NUMBERS if len(w) > 2)
_SITES = {
    "dallas": "DC-DAL",
    "houston": "DC-HOU",
    "atlanta": "DC-ATL",
    "chicago": "DC-CHI",
    "los angeles": "DC-LAX",
    "la": "DC-LAX",
    "l.a.": "DC-LAX",
    "california": "DC-LAX",
    "georgia": "DC-ATL",
    "illinois": "DC-CHI",
}
REGIONS = {"TX": ("DC-DAL", "DC-HOU")}  # states holding more than one DC
_PLACE = re.compile(
    r"(?P<lead>\b(?:to|towards|into|for|bound\s+for|headed\s+(?:to|for)|going\s+to|delivering\s+to|"
    r"from|out\s+of|leaving|departing|at|in|of|around)\s+(?:the\s+)?)?"
    r"(?P<place>\bDC-(?:DAL|HOU|ATL|CHI|LAX)\b|\b(?:DAL|HOU|ATL|CHI|LAX)\b(?!-)|\b(?:dallas|houston|atlanta|chicago|"
    r"los\s+angeles|california|georgia|illinois|texas|tx)\b|(?-i:\bLA\b))",
    re.IGNORECASE,
)
_TO = re.compile(r"^(?:to|towards|into|bound\s+for|headed\s+(?:to|for)|going\s+to|delivering\s+to)\b", re.IGNORECASE)
_FROM = re.compile(r"^(?:from|out\s+of|leaving|departing)\b", re.IGNORECASE)
_CARRIER = re.compile(
    r"\bCAR-([A-Z]+)\b|\b(swift\s*line|red\s*river|blue\s*grid|prairie|coastal|metro)\b", re.IGNORECASE
)
_PERIODS: tuple[tuple[str, Period], ...] = (
    (r"\b(?:today|tonight)\b", "today"),
    (r"\b(?:tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow)\b", "tomorrow"),
    (r"\bthis\s+week\b", "this_week"),
    (r"\b(?:next|coming)\s+week\b", "next_week"),
)
_WEEKS = re.compile(rf"\b(?P<n>{_COUNT})[\s-]*weeks?\b", re.IGNORECASE)
_DAYS = re.compile(rf"\b(?P<n>{_COUNT}|a|an)[\s-]*days?\b(?!\s+(?:of\s+cover|late|overdue|behind))", re.IGNORECASE)
_TOP = re.compile(
    rf"\btop[\s-]*(?P<a>{_COUNT})\b|\b(?P<b>{_COUNT})\s+(?:riskiest|worst|most\s+at[\s-]risk|most\s+risky|highest)\b"
    rf"|\b(?:riskiest|worst|most\s+at[\s-]risk|most\s+risky)\s+(?P<c>{_COUNT})\b"
    r"|\b(?:show|list)\s+(?:me\s+)?(?:the\s+)?(?P<d>\d{1,3})\b(?!\s*(?:%|percent|days?|weeks?))",
    re.IGNORECASE,
)
_KINDS: tuple[tuple[str, Kind], ...] = (
    (r"\b(?:trucks|vehicles|rigs|tractors|fleet|(?:riskiest|worst|what|which)\s+truck)\b", "trucks"),
    (r"\b(?:shipments|loads|deliveries|(?:riskiest|worst)\s+shipment)\b", "shipments"),
    (r"\b(?:skus|sku[\s-]dcs|products|items|stock\s+positions|(?:riskiest|worst)\s+sku)\b", "skus"),
)
_STATUSES = (
    (r"\b(?:pending|waiting|awaiting|outstanding|open|queue|sign[\s-]?off|approval)\b", "pending_approval"),
    (r"\bexecuted\b", "executed"),
    (r"\brejected\b", "rejected"),
    (r"\boverridden\b", "overridden"),
    (r"\bneeds?[\s_]info\b|\bmissing\s+info", "needs_info"),
    (r"\bno[\s_]action\b", "no_action"),
)
_SPECIALIST = re.compile(r"\b(routing|inventory|maintenance)\s+(?:decisions?|ones|calls)\b", re.IGNORECASE)
_REASON_LEAD = re.compile(
    r"^[\s,;:.\-–—]*(?:(?:because|since|as|reason\s*:?|due\s+to|cause|why\s*:?)\b\s*)?", re.IGNORECASE
)


class Slots(BaseModel):
    """What a message names, canonical: twin codes, places by role, period, counts and filters."""

    shipment_id: str | None = None
    sku: str | None = None
    asset_id: str | None = None
    customer: str | None = None
    decision_id: str | None = None
    location: str | None = None
    origin: str | None = None
    destination: str | None = None
    region: str | None = None
    lane: str | None = None
    carrier: str | None = None
    carriers: list[str] | None = None
    capacity_cut_pct: float | None = None
    period: Period | None = None
    horizon_weeks: int | None = None
    days: int | None = None
    top: int | None = None
    kind: Kind | None = None
    status: str | None = None
    specialist: str | None = None

    def present(self) -> dict[str, Any]:
        """The slots that are filled."""
        return self.model_dump(exclude_none=True)


def _count(word: str) -> int:
    """A count written in digits or words."""
    return int(word) if word.isdigit() else _NUMBERS[word.lower()]


def _carrier(match: re.Match[str]) -> str:
    """The carrier code of a mention."""
    return "CAR-" + "".join((match[1] or match[2]).split()).upper()


def _places(text: str, lane_spans: list[tuple[int, int]]) -> dict[str, str]:
    """The DCs named outside lanes, by role: destination after "to", origin after "from", else location."""
    found: dict[str, str] = {}
    for match in _PLACE.finditer(text):
        if any(s <= match.start("place") < e for s, e in lane_spans):
            continue
        token = " ".join(match["place"].lower().split())
        if token in ("texas", "tx"):
            found.setdefault("region", "TX")
            continue
        code = _SITES.get(token) or f"DC-{token.upper().removeprefix('DC-')}"
        lead = match["lead"] or ""
        role = "destination" if _TO.match(lead) else "origin" if _FROM.match(lead) else "location"
        found.setdefault(role, code)
    return found


def read_slots(text: str) -> Slots:
    """The slots of a message."""
    codes = extract(text, keep_instructions=True)
    values: dict[str, Any] = {
        k: codes[k]
        for k in ("shipment_id", "sku", "asset_id", "customer", "decision_id", "lane", "capacity_cut_pct")
        if k in codes
    }
    values |= _places(text, [(start, end) for start, end, _ in lanes(text)])
    carriers = list(dict.fromkeys(_carrier(match) for match in _CARRIER.finditer(text)))
    if carriers:
        values["carrier"] = carriers[0]
    if len(carriers) > 1:
        values["carriers"] = carriers
    values["period"] = next((period for pattern, period in _PERIODS if re.search(pattern, text, re.IGNORECASE)), None)
    if weeks := _WEEKS.search(text):
        values["horizon_weeks"] = _count(weeks["n"])
    if days := _DAYS.search(text):
        values["days"] = _count(days["n"])
    if top := _TOP.search(text):
        values["top"] = _count(top["a"] or top["b"] or top["c"] or top["d"])
    values["kind"] = next((kind for pattern, kind in _KINDS if re.search(pattern, text, re.IGNORECASE)), None)
    if re.search(
        r"\bdecisions?\b|\bapprovals?\b|\bsign[\s-]?off\b|\b(?:was|were|got)\s+(?:rejected|executed|overridden)",
        text,
        re.IGNORECASE,
    ):
        values["status"] = next(
            (status for pattern, status in _STATUSES if re.search(pattern, text, re.IGNORECASE)), None
        )
    if specialist := _SPECIALIST.search(text):
        values["specialist"] = specialist[1].lower()
    return Slots(**values)


def read_reason(text: str, explicit_only: bool = False) -> str | None:
    """The reason given with a verdict: the words after "because" (or a like word), else, unless `explicit_only`,
    the words after the decision id."""
    lead = re.search(r"\b(?:because|since|reason\s*:|due\s+to)\s*", text, re.IGNORECASE)
    decision = re.search(r"\bDEC-[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", text)
    if lead is not None:
        rest = text[lead.start() :]
    elif decision is not None and not explicit_only:
        rest = text[decision.end() :]
    else:
        return None
    reason = _REASON_LEAD.sub("", rest).strip().rstrip(".!")
    return reason if len(reason.split()) >= 2 else None
