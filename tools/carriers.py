"""Carrier selection: rank a lane's carriers by score = sum(weight x component) / sum(weights), each component
in 0..1 with 1 the best (see `ScoreWeights`)."""

import hashlib
import json
from typing import Any

from pydantic import BaseModel, Field, model_validator

from tools.evidence import Driver, Evidence, Source
from twin.models import CarrierLane

SCORE_VERSION = "1"


class CarrierOption(BaseModel):
    """One carrier's offer on a lane: rate, predicted on-time probability, remaining capacity and CO2."""

    carrier: str
    lane: str
    rate_per_mile: float = Field(gt=0)
    on_time_prob: float = Field(ge=0, le=1, description="from the late-risk model or the lane history")
    capacity_loads: int = Field(ge=0, description="loads the carrier can still take, across all its lanes")
    co2_kg_per_mile: float | None = Field(default=None, gt=0)

    def cost(self, miles: float) -> float:
        """Freight cost in USD for one load over `miles`."""
        return self.rate_per_mile * miles

    @classmethod
    def of(cls, offer: CarrierLane, capacity_loads: int, on_time_prob: float | None = None) -> "CarrierOption":
        """A contract offer with the capacity left and its on-time probability (the lane history unless given)."""
        return cls(
            carrier=offer.carrier,
            lane=offer.lane,
            rate_per_mile=offer.rate_per_mile,
            on_time_prob=offer.on_time_rate if on_time_prob is None else on_time_prob,
            capacity_loads=capacity_loads,
        )


class ScoreWeights(BaseModel):
    """How much each criterion counts in the score; each description gives that criterion's component."""

    cost: float = Field(default=0.5, ge=0, description="component: cheapest option's cost / this cost")
    on_time: float = Field(default=0.4, ge=0, description="component: the predicted on-time probability")
    capacity: float = Field(default=0.1, ge=0, description="component: remaining loads / the most any option has")
    co2: float = Field(default=0.0, ge=0, description="component: lowest option's CO2 / this CO2")

    @model_validator(mode="after")
    def _check_positive(self) -> "ScoreWeights":
        """At least one criterion must count."""
        if self.cost + self.on_time + self.capacity + self.co2 <= 0:
            raise ValueError("at least one weight must be positive")
        return self


class ScoredCarrier(BaseModel):
    """A carrier in the ranking, with its per-criterion components (0..1, 1 is best) and its score."""

    carrier: str
    cost_usd: float
    on_time_prob: float
    capacity_loads: int
    co2_kg: float | None
    components: dict[str, float]
    score: float


class RejectedOption(BaseModel):
    """A carrier not chosen, and why, compared with the one chosen."""

    carrier: str
    why: str


class CarrierRanking(BaseModel):
    """Carriers with capacity on a lane, best first, the ones passed over and the evidence."""

    lane: str
    miles: float
    ranking: list[ScoredCarrier]
    chosen: str | None
    rejected: list[RejectedOption]
    evidence: Evidence


def carrier_evidence(source: Source, inputs: dict[str, Any], facts: dict[str, Any], drivers: list[Driver]) -> Evidence:
    """Evidence for a carrier result, its id derived from the inputs."""
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]
    return Evidence(id=f"{source.tool}-{digest}", source=source, inputs=inputs, facts=facts, drivers=drivers)


def why_not(option: CarrierOption, chosen: CarrierOption, miles: float) -> str:
    """How an option compares with the chosen one, e.g. `12% costlier, on-time 0.81 vs 0.93`."""
    change = round(100 * (option.cost(miles) / chosen.cost(miles) - 1))
    parts = [
        f"{abs(change)}% {'costlier' if change > 0 else 'cheaper'}" if change else "same cost",
        f"on-time {option.on_time_prob:.2f} vs {chosen.on_time_prob:.2f}",
    ]
    if option.co2_kg_per_mile is not None and chosen.co2_kg_per_mile is not None:
        parts.append(f"CO2 {option.co2_kg_per_mile * miles:.0f} vs {chosen.co2_kg_per_mile * miles:.0f} kg")
    return ", ".join(parts)


def _co2(option: CarrierOption) -> float:
    """An option's CO2 per mile, which a positive co2 weight needs (ValueError when it is not stated)."""
    if option.co2_kg_per_mile is None:
        raise ValueError("a positive co2 weight needs co2_kg_per_mile on every option")
    return option.co2_kg_per_mile


def _score(options: list[CarrierOption], miles: float, weights: ScoreWeights) -> list[ScoredCarrier]:
    """Score options (all with capacity) by the weighted components of `ScoreWeights`, best first."""
    cheapest = min(option.cost(miles) for option in options)
    largest = max(option.capacity_loads for option in options)
    scored = []
    for option in options:
        components = {
            "cost": cheapest / option.cost(miles),
            "on_time": option.on_time_prob,
            "capacity": option.capacity_loads / largest,
        }
        if weights.co2 > 0:
            components["co2"] = min(_co2(other) for other in options) / _co2(option)
        score = sum(getattr(weights, name) * value for name, value in components.items())
        total_weight = sum(getattr(weights, name) for name in components)
        co2 = None if option.co2_kg_per_mile is None else round(option.co2_kg_per_mile * miles, 3)
        scored.append(
            ScoredCarrier(
                carrier=option.carrier,
                cost_usd=round(option.cost(miles), 2),
                on_time_prob=option.on_time_prob,
                capacity_loads=option.capacity_loads,
                co2_kg=co2,
                components={name: round(value, 4) for name, value in components.items()},
                score=round(score / total_weight, 4),
            )
        )
    return sorted(scored, key=lambda carrier: (-carrier.score, carrier.carrier))


def rank_carriers(options: list[CarrierOption], miles: float, weights: ScoreWeights | None = None) -> CarrierRanking:
    """Rank the carriers offering one lane; carriers with no capacity left are rejected outright."""
    weights = weights or ScoreWeights()
    lanes, carriers = {option.lane for option in options}, {option.carrier for option in options}
    if len(lanes) != 1 or len(carriers) != len(options) or miles <= 0:
        raise ValueError("rank distinct carriers of exactly one lane over a positive distance")
    if weights.co2 > 0 and any(option.co2_kg_per_mile is None for option in options):
        raise ValueError("a positive co2 weight needs co2_kg_per_mile on every option")
    available = [option for option in options if option.capacity_loads > 0]
    ranking = _score(available, miles, weights) if available else []
    by_carrier = {option.carrier: option for option in options}
    chosen = by_carrier[ranking[0].carrier] if ranking else None
    rejected = (
        [
            RejectedOption(
                carrier=scored.carrier,
                why=f"{why_not(by_carrier[scored.carrier], chosen, miles)}, "
                f"score {scored.score:.2f} vs {ranking[0].score:.2f}",
            )
            for scored in ranking[1:]
        ]
        if chosen
        else []
    )
    rejected += [
        RejectedOption(carrier=option.carrier, why="no capacity left")
        for option in sorted(options, key=lambda o: o.carrier)
        if option.capacity_loads == 0
    ]
    lane, chosen_carrier = lanes.pop(), chosen and chosen.carrier
    inputs = {
        "lane": lane,
        "miles": miles,
        "options": [o.model_dump() for o in options],
        "weights": weights.model_dump(),
    }
    facts = {
        "chosen": chosen_carrier,
        "ranking": [s.model_dump() for s in ranking],
        "rejected": [f"{r.carrier}: {r.why}" for r in rejected],
    }
    drivers = (
        [
            Driver(feature=name, value=value, contribution=round(getattr(weights, name) * value, 4))
            for name, value in ranking[0].components.items()
        ]
        if ranking
        else []
    )
    source = Source(tool="carrier_ranking", model="weighted-score", version=SCORE_VERSION)
    evidence = carrier_evidence(source, inputs, facts, drivers)
    return CarrierRanking(
        lane=lane, miles=miles, ranking=ranking, chosen=chosen_carrier, rejected=rejected, evidence=evidence
    )
