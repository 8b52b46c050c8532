"""Read a question as typed queries: the grammar reads codes, places, periods and numbers; cue phrases and the
MiniLM embedder read the subject and measure; a clause that leaves parts open takes them from the thread."""

import datetime as dt
import json
import re
import threading
from functools import lru_cache
from pathlib import Path

from pydantic import TypeAdapter

from agents.language import grammar as g
from agents.language.intent import read_exception_type
from agents.language.query import (
    ActVerb,
    AggKind,
    Aggregation,
    Filters,
    Measure,
    Ordinal,
    Query,
    Reading,
    Subject,
    TradeOffSetting,
    WhatIf,
)
from agents.language.understanding import masked_text
from agents.schemas import ExceptionType
from tools.embeddings import embed

EXAMPLES_PATH = Path(__file__).with_name("query_examples.jsonl")
OUT_OF_SCOPE_MARGIN = 0.05  # how much nearer an out-of-scope example must be than any desk example
_LOCK = threading.Lock()

# Data the desk does not hold, and the sentence naming it.
MISSING_DATA = (
    (r"\bphone|\bemail address|\bdriver'?s?\s+name|\bwho\s+is\s+driving", "driver contact details"),
    (r"\bdiesel|\bfuel|\bmpg\b", "fuel consumption"),
    (r"\bweather\b|\brain\b|\bsnow\b|\bstorm\b", "weather forecasts"),
    (r"\bdock\s+doors?|\byard\s+slots?|\bdoor\s+assignments?", "dock and yard assignments"),
    (r"\bemployees?\b|\bstaff\b|\bon\s+shift\b|\bworkers?\b|\bheadcount\b", "staff rosters"),
    (r"\bparts?\s+orders?|\bspare\s+parts?\s+(?:eta|delivery)", "parts orders"),
    (r"\btraffic\b|\broad\s*works?\b|\baccidents?\b", "live traffic"),
)
_HELP = re.compile(
    r"^\W*(?:hi|hello|hey|good\s+(?:morning|afternoon|evening)|thanks|thank\s+you|help)\W*$|\bwhat\s+can\s+you\s+do\b"
    r"|\bwho\s+are\s+you\b",
    re.IGNORECASE,
)
_WHATIF = re.compile(
    r"\bwhat\s*if\b|\bsuppose\b|\bsimulat\w*|\bwhat\s+(?:happens|would\s+happen)\b|^\W*if\b|\bimagine\b|"
    r"\bbreaks?\s+down\b.*\b(?:hit|impact|which|what)\b",
    re.IGNORECASE,
)
_QUESTION = re.compile(
    r"\?\s*$|^\W*(?:is|are|was|were|will|would|could|can|does|do|did|how|what|when|where|which|who|why|show|list|give|"
    r"rank|compare|top|forecast|projected|expected|demand\s+outlook|status|on[- ]hand|stock\s+of)\b|\bchance\b|"
    r"\blikelihood\b|\bprobability\b|\bodds\b|\bforecast\b|\boutlook\b",
    re.IGNORECASE,
)
# What a report says beside the exception grammar's cues: running short, or asking to log it.
_REPORT = re.compile(
    r"\blog\s+(?:it|this)\b|\breport\b|\bjust\s+told\s+us\b|\bcan'?t\s+cover\b|"
    r"\b(?:almost|nearly|about\s+to\s+run)\s+out\s+of\b|\bwill\s+spike\b",
    re.IGNORECASE,
)
MEASURE: TypeAdapter[Measure] = TypeAdapter(Measure)
_FOLLOW = re.compile(r"^\W*(?:and|same|how\s+about|what\s+about|then)\b", re.IGNORECASE)
_REFERENT: tuple[tuple[str, Ordinal], ...] = (
    (r"\bfirst\s+one\b|\bthe\s+first\b|\btop\s+one\b", "first"),
    (r"\bsecond\s+one\b|\bthe\s+second\b", "second"),
    (r"\bthird\s+one\b|\bthe\s+third\b", "third"),
    (r"\blast\s+one\b", "last"),
    (r"\bworst\s+one\b|\briskiest\s+one\b", "worst"),
    (r"\bbest\s+one\b", "best"),
    (r"\bit\b|\bthat\s+(?:one|truck|shipment|decision|sku|carrier)\b|\bthis\s+one\b", "it"),
)
# (measure, cue, weight): every cue that matches adds its weight; the heaviest measure wins.
_MEASURE_CUES: tuple[tuple[Measure, str, int], ...] = (
    (
        "approval_rule",
        r"\bneeds?\s+(?:an?\s+)?(?:approval|sign[- ]?off|ok)\b|\brequires?\s+approval|\bapproval\s+(?:threshold|rule)|"
        r"\bwithout\s+asking|\bon\s+its\s+own|\bby\s+itself|\ballowed\s+to\b|\bsign\s+off\s+on\b|\bexecute\s+on\s+its",
        6,
    ),
    ("autonomy", r"\bautonomy\b|\bpolicy\b|\bpolicies\b", 5),
    (
        "pending",
        r"\bpending\b|\bwaiting\s+for\s+(?:my\s+|an?\s+)?approval|\bawaiting\b|\bto\s+approve\b|\bqueue\b",
        5,
    ),
    ("explain", r"\bwalk\s+me\s+through\b|\bexplain\b|\bwhy\s+was\b|\bevidence\b|\bjustif\w*", 4),
    ("explain", r"\bwhy\s+did\s+(?:you|the\s+desk|we|it)\b|\bwhy\s+(?:the|this|that)\s+decision\b", 7),
    ("drivers", r"\bwhy\b|\bdriving\b|\bdrivers\b|\bbehind\s+(?:it|the)\b|\bflagged\b", 5),
    ("spend", r"\bspen[dt]\b|\bspending\b|\bcosts?\b|\bcost\s+us\b|\bexpensive\b|\bcheapest\b|\bper\s+mile\b", 4),
    (
        "late_count",
        r"\bhow\s+many\b[^?]*\blate\b|\blate\s+(?:deliveries|shipments|loads|count|rate)\b|\b(?:were|was|arrived|delivered?)\s+(?:\w+\s+)?late\b|"
        r"\blateness\b|\blate\s+per\b|\bloads\s+late\b|\bdeliver\w*\s+(?:the\s+most\s+)?(?:loads\s+)?late\b",
        5,
    ),
    ("on_time_rate", r"\bon[- ]?time\b|\breliab\w*|\bpunctual\w*|\bperformance\b|\bperforming\b", 4),
    (
        "late_risk",
        r"\blate\s+risk\b|\brisk\w*\s+shipments?\b|\bat\s+risk\b|\bin\s+danger\b|\bmake\s+its\b|\barrives?\s+late\b|"
        r"\bbe\s+late\b|\blate\?|\bmiss(?:ing)?\s+(?:its\s+|the\s+)?(?:delivery|window|promise)|\bchance\b",
        3,
    ),
    (
        "stock_on_hand",
        r"\bon[- ]?hand\b|\bunits\s+of\b|\binventory\b|\bstock\s+(?:of|for)\b|\bhow\s+much\s+(?:of\s+)?sku|"
        r"\bholds?\b|\bthinnest\b|\bsitting\b|\bstock\b|\bhow\s+much\s+\w+-?\d+",
        2,
    ),
    ("available", r"\bavailable\b|\bpromise\b|\bnet\s+of\b|\bcan\s+\w+\s+ship\b", 4),
    ("days_of_cover", r"\bdays?\s+of\s+(?:cover|supply|stock)\b|\bhow\s+long\s+will\b|\bcover\b|\brunway\b", 5),
    (
        "stockout_risk",
        r"\brunning\s+low\b|\brun(?:ning)?\s+out\b|\bstock\s*outs?\b|\blow\s+on\b|\bskus?\s+at\s+risk\b|"
        r"\bat\s+risk\s+of\s+running",
        5,
    ),
    (
        "forecast",
        r"\bforecast\w*|\bdemand\b|\bsell\b|\bsales\b|\bprojected\b|\boutlook\b|\bexpected\s+(?:sales|demand)\b|"
        r"\bwill\s+(?:\w+\s+){0,3}(?:move|go\s+through|ship\s+out)\b",
        4,
    ),
    ("work_orders", r"\bwork\s+orders?\b", 6),
    (
        "next_service",
        r"\bnext\s+(?:in\s+the\s+shop|maintenance|visit|service)\b|\bdue\s+for\b|\bservice\s+due\b|\bdue\s+for\s+(?:its\s+)?(?:next\s+)?service\b",
        6,
    ),
    ("history", r"\bhistory\b|\blast\s+scan\b|\bscans\b|\blately\b|\bbeen\s+doing\b", 5),
    ("failure_risk", r"\bbreak\s+down\b|\bfail\w*\b|\bhealth\b|\bbreakdown\b", 4),
    ("failure_risk", r"\brisk\w*\b", 2),
    ("capacity", r"\bcapacity\b|\bbays?\b|\bhow\s+busy\b", 3),
    (
        "status",
        r"\bstatus\b|\bwhere\s+is\b|\bon\s+the\s+road\b|\bin\s+the\s+shop\b|\bworkshop\b|\bbased\s+at\b|"
        r"\blist\s+the\s+trucks\b|\bshow\s+me\s+the\b",
        3,
    ),
    ("summary", r"\bhow\s+did\s+we\s+do\b|\bkpis?\b|\bsummar\w*|\bhow\s+busy\b|\boverview\b", 4),
)
_MEASURES: tuple[tuple[Measure, re.Pattern[str], int], ...] = tuple(
    (name, re.compile(cue, re.IGNORECASE), weight) for name, cue, weight in _MEASURE_CUES
)
_AGG: tuple[tuple[AggKind, str], ...] = (
    ("cheapest", r"\bcheapest\b|\bcosts?\s+(?:the\s+)?least\b|\blowest\s+(?:cost|rate)\b|\bleast\s+expensive\b"),
    ("compare", r"\bcompare\w*|\bvs\.?\b|\bversus\b|\bside\s+by\s+side\b"),
    ("best", r"\bbest\b|\bmost\s+reliable\b|\bhighest\s+on[- ]time\b"),
    ("worst", r"\bworst\b|\bleast\s+reliable\b"),
    ("top", r"\brank\w*\b|\briskiest\b|\btop\b|\bmost\s+likely\b"),
    ("most", r"\bmost\b|\bhighest\b|\blargest\b|\bbiggest\b"),
    ("least", r"\bleast\b|\blowest\b|\bthinnest\b|\bfewest\b|\bsmallest\b"),
    ("count", r"\bhow\s+many\b|\bcount\s+of\b|\bnumber\s+of\b"),
    ("total", r"\btotal\b|\bnetwork[- ]wide\b|\boverall\b|\bin\s+all\b"),
)
_ALL = re.compile(
    r"\b(?:over|across|on|for)\s+(?:all|every)\s+(?:the\s+)?(?:lanes?|dcs?|carriers?)\b|\beverywhere\b", re.I
)
_EVERYWHERE = re.compile(
    r"\beverywhere\b|\bevery\s+dc\b|\ball\s+(?:the\s+)?dcs\b|\bacross\b|\bnetwork\b|\bwhich\s+dc\b|"
    r"\bwhere\s+are\s+we\b|\bwho\s+runs\s+out\b",
    re.I,
)
_CARRIER_WORD = re.compile(
    r"\bcarriers?\b|\bwho\s+(?:is|delivered|costs)\b|\bby\s+carrier\b|\bper\s+carrier\b|\bcheapest\b|"
    r"\bcosts\s+least\b",
    re.I,
)
_TRUCK_WORD = re.compile(r"\btrucks\b|\bfleet\b", re.I)
_SHIPMENT_WORD = re.compile(r"\bshipments?\b|\bloads?\b|\bdeliveries\b", re.I)
_DECISION_WORD = re.compile(r"\bdecisions?\b|\bwaiting\s+for\s+my\b|\bpending\b", re.I)
_DC_WORD = re.compile(r"\bwhich\s+dc\b|\bworst\s+dc\b|\bbest\s+dc\b|\bthe\s+\w+\s+dc\b|\bbays?\b", re.I)
_ITEM_WORD = re.compile(r"\b(?:shipments?|loads?|deliveries|trucks?|fleet|skus?|items?|products?)\b", re.I)
_KPI_WORD = re.compile(r"\bhow\s+did\s+we\s+do\b|\bkpis?\b|\bsummar\w*\s+the\s+network\b|\bour\s+on[- ]time\b", re.I)
_SPLIT = re.compile(
    r"(?<=\?)\s+|;\s*|\.\s+(?=[A-Z])|,?\s+also\s+|,\s+and\s+(?=(?:does|do|is|are|what|when|which|how|the)\b)|"
    r"\s+and\s+(?=(?:what|when|which|how|does|do|is|the\s+(?:late|forecast|on[- ]time)|its)\b)",
    re.I,
)


class ExampleIndex:
    """Example phrases per measure (and out of scope), embedded once, to read what cue phrases miss."""

    def __init__(self, path: Path = EXAMPLES_PATH) -> None:
        """Embed the examples."""
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        self.labels = [row["measure"] for row in rows]
        self.vectors = embed([row["text"] for row in rows])

    def nearest(self, text: str) -> list[tuple[str, float]]:
        """Each label with its best cosine similarity to the text, nearest first."""
        sims = self.vectors @ embed([text])[0]
        best: dict[str, float] = {}
        for label, sim in zip(self.labels, sims, strict=True):
            best[label] = max(best.get(label, -1.0), float(sim))
        return sorted(best.items(), key=lambda item: -item[1])


@lru_cache(maxsize=1)
def _index() -> ExampleIndex:
    """The process-wide example index."""
    return ExampleIndex()


def example_index() -> ExampleIndex:
    """The example index (thread-safe first load)."""
    with _LOCK:
        return _index()


def clauses(text: str) -> list[str]:
    """The parts of a multi-part question."""
    parts = [re.sub(r"^\W*also\b", "", part, flags=re.I).strip(" ,.") for part in _SPLIT.split(text) if part]
    return [part for part in parts if part.strip("?")]


def _measure(text: str) -> Measure | None:
    """The measure the cue phrases point at, if any."""
    scores: dict[Measure, int] = {}
    for name, cue, weight in _MEASURES:
        if cue.search(text):
            scores[name] = scores.get(name, 0) + weight
    return max(scores, key=scores.__getitem__) if scores else None


def _aggregation(text: str) -> Aggregation | None:
    """How the rows are reduced, with a count when one is asked for."""
    n = g.top_n(text)
    for kind, cue in _AGG:
        if re.search(cue, text, re.IGNORECASE):
            if kind in ("most", "least") and re.search(r"\bmost\s+likely\b", text, re.I):
                kind = "top"
            return Aggregation(kind=kind, n=n)
    return Aggregation(kind="top", n=n) if n else None


def _filters(text: str, now: dt.date | None) -> Filters:
    """Every code, place, period and action type the grammar reads in a clause."""
    lanes, spans = g.lane_list(text)
    dcs, role = g.dcs(text, spans)
    shipments = g.code(text, r"shipment|shp", "SHP", 6)
    trucks = g.code(text, r"truck|trk", "TRK", 3)
    skus = g.code(text, r"sku", "SKU", 4)
    decisions = g.decision_ids(text)
    return Filters(
        shipment_id=shipments[0] if shipments else None,
        sku=skus[0] if skus else None,
        dcs=dcs,
        dc_role=role,
        lane=lanes[0] if lanes else None,
        carriers=g.carriers(text),
        truck=trucks[0] if trucks else None,
        decision_id=decisions[0] if decisions else None,
        action_type=g.action_type(text),
        period=g.period(text, now) if now else None,
    )


def _subject(text: str, f: Filters, measure: Measure | None, agg: Aggregation | None) -> Subject | None:
    """What the question is about, from its codes and words."""
    if measure in ("approval_rule", "autonomy"):
        return "policy"
    if f.decision_id or measure in ("pending", "explain") or _DECISION_WORD.search(text):
        return "decision"
    if f.shipment_id:
        return "shipment"
    if f.truck:
        return "truck"
    if f.sku:
        compare = agg is not None and agg.kind in ("compare", "most", "least", "total")
        return "sku_dc" if len(f.dcs) == 1 and not compare and not _EVERYWHERE.search(text) else "sku"
    if measure == "spend" and not (f.carriers or f.lane or _CARRIER_WORD.search(text)):
        return "desk"
    if _KPI_WORD.search(text) or (measure == "summary" and not f.dcs):
        return "kpi"
    if f.carriers or _CARRIER_WORD.search(text):
        return "carrier"
    if re.search(r"\bwhich\s+lane\b|\bworst\s+lane\b", text, re.I) or (
        f.lane and measure in ("late_count", "on_time_rate")
    ):
        return "lane"
    if _TRUCK_WORD.search(text) or measure in ("failure_risk", "work_orders", "next_service"):
        return "fleet"
    if re.search(r"\bskus?\b|\bsell\b", text, re.I) or measure in ("stockout_risk", "days_of_cover", "forecast"):
        return "dc" if _DC_WORD.search(text) else "sku_dc"
    if f.dcs and measure in ("late_risk", "failure_risk", None) and not _ITEM_WORD.search(text):
        return "dc"
    if _SHIPMENT_WORD.search(text) or (measure in ("late_risk", "late_count") and f.dcs):
        return "shipment"
    if _DC_WORD.search(text) or f.dcs:
        return "dc"
    if measure in ("on_time_rate", "late_count"):
        return "kpi" if not f.lane else "lane"
    return None


_DEFAULT_MEASURE: dict[Subject, Measure] = {
    "shipment": "status",
    "truck": "status",
    "fleet": "status",
    "sku_dc": "stock_on_hand",
    "sku": "stock_on_hand",
    "carrier": "on_time_rate",
    "lane": "late_count",
    "dc": "summary",
    "decision": "pending",
    "policy": "autonomy",
    "kpi": "summary",
}
_FITS: dict[Subject, set[Measure]] = {
    "shipment": {"status", "late_risk", "drivers", "history", "late_count", "on_time_rate"},
    "truck": {"status", "history", "work_orders", "next_service", "failure_risk", "drivers"},
    "fleet": {"status", "failure_risk", "work_orders", "next_service"},
    "sku_dc": {"stock_on_hand", "available", "days_of_cover", "forecast", "drivers", "stockout_risk"},
    "sku": {"stock_on_hand", "available", "days_of_cover", "forecast", "stockout_risk"},
    "carrier": {"on_time_rate", "late_count", "spend", "capacity"},
    "lane": {"late_count", "on_time_rate"},
    "dc": {"summary", "stockout_risk", "capacity"},
    "decision": {"pending", "explain", "status"},
    "policy": {"autonomy", "approval_rule"},
    "kpi": {"summary", "on_time_rate"},
    "desk": {"spend", "help"},
}


def _fit_measure(text: str, subject: Subject | None, measure: Measure | None) -> Measure | None:
    """The measure, made to fit the subject: a cue of another subject yields the subject's likeliest measure."""
    if subject is None or subject not in _FITS or measure in _FITS[subject]:
        return measure
    if subject == "shipment" and measure in ("status", None) and re.search(r"\blate\b", text, re.I):
        return "late_risk"
    scores: dict[Measure, int] = {
        name: weight for name, cue, weight in _MEASURES if name in _FITS[subject] and cue.search(text)
    }
    if scores:
        return max(scores, key=scores.__getitem__)
    if subject == "decision" and measure is None:
        return "pending"
    return _DEFAULT_MEASURE.get(subject)


def read_clause(text: str, now: dt.date | None) -> Query:
    """One clause read on its own, before the thread fills what it leaves open."""
    f = _filters(text, now)
    if _HELP.search(text):
        return Query(subject="desk", measure="help")
    for pattern, what in MISSING_DATA:
        if re.search(pattern, text, re.IGNORECASE):
            return Query(kind="no_data", missing=what)
    if planned := _plans_or_tradeoff(text, f):
        return planned
    scenario = _what_if(text, f) if _WHATIF.search(text) or _changes(text) or _closes_lane(text, f) else None
    if scenario:
        span = f.period and f.period.words.startswith("for ") and f.period.days == scenario.days
        update = {"action_type": None} | ({"period": None} if span else {})  # "for a week" is the scenario's length
        return Query(kind="whatif", filters=f.model_copy(update=update), whatif=scenario)
    act = _act(text, f)
    if act:
        return act
    measure = _measure(text)
    if _only_names(text, f):
        return Query(kind="clarify", filters=f)
    agg = _aggregation(text)
    subject = _subject(text, f, measure, agg)
    if measure is None and agg is None and not _FOLLOW.search(text) and not _referent(text) and _outside(text):
        return Query(kind="out_of_scope")
    if measure is None and subject is None and not _FOLLOW.search(text) and not _referent(text):
        nearest = example_index().nearest(text)
        measure = MEASURE.validate_python(next(label for label, _ in nearest if label != "out_of_scope"))
        subject = _subject(text, f, measure, agg)
    measure = _fit_measure(text, subject, measure)
    if agg and agg.kind == "count" and subject not in ("fleet", "decision", "shipment"):
        agg = None
    if agg and agg.kind == "total" and measure not in ("spend", "stock_on_hand"):
        agg = None
    if subject not in ("desk", "policy"):
        f.action_type = None
    return Query(subject=subject, measure=measure, filters=f, aggregation=agg)


def _plans_or_tradeoff(text: str, f: Filters) -> Query | None:
    """A trade-off set ("weight late penalties 3 for silver on DAL-HOU") or asked about, or the plans asked about
    ("what is today's tender plan?"); None for any other clause."""
    if g.speaks_of_tradeoff(text):
        scoped = f.model_copy(update={"tier": g.tier(text), "period": None})
        on_time, co2 = g.tradeoff_weights(text)
        if on_time is None and co2 is None:
            return Query(subject="tradeoff", filters=scoped)
        setting = TradeOffSetting(on_time=on_time, co2=co2)
        return Query(kind="act", act="set_tradeoff", subject="tradeoff", filters=scoped, setting=setting)
    if g.asks_plans(text):
        return Query(subject="plan", filters=f.model_copy(update={"plan_type": g.plan_type(text), "action_type": None}))
    return None


def _outside(text: str) -> bool:
    """Whether a clause with no measure is nearer the examples of requests outside the desk than any desk example."""
    nearest = example_index().nearest(masked_text(text))
    desk = next(sim for label, sim in nearest if label != "out_of_scope")
    return dict(nearest)["out_of_scope"] >= desk - OUT_OF_SCOPE_MARGIN


def _only_names(text: str, f: Filters) -> bool:
    """Whether a clause names things without saying anything about them ("SKU-0042", "Dallas?")."""
    if not _has_codes(f):
        return False
    rest = re.sub(
        r"\b(?:SKU|SHP|TRK|DEC|CAR|DC)-\w+|\b(?:dallas|houston|atlanta|chicago|los\s+angeles|la)\b",
        " ",
        text,
        flags=re.I,
    )
    return not re.search(r"[a-z]{2,}", rest, re.I)


def _changes(text: str) -> bool:
    """Whether a clause changes demand or capacity by a share or factor ("+25% demand", "cuts capacity in half")."""
    return (
        g.factor(text) is not None
        and bool(re.search(r"\bdemand\b|\bcapacity\b|\bsales\b", text, re.I))
        and bool(re.search(r"\?|\bimpact\b|\bwho\b|\bwhich\b|\bwhat\b|\bdo\s+we\b", text, re.I))
    )


_LANE_CLOSED = r"\bclos\w*|\bshut\w*|\bblocked\b|\blos[et]\b|\blosing\b|\bimpassable\b"


def _closes_lane(text: str, f: Filters) -> bool:
    """Whether a clause closes a lane ("DAL-HOU blocked Wednesday through Friday"): a scenario however it is asked,
    the twin records no lane closures to look up."""
    return bool(f.lane and not f.carriers and re.search(_LANE_CLOSED, text, re.I))


def _has_codes(f: Filters) -> bool:
    """Whether the grammar read any code or place."""
    return bool(f.shipment_id or f.sku or f.dcs or f.lane or f.carriers or f.truck or f.decision_id)


def _what_if(text: str, f: Filters) -> WhatIf | None:
    """The scenario a what-if names, if the grammar can read one."""
    t = text.lower()
    if f.truck and re.search(r"\bbreak\w*|\bunavailable\b|\bdown\b|\bout\s+of\s+service\b|\bin\s+the\s+shop\b", t):
        return WhatIf(op="truck_unavailable")
    if _closes_lane(t, f):
        return WhatIf(op="lane_closed", days=g.span_days(t))
    if f.carriers and re.search(r"\bcapacity\b|\bdoubl\w*|\bhalf\b|\btrucks\b", t):
        return WhatIf(op="capacity_change", factor=g.factor(t))
    if re.search(r"\bdemand\b|\bsales\b|\borders\b", t) or (f.sku and g.factor(t)):
        return WhatIf(op="demand_change", factor=g.factor(t))
    if f.dcs and re.search(r"\bclos\w*|\bshut\w*|\bdark\b|\bdown\b|\boffline\b|\boutage\b", t):
        days = g.span_days(t)
        if days is None and f.period is not None and f.period.days > 1 and "week" not in f.period.words:
            days = f.period.days
        return WhatIf(op="dc_closure", days=days or (1 if re.search(r"\bone\s+day\b", t) else None))
    return None


_VERBS: tuple[tuple[ActVerb, str], ...] = (
    ("approve", r"\bapprove\b|\bgo\s+ahead\s+with\b|\baccept\b|\bsign\s+off\s+(?:on\s+)?(?:DEC|it|the)"),
    ("reject", r"\breject\b|\bdecline\b|\bturn\s+down\b"),
    ("override", r"\boverride\b|\binstead\b"),
)


def _act(text: str, f: Filters) -> Query | None:
    """A verdict on a decision, or a report to log."""
    question = bool(_QUESTION.search(text))
    referent = _referent(text)
    if f.decision_id or referent:
        for verb, cue in _VERBS:
            if re.search(cue, text, re.IGNORECASE) and not question:
                return Query(kind="act", subject="decision", act=verb, filters=f, referent=referent)
    if question:
        return None
    kind, _ = read_exception_type(text)
    logged = _REPORT.search(text)
    if kind is None and not logged:
        return None
    subject = (
        "shipment"
        if f.shipment_id
        else "truck"
        if f.truck
        else "sku_dc"
        if f.sku
        else "carrier"
        if f.carriers
        else None
    )
    if subject is None:
        return None
    return Query(kind="act", act="report", subject=subject, filters=f)


def _referent(text: str) -> Ordinal | None:
    """Which item of the last answer a message points at ("the first one", "it", "that truck")."""
    for pattern, name in _REFERENT:
        if re.search(pattern, text, re.IGNORECASE):
            return name
    return None


def _fan_out(query: Query, text: str) -> list[Query]:
    """One query per DC or truck when a clause asks the same of several ("in Chicago and in Atlanta")."""
    f = query.filters
    if query.kind == "whatif" and query.whatif and query.whatif.op == "dc_closure" and len(f.dcs) > 1:
        return [query.model_copy(update={"filters": f.model_copy(update={"dcs": [dc]})}, deep=True) for dc in f.dcs]
    if query.kind != "ask":
        return [query]
    if query.subject == "truck":
        trucks = g.code(text, r"truck|trk", "TRK", 3)
        if len(trucks) > 1:
            return [query.model_copy(update={"filters": f.model_copy(update={"truck": t})}, deep=True) for t in trucks]
    if query.subject == "dc" and len(f.dcs) > 1 and query.aggregation is None:
        return [query.model_copy(update={"filters": f.model_copy(update={"dcs": [dc]})}, deep=True) for dc in f.dcs]
    if query.subject == "sku" and len(f.dcs) > 1 and query.aggregation is None:
        return [
            query.model_copy(update={"subject": "sku_dc", "filters": f.model_copy(update={"dcs": [dc]})}, deep=True)
            for dc in f.dcs
        ]
    lanes, _ = g.lane_list(text)
    if query.subject == "lane" and len(lanes) > 1:
        return [query.model_copy(update={"filters": f.model_copy(update={"lane": lane})}, deep=True) for lane in lanes]
    return [query]


# The codes that belong to each subject: a new question keeps the thread's codes of its subject it leaves open.
_SUBJECT_KEYS = {
    "shipment": ("shipment_id",),
    "sku_dc": ("sku", "dcs"),
    "sku": ("sku",),
    "truck": ("truck",),
    "carrier": ("carriers", "lane"),
    "lane": ("lane",),
    "dc": ("dcs",),
    "decision": ("decision_id",),
    "policy": ("action_type",),
}


def _carry(query: Query, previous: Query, text: str, listed: bool) -> Query:
    """A clause that leaves parts open takes them from the thread's last query: what it names replaces the same kind
    of thing, the rest is kept. After a list, "the first one", "it" or "the worst one" point at its items."""
    referent = query.referent or _referent(text)
    fragment = bool(_FOLLOW.search(text)) or (query.kind == "ask" and query.subject is None)
    own = query.filters
    named = own.model_dump(exclude_defaults=True)
    if own.dcs:
        named["dc_role"] = own.dc_role
    if query.kind == "whatif" and not fragment:
        return query
    if previous.kind == "whatif" and fragment:
        scenario = query.whatif if query.kind == "whatif" else previous.whatif
        whatif = (scenario or WhatIf(op="dc_closure")).model_copy()
        whatif.days = g.span_days(text) or whatif.days
        merged = Filters(**{**previous.filters.model_dump(exclude_defaults=True), **named})
        return previous.model_copy(update={"filters": merged, "whatif": whatif})
    if listed and referent:
        subject = query.subject if query.kind == "act" else _listed_subject(previous)
        measure = query.measure if _measure(text) else _DEFAULT_MEASURE.get(subject) if subject else None
        if query.kind == "ask" and subject == "truck" and measure not in _FITS["truck"]:
            measure = "status"
        return query.model_copy(
            update={
                "subject": subject,
                "measure": measure if query.kind == "ask" else None,
                "referent": referent,
                "aggregation": None,
            }
        )
    if fragment and query.kind == "ask":
        measure = query.measure if query.measure and _measure(text) else previous.measure
        merged = Filters(**{**previous.filters.model_dump(exclude_defaults=True), **named})
        subject = previous.subject
        if subject == "sku" and merged.sku and len(merged.dcs) == 1:
            subject = "sku_dc"
        return query.model_copy(
            update={
                "kind": previous.kind,
                "subject": subject,
                "measure": measure,
                "filters": merged,
                "whatif": previous.whatif,
                "referent": referent,
                "aggregation": query.aggregation or previous.aggregation,
            }
        )
    subject = query.subject
    if _ALL.search(text):
        return query.model_copy(update={"referent": referent})
    if referent and subject in (None, "fleet") and previous.subject == "truck":
        subject = "truck"
    keys = _SUBJECT_KEYS.get(subject or "", ())
    kept = {k: v for k, v in previous.filters.model_dump(exclude_defaults=True).items() if k in keys}
    filters = Filters(**{**kept, **named})
    return query.model_copy(update={"subject": subject, "filters": filters, "referent": referent})


_LISTED: dict[Subject, Subject] = {"fleet": "truck", "sku_dc": "sku_dc", "decision": "decision"}


def _listed_subject(previous: Query) -> Subject | None:
    """The kind of item a list holds."""
    return _LISTED.get(previous.subject, previous.subject) if previous.subject else None


def is_list(query: Query) -> bool:
    """Whether an answer to the query is a list of items a follow-up may point at."""
    if query.aggregation and query.aggregation.kind in ("top", "most", "least", "best", "worst"):
        return True
    f = query.filters
    single = f.shipment_id or f.truck or f.decision_id or (f.sku and f.dcs)
    return not single and query.subject in ("fleet", "decision", "shipment", "sku_dc")


def read(text: str, now: dt.date, previous: Query | None = None) -> Reading:
    """Every part of a question as a typed query; parts that leave things open take them from the part before,
    or from the thread's last query."""
    parts: list[Query] = []
    context = previous
    for clause in clauses(text) or [text]:
        query = read_clause(clause, now)
        if query.kind in ("out_of_scope", "no_data") or (query.subject == "desk" and query.measure == "help"):
            parts.append(query)
            continue
        if context is not None:
            across = context is previous
            query = _carry(query, context, clause, is_list(context) and across)
            if not across:
                query.referent = None
        for part in _fan_out(query, clause):
            parts.append(part)
        context = parts[-1]
    return Reading(parts=parts or [Query(kind="clarify")])


# The exception a report is about when its words name no type: what it is about says which.
REPORT_TYPE_OF = {
    "shipment": ExceptionType.late_shipment,
    "sku_dc": ExceptionType.stockout_risk,
    "truck": ExceptionType.equipment_failure_risk,
    "carrier": ExceptionType.carrier_capacity,
}


def report_reading(text: str) -> tuple[ExceptionType | None, dict[str, str]]:
    """The exception type and twin references a report describes, read as the chat reads it: the exception grammar's
    cues first, then what the report is about (e.g. "we're almost out of SKU-0034 in Chicago" is a stockout risk)."""
    kind, _ = read_exception_type(text)
    query = read_clause(text, None)
    f = query.filters
    refs = {
        "shipment_id": f.shipment_id,
        "sku": f.sku,
        "location": f.dcs[0] if f.dcs else None,
        "asset_id": f.truck,
        "lane": f.lane,
        "carrier": f.carriers[0] if f.carriers else None,
    }
    if kind is None and query.kind == "act" and query.act == "report":
        kind = REPORT_TYPE_OF.get(query.subject or "")
    return kind, {key: value for key, value in refs.items() if value}
