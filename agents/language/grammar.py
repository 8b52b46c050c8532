"""The grammar of a question's exact parts: codes, places with their direction, lanes, periods on the twin's clock,
counts, factors and day spans. It recognises; checking that a code exists in the twin happens elsewhere."""

import datetime as dt
import re

from agents.language.intent import lanes
from agents.language.query import DcRole, Period
from agents.schemas import PLANNING

CITIES = {"dallas": "DAL", "houston": "HOU", "atlanta": "ATL", "chicago": "CHI", "los angeles": "LAX", "la": "LAX"}
_WORDS = "one two three four five six seven eight nine ten eleven twelve"
NUMBERS = {w: n for n, w in enumerate(_WORDS.split(), start=1)} | {"a": 1, "an": 1, "a couple of": 2, "both": 2}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = "jan feb mar apr may jun jul aug sep oct nov dec"
MONTHS = {m: i for i, m in enumerate(_MONTHS.split(), start=1)}
CARRIER_NAMES = r"swift\s*line|red\s*river|blue\s*grid|prairie|coastal|metro"
_CITY = r"dallas|houston|atlanta|chicago|los\s+angeles|(?-i:LA)"
_DC = re.compile(
    rf"\bDC-(?P<code>DAL|HOU|ATL|CHI|LAX)\b|\b(?-i:(?P<short>DAL|HOU|ATL|CHI|LAX))\b(?!-)|\b(?P<city>{_CITY})\b",
    re.IGNORECASE,
)
_TO = re.compile(
    r"(?:\bto|\binto|\bheaded\s+(?:to|for)|\bbound\s+for|\bfor|\bdelivered\s+(?:to|in))\s+(?:the\s+)?$", re.I
)
_FROM = re.compile(r"(?:\bfrom|\bout\s+of|\bleaving|\bshipped\s+from|\bdeparting)\s+(?:the\s+)?$", re.IGNORECASE)
_CARRIER = re.compile(rf"\bCAR-(?P<code>[A-Z]+)\b|\b(?P<name>{CARRIER_NAMES})\b", re.IGNORECASE)
_NUM = r"(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a|an|a\s+couple\s+of)"
ACTION_TYPES = (
    (r"expedit\w*\s+(?:purchase|po|order)s?|rush\s+(?:purchase|order)", "expedite_purchase"),
    (r"expedit\w*|rush(?:ed|ing)?\s+shipments?", "expedite_shipment"),
    (r"spot\s+(?:booking|freight|load|market)s?|book(?:ing)?\s+spot", "book_spot"),
    (r"(?:stock\s+)?transfers?|transferr?ing\s+stock", "transfer_stock"),
    (r"re-?tender\w*", "retender_loads"),
    (r"re-?rout\w*|re-?plan\w*\s+routes?|route\s+re-?plan\w*", "replan_route"),
    (r"tender(?:ing)?\s+stops?", "tender_stops"),
    (r"(?:carrier\s+)?switch\w*\s+carriers?|carrier\s+switch\w*|switch(?:ing)?\s+carrier", "switch_carrier"),
    (r"notif\w+\s+customers?|customer\s+notification\w*|notifying", "notify_customer"),
    (r"safety\s+stock", "raise_safety_stock"),
    (r"reorder\s+points?", "set_reorder_point"),
    (r"maintenance|servic\w+\s+trucks?|workshop\s+booking", "schedule_maintenance"),
)


def _n(word: str) -> int:
    """A count written in digits or words."""
    word = " ".join(word.lower().split())
    return NUMBERS[word] if word in NUMBERS else int(word)


def code(text: str, pattern: str, prefix: str, width: int) -> list[str]:
    """Every code of one kind, canonical and in order: its full form or "<word> <number>"."""
    found = re.finditer(
        rf"\b{prefix}-(\d{{1,{width}}})\b|\b(?:{pattern})\s+#?(\d{{1,{width}}})\b(?!\s*(?:%|percent|days?|weeks?|hours?))",
        text,
        re.I,
    )
    return list(dict.fromkeys(f"{prefix}-{int(m[1] or m[2]):0{width}d}" for m in found))


def decision_ids(text: str) -> list[str]:
    """Decision ids named in the text (upper-case prefix, so "Dec-15" stays a date)."""
    return list(dict.fromkeys(re.findall(r"\bDEC-[A-Za-z0-9]{6,}\b", text)))


def lane_list(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Lanes named in the text, with direction ("Houston to Dallas" is HOU-DAL), and where they are."""
    found = list(lanes(text))
    return list(dict.fromkeys(lane for _, _, lane in found)), [(s, e) for s, e, _ in found]


REGIONS = {"texas": ("DC-DAL", "DC-HOU")}


def dcs(text: str, skip: list[tuple[int, int]]) -> tuple[list[str], DcRole | None]:
    """DCs named outside lanes, in order (a region names its DCs, e.g. Texas), and the role of the first:
    destination ("to Dallas"), origin ("out of LA") or None."""
    names: list[str] = []
    role: DcRole | None = None
    for region, codes in REGIONS.items():
        if re.search(rf"\b{region}\b", text, re.IGNORECASE):
            names += [code for code in codes if code not in names]
    for match in _DC.finditer(text):
        if any(s <= match.start() < e for s, e in skip):
            continue
        token = match["code"] or match["short"] or match["city"]
        dc = "DC-" + (CITIES.get(" ".join(token.lower().split())) or token.upper())
        if dc not in names:
            if not names:
                before = text[max(0, match.start() - 30) : match.start()]
                role = "destination" if _TO.search(before) else "origin" if _FROM.search(before) else None
            names.append(dc)
    return names, role


def carriers(text: str) -> list[str]:
    """Carriers named by code or name, in order."""
    out = ["CAR-" + "".join((m["code"] or m["name"]).split()).upper() for m in _CARRIER.finditer(text)]
    return list(dict.fromkeys(out))


def action_type(text: str) -> str | None:
    """The action type a question names ("expedites", "spot bookings", "re-routes"), if any."""
    for pattern, name in ACTION_TYPES:
        if re.search(rf"\b(?:{pattern})", text, re.IGNORECASE):
            return name
    return None


def _weekday(now: dt.date, name: str, next_week: bool) -> dt.date:
    """The date of a weekday: the coming one (today included), or the one in next week."""
    index = WEEKDAYS.index(name.lower().rstrip("s"))
    if next_week:
        return now - dt.timedelta(days=now.weekday()) + dt.timedelta(days=7 + index)
    return now + dt.timedelta(days=(index - now.weekday()) % 7)


def _date(now: dt.date, month: str, day: str) -> dt.date:
    """A month-and-day date in the clock's year."""
    return dt.date(now.year, MONTHS[month[:3].lower()], int(day))


_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})"


def period(text: str, now: dt.date) -> Period | None:
    """The period a question names, as inclusive dates on the twin's clock."""
    t = text.lower()
    monday = now - dt.timedelta(days=now.weekday())
    day = dt.timedelta(days=1)
    if m := re.search(rf"(?:from|between)\s+{_MONTH}\s+(?:to|and|-|until|through)\s+{_MONTH}", t):
        return Period(start=_date(now, m[1], m[2]), end=_date(now, m[3], m[4]), words=m[0])
    days = [m for m in re.finditer(r"\b(next\s+)?(monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\b", t)]
    if days:
        dates = [_weekday(now, m[2], bool(m[1])) for m in days]
        return Period(start=min(dates), end=max(dates), words=" ".join(m[0] for m in days))
    if m := re.search(
        rf"\b(?:(?:over\s+|in\s+|for\s+)?(?:the\s+)?next\s+{_NUM}\s+(days?|weeks?)|(?:for|over)\s+{_NUM}\s+(weeks?))\b",
        t,
    ):
        count, unit = (m[1], m[2]) if m[1] else (m[3], m[4])
        span = _n(count) * (7 if unit.startswith("week") else 1)
        return Period(start=now, end=now + dt.timedelta(days=span - 1), words=m[0])
    if m := re.search(rf"\b(?:in\s+)?the\s+(?:last|past)\s+{_NUM}\s+(days?|weeks?)\b", t):
        span = _n(m[1]) * (7 if m[2].startswith("week") else 1)
        return Period(start=now - dt.timedelta(days=span), end=now - day, words=m[0])
    fixed = (
        (r"\blast\s+week\b|\b(?:in\s+)?the\s+(?:last|past)\s+week\b", monday - 7 * day, monday - day),
        (r"\bthis\s+week\b", monday, monday + 6 * day),
        (r"\bnext\s+week\b|\bcoming\s+week\b", monday + 7 * day, monday + 13 * day),
        (r"\bthis\s+month\b", now.replace(day=1), _month_end(now)),
        (r"\blast\s+month\b", (now.replace(day=1) - day).replace(day=1), now.replace(day=1) - day),
        (r"\byesterday\b|\blast\s+night\b", now - day, now - day),
        (r"\btomorrow\b", now + day, now + day),
        (r"\btoday\b|\btonight\b|\bthis\s+morning\b", now, now),
    )
    for pattern, start, end in fixed:
        if m := re.search(pattern, t):
            return Period(start=start, end=end, words=m[0])
    if m := re.search(rf"\b(?:on\s+)?{_MONTH}\b", t):
        date = _date(now, m[1], m[2])
        return Period(start=date, end=date, words=m[0])
    return None


def _month_end(now: dt.date) -> dt.date:
    """The last day of the clock's month."""
    first_next = (now.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - dt.timedelta(days=1)


def span_days(text: str) -> int | None:
    """How many days a closure lasts: "for 4 days", "two days", "a whole week", "one day"."""
    t = text.lower()
    if m := re.search(rf"\b{_NUM}[\s-]+days?\b", t):
        return _n(m[1])
    if m := re.search(
        rf"\b{_NUM}[\s-]+weeks?\b|\b(?:a\s+|the\s+)?(?:whole|full|entire)\s+week\b|\bfor\s+a\s+week\b", t
    ):
        return 7 * (_n(m[1]) if m[1] else 1)
    return None


_UP = r"\b(?:jump\w*|ris\w*|up|increas\w*|add\w*|grow\w*|more|surg\w*|spik\w*)\b|\+"
_DOWN = r"\b(?:drop\w*|fall\w*|fell|down|decreas\w*|los\w*|cut\w*|reduc\w*|shrink\w*|lower\w*|less)\b|(?<!\w)-"
_SHARE = {
    "half": 0.5,
    "a third": 1 / 3,
    "one third": 1 / 3,
    "two thirds": 2 / 3,
    "a quarter": 0.25,
    "one quarter": 0.25,
}


def factor(text: str) -> float | None:
    """The multiplier a what-if applies: "doubles" 2, "in half" 0.5, "+40%" 1.4, "loses 30%" 0.7, "drops by a
    third" 0.667."""
    t = text.lower()
    if re.search(r"\bdoubl\w*|\btwice\b|\b2x\b", t):
        return 2.0
    if re.search(r"\btripl\w*|\b3x\b", t):
        return 3.0
    if re.search(r"\bin\s+half\b|\bhalv\w*|\bhalf\s+(?:its|their)\b", t):
        return 0.5
    share = rf"(\d{{1,3}}(?:\.\d+)?)\s*(?:%|percent\b|pct\b)|\b({'|'.join(_SHARE)})\b"
    m = re.search(share, t)
    if not m:
        return None
    size = float(m[1]) / 100 if m[1] else _SHARE[m[2]]
    before = t[max(0, m.start() - 40) : m.start()]
    after = t[m.end() : m.end() + 25]
    down = re.search(rf"(?:{_DOWN})\W*(?:\w+\W+){{0,3}}$", before) or re.search(rf"^\W*(?:{_DOWN})", after)
    up = re.search(rf"(?:{_UP})\W*(?:\w+\W+){{0,3}}$", before) or re.search(rf"^\W*(?:{_UP})", after)
    if down and not (up and up.end() > down.end()):
        return round(1 - size, 4)
    return round(1 + size, 4)


def top_n(text: str) -> int | None:
    """A count asked for: "top 3", "the 10 riskiest", "which 4 trucks", "worst 2"."""
    t = text.lower()
    m = re.search(
        rf"\b(?:top|best|worst|first|which|the|show\s+me)\s+{_NUM}\b(?!\s*(?:days?|weeks?|%|percent))"
        rf"|\b{_NUM}\s+(?:riskiest|worst|best|cheapest|most|least)\b",
        t,
    )
    if not m:
        return None
    word = m[1] or m[2]
    return None if word in ("a", "an") else _n(word)


TIERS = ("gold", "silver", "standard")
# What the trade-off weighs against freight, as people name it.
_ON_TIME = r"late[\s-]+penalt(?:y|ies)|lateness|on[\s-]?time(?:\s+delivery)?|punctuality|being\s+late|late\s+loads?"
_CO2 = r"co2|carbon|emissions?"
_COST = r"costs?|freight|price|money|spend"
_WEIGHT = r"(\d{1,3}(?:\.\d+)?|twice|double|triple|half)(?!\s*(?:%|percent))"
_WEIGHT_WORDS = {"twice": 2.0, "double": 2.0, "triple": 3.0, "half": 0.5}
_LINK = r"(?:\W+(?:weights?|weighted|at|to|of|by|as|be|is)){0,3}\W*"
_TRADEOFF_CUE = re.compile(
    rf"\bweigh\w*|\btrade[\s-]?offs?\b|\bfavou?r\w*|\bprioriti[sz]\w*|\bset\b|\bcount\s+(?:the\s+)?(?:{_ON_TIME}|{_CO2})",
    re.IGNORECASE,
)
FAVOURED = 2.0  # "favour X over cost": X counts twice its face value against freight
DISFAVOURED = 0.5  # "favour cost over X": X counts half its face value


def tier(text: str) -> str | None:
    """The customer tier a message names (gold, silver, standard), if any."""
    m = re.search(rf"\b({'|'.join(TIERS)})\b", text, re.IGNORECASE)
    return m[1].lower() if m else None


def speaks_of_tradeoff(text: str) -> bool:
    """Whether a message is about the trade-off: its name, or a weight, favour or penalty of lateness or CO2."""
    if re.search(r"\btrade[\s-]?offs?\b", text, re.IGNORECASE):
        return True
    return bool(_TRADEOFF_CUE.search(text) and re.search(rf"\b(?:{_ON_TIME}|{_CO2})\b", text, re.IGNORECASE))


def _weight(text: str, what: str) -> float | None:
    """The weight a message gives one side of the trade-off ("late penalties 3", "weight CO2 at 1.5", "count
    lateness twice", "weight 3 on late penalties"), if it gives one."""
    m = re.search(
        rf"\b(?:{what})\b{_LINK}{_WEIGHT}|\bweigh\w*\s+{_WEIGHT}\s+(?:on|for|to)\s+(?:the\s+)?(?:{what})\b", text, re.I
    )
    if not m:
        return None
    word = (m[1] or m[2]).lower()
    return _WEIGHT_WORDS.get(word) or float(word)


def _favoured(text: str, what: str) -> float | None:
    """The weight a preference gives one side: favoured over cost counts twice, cost favoured over it half."""
    prefer = r"\b(?:favou?r\w*|prioriti[sz]\w*|prefer\w*|put)\s+(?:the\s+|low\s+|lower\s+)?"
    over = r"\s+(?:over|above|before|ahead\s+of|rather\s+than)\s+(?:the\s+|low\s+|lower\s+)?"
    if re.search(rf"{prefer}(?:{what})\b(?:\s+\w+)?{over}(?:{_COST})\b", text, re.IGNORECASE):
        return FAVOURED
    if re.search(rf"{prefer}(?:{_COST})\b(?:\s+\w+)?{over}(?:{what})\b", text, re.IGNORECASE):
        return DISFAVOURED
    return None


def tradeoff_weights(text: str) -> tuple[float | None, float | None]:
    """The lateness and CO2 weights a message sets, each None when it sets none."""
    if not _TRADEOFF_CUE.search(text):
        return None, None
    on_time = _weight(text, _ON_TIME)
    co2 = _weight(text, _CO2)
    return (
        on_time if on_time is not None else _favoured(text, _ON_TIME),
        co2 if co2 is not None else _favoured(text, _CO2),
    )


def _plan_words(kind: str) -> str:
    """How people name a plan type, e.g. tender_plan -> "tender plan" (and "tendering plan")."""
    return kind.removesuffix("_plan").replace("_", r"\s+") + r"\w*\s+plans?"


def plan_type(text: str) -> str | None:
    """The plan type a message names ("today's tender plan", "the maintenance plan"), if any."""
    for kind in sorted(PLANNING):
        if re.search(rf"\b{_plan_words(kind.value)}\b", text, re.IGNORECASE):
            return kind.value
    return None


def asks_plans(text: str) -> bool:
    """Whether a message asks about plans: one type named, or the plans of a day ("today's plans", "the plans")."""
    if plan_type(text):
        return True
    return bool(re.search(r"\b(?:today'?s|tomorrow'?s|the|current|latest|our|this\s+week'?s)\s+plans\b", text, re.I))
