"""Carrier selection: rank a lane's carriers by score = sum(weight x component) / sum(weights), each component
in 0..1 with 1 the best (see `ScoreWeights`), and assign competing loads to carriers with CP-SAT."""

import hashlib
import json
from collections import defaultdict
from typing import Any

import ortools
from ortools.sat.python import cp_model
from pydantic import BaseModel, Field, model_validator

from tools.cpsat import solve
from tools.evidence import Driver, Evidence, Source
from twin.models import CarrierLane

SCORE_VERSION = "1"
CENTS = 100


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


class Load(BaseModel):
    """A load to tender on a lane."""

    load_id: str
    lane: str
    miles: float = Field(gt=0)


class AssignmentProblem(BaseModel):
    """Loads competing for carriers' remaining capacity, with the price of lateness and of leaving a load open."""

    loads: list[Load]
    options: list[CarrierOption]
    late_penalty: float = Field(default=500.0, ge=0, description="USD per expected late load")
    unassigned_penalty: float = Field(default=10_000.0, gt=0, description="USD per load left without a carrier")

    @model_validator(mode="after")
    def _check_consistent(self) -> "AssignmentProblem":
        """Load ids and (carrier, lane) offers are unique; a carrier's remaining capacity is one number."""
        load_ids, offers = [load.load_id for load in self.loads], [(o.carrier, o.lane) for o in self.options]
        if len(set(load_ids)) != len(load_ids) or len(set(offers)) != len(offers):
            raise ValueError("each load id and each (carrier, lane) offer must appear once")
        capacity: dict[str, set[int]] = defaultdict(set)
        for option in self.options:
            capacity[option.carrier].add(option.capacity_loads)
        if any(len(values) > 1 for values in capacity.values()):
            raise ValueError("each carrier needs the same capacity_loads on all its options")
        return self


class AssignedLoad(BaseModel):
    """The carrier one load goes to (None if left open), its cost and lateness, and the carriers passed over."""

    load_id: str
    lane: str
    carrier: str | None
    cost_usd: float
    on_time_prob: float | None
    rejected: list[RejectedOption]


class LoadAssignment(BaseModel):
    """The solved assignment per load, the totals and the evidence.

    The evidence drivers are the carriers whose full capacity turned loads away, each with the USD
    those loads pay over what that carrier would have cost them.
    """

    loads: list[AssignedLoad]
    unassigned: list[str]
    freight_cost_usd: float
    expected_late_loads: float
    objective_usd: float
    status: str
    evidence: Evidence


def _evidence(source: Source, inputs: dict[str, Any], facts: dict[str, Any], drivers: list[Driver]) -> Evidence:
    """Evidence for a carrier result, its id derived from the inputs."""
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]
    return Evidence(id=f"{source.tool}-{digest}", source=source, inputs=inputs, facts=facts, drivers=drivers)


def _why_not(option: CarrierOption, chosen: CarrierOption, miles: float) -> str:
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
                why=f"{_why_not(by_carrier[scored.carrier], chosen, miles)}, "
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
    evidence = _evidence(source, inputs, facts, drivers)
    return CarrierRanking(
        lane=lane, miles=miles, ranking=ranking, chosen=chosen_carrier, rejected=rejected, evidence=evidence
    )


def _objective(option: CarrierOption, load: Load, late_penalty: float) -> float:
    """USD one load adds to the assignment objective with this carrier: freight plus priced lateness."""
    return option.cost(load.miles) + late_penalty * (1 - option.on_time_prob)


def _solve(
    problem: AssignmentProblem, by_lane: dict[str, list[CarrierOption]], time_limit_s: float
) -> tuple[dict[str, CarrierOption | None], str]:
    """The CP-SAT model: each load exactly one carrier or left open, carrier capacities, min total cost."""
    model = cp_model.CpModel()
    picks: dict[tuple[str, str], cp_model.IntVar] = {}
    terms, capacity_use = [], defaultdict(list)
    for load in problem.loads:
        left_open = model.new_bool_var(f"open {load.load_id}")
        terms.append(round(CENTS * problem.unassigned_penalty) * left_open)
        for option in by_lane[load.lane]:
            pick = picks[load.load_id, option.carrier] = model.new_bool_var(f"{load.load_id} {option.carrier}")
            terms.append(round(CENTS * _objective(option, load, problem.late_penalty)) * pick)
            capacity_use[option.carrier].append(pick)
        model.add_exactly_one([left_open, *(picks[load.load_id, o.carrier] for o in by_lane[load.lane])])
    for option in problem.options:
        model.add(sum(capacity_use[option.carrier]) <= option.capacity_loads)
    model.minimize(sum(terms))
    solver, status = solve(model, time_limit_s, "load assignment")
    chosen = {
        load.load_id: next((o for o in by_lane[load.lane] if solver.value(picks[load.load_id, o.carrier])), None)
        for load in problem.loads
    }
    return chosen, status


def _assigned(
    problem: AssignmentProblem,
    load: Load,
    pick: CarrierOption | None,
    lane_options: list[CarrierOption],
    taken: dict[str, list[str]],
    displaced_cost: dict[str, float],
) -> AssignedLoad:
    """A load with its carrier (or none) and why each other carrier of its lane lost; what a full carrier would have
    saved on it is added to `displaced_cost`."""
    rejected: list[RejectedOption] = []
    pick_cost = _objective(pick, load, problem.late_penalty) if pick else problem.unassigned_penalty
    for option in lane_options:
        if option is pick:
            continue
        option_cost = _objective(option, load, problem.late_penalty)
        full = len(taken[option.carrier]) >= option.capacity_loads
        reasons = [_why_not(option, pick, load.miles)] if pick else []
        if not pick and not full:
            reasons.append(f"{option_cost:.2f} USD with lateness vs {pick_cost:.2f} USD to leave the load open")
        if full:
            went_to = ", ".join(taken[option.carrier])
            reasons.append(f"no capacity left (its loads went to {went_to})" if went_to else "no capacity left")
            displaced_cost[option.carrier] += max(0.0, pick_cost - option_cost)
        rejected.append(RejectedOption(carrier=option.carrier, why="; ".join(reasons)))
    return AssignedLoad(
        load_id=load.load_id,
        lane=load.lane,
        carrier=pick and pick.carrier,
        cost_usd=round(pick.cost(load.miles), 2) if pick else 0.0,
        on_time_prob=pick and pick.on_time_prob,
        rejected=rejected,
    )


def assign_loads(problem: AssignmentProblem, time_limit_s: float = 10.0) -> LoadAssignment:
    """Give each load one carrier or none, minimising freight + late_penalty x expected late loads + open loads."""
    by_lane: dict[str, list[CarrierOption]] = defaultdict(list)
    for option in sorted(problem.options, key=lambda o: o.carrier):
        by_lane[option.lane].append(option)
    chosen, status = _solve(problem, by_lane, time_limit_s)
    taken: dict[str, list[str]] = defaultdict(list)
    for load_id, option in chosen.items():
        if option:
            taken[option.carrier].append(load_id)

    assigned, displaced_cost = [], defaultdict(float)
    for load in problem.loads:
        assigned.append(_assigned(problem, load, chosen[load.load_id], by_lane[load.lane], taken, displaced_cost))

    unassigned = [a.load_id for a in assigned if a.carrier is None]
    freight = round(sum(a.cost_usd for a in assigned), 2)
    expected_late = round(sum(1 - a.on_time_prob for a in assigned if a.on_time_prob is not None), 4)
    objective = round(
        sum(
            _objective(pick, load, problem.late_penalty)
            if (pick := chosen[load.load_id])
            else problem.unassigned_penalty
            for load in problem.loads
        ),
        2,
    )
    facts = {
        "assignments": {a.load_id: a.carrier for a in assigned},
        "unassigned": unassigned,
        "freight_cost_usd": freight,
        "expected_late_loads": expected_late,
        "objective_usd": objective,
        "rejected": {a.load_id: [f"{r.carrier}: {r.why}" for r in a.rejected] for a in assigned},
        "status": status,
    }
    capacity = {option.carrier: option.capacity_loads for option in problem.options}
    drivers = [
        Driver(feature=f"capacity {carrier}", value=capacity[carrier], contribution=round(cost, 2))
        for carrier, cost in sorted(displaced_cost.items())
        if cost > 0
    ]
    evidence = _evidence(
        Source(tool="carrier_assignment", model="ortools-cp-sat", version=ortools.__version__),
        problem.model_dump(),
        facts,
        drivers,
    )
    return LoadAssignment(
        loads=assigned,
        unassigned=unassigned,
        freight_cost_usd=freight,
        expected_late_loads=expected_late,
        objective_usd=objective,
        status=status,
        evidence=evidence,
    )
