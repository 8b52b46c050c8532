"""Offline understanding of what people write: the intent of a message (a logistic regression over MiniLM
sentence embeddings, trained on labelled utterances), its slots, and abstention when no reading is clear."""

import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Literal, get_args

import numpy as np
from pydantic import BaseModel, Field, TypeAdapter

from agents.language.slots import Slots, read_slots
from agents.schemas import ExceptionType
from tools.embeddings import embed

IntentName = Literal[
    "risks_at_location",
    "top_risks",
    "forecast_demand",
    "days_of_cover",
    "what_if_capacity",
    "what_if_closure",
    "compare_carriers",
    "on_time_rate",
    "shipment_status",
    "list_decisions",
    "explain_decision",
    "kpis",
    "approve_decision",
    "reject_decision",
    "override_decision",
    "report_late_shipment",
    "report_stockout_risk",
    "report_equipment_failure_risk",
    "report_carrier_capacity",
    "report_demand_spike",
    "follow_up",
    "help",
]
INTENTS: tuple[str, ...] = get_args(IntentName)
INTENT: TypeAdapter[IntentName] = TypeAdapter(IntentName)
REPORT_PREFIX = "report_"
ACTS = ("approve_decision", "reject_decision", "override_decision")
UTTERANCES_PATH = Path(__file__).with_name("utterances.jsonl")
MIN_CONFIDENCE = 0.40  # below this the reading is a guess: ask instead
MIN_ACT_CONFIDENCE = 0.55  # a reading that would act needs more
REGULARISATION_C = 10.0
# Codes and names are masked to their kind before reading, so the classifier learns phrasing, not codes.
_MASKS = tuple(
    (re.compile(pattern, re.IGNORECASE), kind)
    for pattern, kind in (
        (r"\bSHP-\d+|\bshipment\s+#?\d+", "shipment"),
        (r"\bSKU-\d+|\bsku\s+\d+", "sku"),
        (r"\bTRK-\d+|\btruck\s+\d+", "truck"),
        (r"\bDEC-[A-Za-z0-9]+", "decision"),
        (r"\bCAR-[A-Z]+|\b(?:swift\s*line|red\s*river|blue\s*grid|prairie|coastal|metro)\b", "carrier"),
        (r"\b[A-Z]{3}\s*(?:-|->|→)\s*[A-Z]{3}\b", "lane"),
        (r"\bDC-[A-Z]{3}\b|\b(?:dallas|houston|atlanta|chicago|los angeles|LA)\b", "dc"),
    )
)
# Cue phrases, one indicator feature each beside the embedding: what the embedding of a short text blurs.
_CUES = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"\bwhat\s*if\b|\bwhatif\b|\bsuppose\b|\bsimulat|\bimpact\b|\bwhat\s+(?:happens|would)",
        r"\bclos(?:e|es|ed|ing|ure)\b|\bshut|\boffline\b|\boutage\b|\bgoes\s+(?:down|dark)\b|\bout\s+of\s+action\b|\bunavailable\b",
        r"\bcapacity\b|\bdrivers\b|\bfleet\b",
        r"\bcompare\b|\bvs\.?\b|\bversus\b|\bside\s+by\s+side\b|\bor\b|\bbest\b|\bcheapest\b|\bwho\s+should\b|\bwhich\s+carrier\b",
        r"\bon[\s-]?time\b|\bontime\b|\botd\b|\breliab|\bpunctual|\blate\s+rate\b",
        r"\bdays?\s+of\s+(?:cover|stock)|\bcover(?:age)?\b|\blast\b|\brun\s+out\b|\brunway\b|\bon\s+hand\b|\benough\b",
        r"\bforc?ast|\bpredict|\bproject|\bdemand\b|\bsell\b|\bneed\b",
        r"\brisk|\bworr|\bexposed\b|\bproblems?\b",
        r"\btop\b|\briskiest\b|\bworst\b|\brank|\bmost\b|\bfirst\b|\bwhich\b",
        r"\bwhere\b|\beta\b|\bstatus\b|\btrack\b|\barrive|\bdelivered\b|\bupdate\b|\bon\s+schedule\b|\bwindow\b",
        r"\bdecisions?\b|\bapprovals?\b|\bqueue\b|\bdecided?\b|\bsign[\s-]?off\b|\bso\s+far\b|\b(?:was|were|got)\s+(?:rejected|executed|overridden)",
        r"\bwhy\b|\bexplain|\bjustify|\breason|\bdriv(?:es?|ing)\b|\bcome\s+up\b|\bbehind\s+(?:that|this|it|DEC)|\bwalk\s+me|\btalk\s+me|\bstory\b|\bcome\s+from\b",
        r"\bkpis?\b|\bdashboard\b|\brate\b|\bhow\s+(?:is|are)\s+(?:the|we)\b|\bhow\s+many\b|\bsummary\b|\bmetrics\b|\bperform",
        r"\bapprove|\baprove|\baccept|\bsign\s+off|\bgo\s+ahead|\blgtm\b|\bexecute\b",
        r"\breject|\brejct|\bdecline|\bveto|\bturn\s+(?:that|it)\s+down|\bdon'?t\s+do\b",
        r"\boverr?ide|\bchange\b|\bswap\b|\binstead\b",
        r"\blate\b|\bdelay|\bbehind\b|\boverdue\b|\bmiss|\bstuck\b|\bhasn'?t\s+shown",
        r"\bout\s+of\s+stock|\brun(?:ning)?\s+(?:low|out)|\bshort\b|\bempty\b|\bsafety\s+stock|\bstockout",
        r"\boverheat|\bhot\b|\boil\b|\bengine\b|\bbrakes?\b|\bvibration|\bcoolant|\bbroke|\btransmission|\bleak",
        r"\breject(?:ed)?\s+(?:our\s+)?tenders|\bno\s+capacity|\bcan'?t\s+take|\bshortage|\bdown\s+a\b|\bdeclined\b|\blost\b.*\bdrivers\b|\bstrike\b",
        r"\bspik|\bsurg|\bviral|\bflying\b|\bjump\b|\babove\s+forecast|\bway\s+up\b|\btripled\b",
        r"^\W*(?:and|same|how\s+about|what\s+about)\b|\binstead\b",
        r"^\W*(?:hi|hello|hey|thanks|thank\s+you|good\s+morning|ok|help)\b|\bwhat\s+can\s+you\b|\bwho\s+are\s+you\b",
        r"\blog\b|\braise\b|\breport\b|\bheads\s+up\b|\bcustomer\s+called\b",
        r"\?\s*$|^\W*(?:is|are|will|does|has|how|what|when|where|which|who|why|can)\b",
    )
)
LABELS = {
    "risks_at_location": "what is at risk at a DC",
    "top_risks": "the riskiest trucks, shipments or SKUs",
    "forecast_demand": "a demand forecast",
    "days_of_cover": "days of cover of a SKU",
    "what_if_capacity": "a what-if on a carrier's capacity",
    "what_if_closure": "a what-if on a DC closing",
    "compare_carriers": "a comparison of carriers on a lane",
    "on_time_rate": "a carrier's on-time rate",
    "shipment_status": "a shipment's status and ETA",
    "list_decisions": "a list of decisions",
    "explain_decision": "why a decision was made",
    "kpis": "the desk's KPIs",
    "approve_decision": "approving a decision",
    "reject_decision": "rejecting a decision",
    "override_decision": "overriding a decision",
    "report_late_shipment": "reporting a late shipment",
    "report_stockout_risk": "reporting a stockout risk",
    "report_equipment_failure_risk": "reporting a truck fault",
    "report_carrier_capacity": "reporting a carrier short of capacity",
    "report_demand_spike": "reporting a demand spike",
    "follow_up": "a follow-up on the last answer",
    "help": "what I can do",
}
_REPORT_SLOTS = (
    "shipment_id",
    "sku",
    "location",
    "origin",
    "destination",
    "region",
    "asset_id",
    "lane",
    "carrier",
    "capacity_cut_pct",
    "period",
)
# The slots each intent reads (its frame); a follow-up may change any of them.
SLOTS_OF: dict[str, tuple[str, ...]] = {
    "risks_at_location": ("location", "region", "period", "horizon_weeks"),
    "top_risks": ("kind", "top", "location", "origin", "destination", "region", "period", "horizon_weeks"),
    "forecast_demand": ("sku", "location", "region", "period", "horizon_weeks"),
    "days_of_cover": ("sku", "location", "region"),
    "what_if_capacity": ("carrier", "capacity_cut_pct", "lane", "period"),
    "what_if_closure": ("location", "region", "days", "period"),
    "compare_carriers": ("carrier", "carriers", "lane"),
    "on_time_rate": ("carrier", "lane"),
    "shipment_status": ("shipment_id",),
    "list_decisions": ("status", "specialist", "shipment_id", "sku", "asset_id", "carrier", "location", "period"),
    "explain_decision": ("decision_id", "shipment_id", "sku", "asset_id", "carrier"),
    "kpis": ("period",),
    "approve_decision": ("decision_id",),
    "reject_decision": ("decision_id",),
    "override_decision": ("decision_id", "carrier"),
    **{name: _REPORT_SLOTS for name in get_args(IntentName) if name.startswith("report_")},
    "follow_up": tuple(Slots.model_fields),
    "help": (),
}
_QUESTION = re.compile(
    r"\?\s*$|^\W*(?:is|are|was|were|will|would|could|can|does|do|did|has|have|how|what|when|where|which|who|why)\b",
    re.IGNORECASE,
)
_LOCK = threading.Lock()


class Utterance(BaseModel):
    """A labelled message: its text, intent and slots."""

    text: str
    intent: IntentName
    slots: Slots = Field(default_factory=Slots)


class Reading(BaseModel):
    """How a message was understood: the intent, its probability, the runner-up, abstention and the slots."""

    intent: IntentName
    confidence: float
    runner_up: IntentName
    runner_up_confidence: float
    abstained: bool
    question: bool
    slots: Slots


def load_utterances(path: Path = UTTERANCES_PATH) -> list[Utterance]:
    """The labelled utterances of a JSONL file."""
    return [Utterance.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]


def features(texts: list[str]) -> np.ndarray:
    """Per text: the MiniLM embedding of the masked text, then one 0/1 column per cue phrase."""
    masked = [masked_text(text) for text in texts]
    cues = np.array([[1.0 if cue.search(text) else 0.0 for cue in _CUES] for text in masked], dtype=np.float32)
    return np.hstack([embed(masked), cues.reshape(len(texts), len(_CUES))])


def masked_text(text: str) -> str:
    """The text with codes and names replaced by their kind (e.g. "SKU-0042" -> "sku"), whitespace collapsed."""
    for pattern, kind in _MASKS:
        text = pattern.sub(kind, text)
    return " ".join(text.split())


class IntentModel:
    """A logistic regression over sentence embeddings and cue indicators, one class per intent."""

    def __init__(self, utterances: list[Utterance]) -> None:
        """Read the utterances' features and fit the classifier."""
        from sklearn.linear_model import LogisticRegression  # the training library, loaded only to fit

        self.model = LogisticRegression(C=REGULARISATION_C, max_iter=5000)
        self.model.fit(features([u.text for u in utterances]), [u.intent for u in utterances])
        self.classes: list[str] = list(self.model.classes_)

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """Per text, the probability of each intent in `self.classes` order."""
        return self.model.predict_proba(features(texts))


@lru_cache(maxsize=1)
def _trained() -> IntentModel:
    """The process-wide intent model, trained on the packaged utterances on first use."""
    return IntentModel(load_utterances())


def intent_model() -> IntentModel:
    """The trained intent model (thread-safe first load)."""
    with _LOCK:
        return _trained()


def is_question(text: str) -> bool:
    """Whether a message asks rather than tells."""
    return bool(_QUESTION.search(text.strip()))


def reading_of(text: str, probabilities: np.ndarray, classes: list[str]) -> Reading:
    """A reading from the classifier's probabilities: a question is never read as a report, and a reading below
    the confidence bounds abstains."""
    question = is_question(text)
    ranked = sorted(zip(classes, probabilities, strict=True), key=lambda pair: -pair[1])
    if question:
        ranked = [pair for pair in ranked if not pair[0].startswith(REPORT_PREFIX)]
    (best, p_best), (second, p_second) = ranked[0], ranked[1]
    acts = best in ACTS or best.startswith(REPORT_PREFIX)
    abstained = p_best < (MIN_ACT_CONFIDENCE if acts else MIN_CONFIDENCE) or only_names(text)
    return Reading(
        intent=INTENT.validate_python(best),
        confidence=round(float(p_best), 4),
        runner_up=INTENT.validate_python(second),
        runner_up_confidence=round(float(p_second), 4),
        abstained=abstained,
        question=question,
        slots=framed(best, read_slots(text)),
    )


def framed(intent: str, slots: Slots) -> Slots:
    """The slots of an intent's frame; a place named with a direction is its location when the frame has no
    direction."""
    values = slots.present()
    frame = SLOTS_OF[intent]
    if "origin" not in frame and "location" in frame:
        values.setdefault("location", values.get("origin") or values.get("destination"))
    return Slots(**{key: value for key, value in values.items() if key in frame and value is not None})


def only_names(text: str) -> bool:
    """Whether a message names things without saying anything about them (e.g. "SKU-0042 DC-DAL")."""
    words = re.findall(r"[a-z]+", masked_text(text).lower())
    return bool(words) and set(words) <= {
        "shipment",
        "sku",
        "truck",
        "decision",
        "carrier",
        "lane",
        "dc",
        "carriers",
        "dcs",
        "skus",
        "trucks",
        "shipments",
        "the",
    }


def understand_all(texts: list[str], model: IntentModel | None = None) -> list[Reading]:
    """The readings of many messages (one embedding run)."""
    model = model or intent_model()
    if not texts:
        return []
    return [reading_of(text, row, model.classes) for text, row in zip(texts, model.probabilities(texts), strict=True)]


def understand(text: str) -> Reading:
    """The reading of one message."""
    return understand_all([text])[0]


def report_types(text: str) -> list[tuple[ExceptionType, float]]:
    """The exception types a report may describe, most likely first, with the classifier's probabilities
    renormalised over the report intents."""
    model = intent_model()
    row = model.probabilities([text])[0]
    scores = {
        name.removeprefix(REPORT_PREFIX): p
        for name, p in zip(model.classes, row, strict=True)
        if name.startswith(REPORT_PREFIX)
    }
    total = sum(scores.values()) or 1.0
    return sorted(((ExceptionType(name), float(p) / total) for name, p in scores.items()), key=lambda t: -t[1])
