"""The tender plan: a day's expected carrier loads per lane and customer tier, given to carriers by CP-SAT under
each carrier's daily capacity, at the least weighted sum of freight, priced lateness and CO2."""

import hashlib
import json
import math
from collections import defaultdict
from typing import Annotated

from ortools.sat.python import cp_model
from pydantic import BaseModel, Field, model_validator

from tools.cpsat import solve
from tools.evidence import Driver, Evidence, Source

PLAN_VERSION = "2"
CENTS = 100
TENTHS = 10  # the plan splits expected loads in tenths: a lane with 0.4 loads a day still gets its carrier
OPEN_LOAD_USD = 10_000.0  # a load the plan cannot place is left to the day's usual tender, priced as a worst case


class TradeOff(BaseModel):
    """How the plan weighs lateness and CO2 against freight: each weight is the USD of freight that one USD of the
    term is worth (1 counts expected late penalties and priced CO2 at face value, 2 twice, 0 ignores them)."""

    on_time: float = Field(default=1.0, ge=0, le=10, description="weight of expected late-penalty USD")
    co2: float = Field(default=0.0, ge=0, le=10, description="weight of CO2 priced at the CO2 rate")


class LaneDemand(BaseModel):
    """The carrier loads expected on a lane for customers of one tier in the planned day."""

    lane: str
    tier: str
    loads: float = Field(ge=0, description="expected loads in the day (an average, so often a fraction)")
    miles: float = Field(gt=0)
    late_penalty_usd: float = Field(ge=0, description="USD of one late delivery to this tier")
    weights: TradeOff | None = Field(None, description="the trade-off for these loads, if not the problem's")


class TenderOffer(BaseModel):
    """A carrier's offer on a lane: its rate, on-time probability, CO2 and the loads it can take in the day."""

    carrier: str
    lane: str
    rate_per_mile: float = Field(gt=0)
    on_time_prob: float = Field(ge=0, le=1, description="the carrier's on-time rate on the lane, all tiers together")
    on_time_by_tier: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict,
        description="on-time probability of a load per customer tier (a tight promise is late more often); "
        "a tier missing here takes the lane's rate",
    )
    co2_kg_per_mile: float = Field(gt=0)
    lane_loads: int = Field(ge=0, description="loads a day the carrier takes on this lane")

    def on_time(self, tier: str) -> float:
        """The probability that a load for a customer of the tier arrives on time with this carrier."""
        return self.on_time_by_tier.get(tier, self.on_time_prob)


class TenderProblem(BaseModel):
    """The planned day's demand, the offers, each carrier's loads a day across lanes, and the trade-off."""

    demand: list[LaneDemand]
    offers: list[TenderOffer]
    carrier_loads: dict[str, int] = Field(description="loads a day each carrier takes across all its lanes")
    weights: TradeOff = Field(default_factory=TradeOff, description="the trade-off of loads that carry none")
    co2_usd_per_kg: float = Field(ge=0)
    gold_min_on_time: float = Field(
        default=0.85,
        ge=0,
        le=1,
        description="gold loads skip carriers below this on-time rate where another serves the lane",
    )

    def serving(self, need: LaneDemand) -> list[TenderOffer]:
        """The offers a lane's loads of one tier may go to (gold skips carriers below its on-time floor)."""
        offers = [offer for offer in self.offers if offer.lane == need.lane]
        punctual = [offer for offer in offers if offer.on_time_prob >= self.gold_min_on_time]
        return punctual if need.tier == "gold" and punctual else offers

    @model_validator(mode="after")
    def _check_offers(self) -> "TenderProblem":
        """Every lane with demand has an offer, and every offering carrier a daily capacity."""
        lanes = {offer.lane for offer in self.offers}
        missing = sorted({d.lane for d in self.demand if d.loads} - lanes)
        if missing:
            raise ValueError(f"no carrier offers on {', '.join(missing)}")
        unknown = sorted({offer.carrier for offer in self.offers} - set(self.carrier_loads))
        if unknown:
            raise ValueError(f"no daily capacity for {', '.join(unknown)}")
        return self


class Allocation(BaseModel):
    """Loads of one lane and tier given to one carrier."""

    lane: str
    tier: str
    carrier: str
    loads: float = Field(description="expected loads, in tenths")


class PlanTotals(BaseModel):
    """Expected freight, late loads, late penalties, CO2 and weighted objective of one way to tender the day."""

    name: str
    freight_usd: float
    expected_late_loads: float
    late_penalty_usd: float
    co2_kg: float
    objective_usd: float
    feasible: bool = True
    why_not: str | None = None


class TenderPlan(BaseModel):
    """The solved allocation, its totals, the ways of tendering it beat, and the evidence."""

    allocations: list[Allocation]
    unplaced_loads: float
    totals: PlanTotals
    alternatives: list[PlanTotals]
    status: str
    evidence: Evidence


def _unit_terms(offer: TenderOffer, demand: LaneDemand, price_co2: float) -> tuple[float, float, float]:
    """Freight, expected late penalty and CO2 USD of one load of `demand` with `offer`."""
    freight = offer.rate_per_mile * demand.miles
    late = (1 - offer.on_time(demand.tier)) * demand.late_penalty_usd
    return freight, late, offer.co2_kg_per_mile * demand.miles * price_co2


def _weighted(terms: tuple[float, float, float], weights: TradeOff) -> float:
    """The objective USD of a load's three terms under the trade-off."""
    freight, late, co2 = terms
    return freight + weights.on_time * late + weights.co2 * co2


def _totals(
    name: str, problem: TenderProblem, shares: dict[tuple[str, str, str], float], unplaced: float = 0.0
) -> PlanTotals:
    """Totals of tendering the demand by `shares` (loads per lane, tier and carrier, possibly fractional)."""
    offers = {(o.lane, o.carrier): o for o in problem.offers}
    demand = {(d.lane, d.tier): d for d in problem.demand}
    freight = late_loads = penalty = co2 = objective = 0.0
    used: dict[str, float] = defaultdict(float)
    on_lane: dict[tuple[str, str], float] = defaultdict(float)
    for (lane, tier, carrier), loads in shares.items():
        used[carrier] += loads
        on_lane[lane, carrier] += loads
        offer, need = offers[lane, carrier], demand[lane, tier]
        terms = _unit_terms(offer, need, problem.co2_usd_per_kg)
        freight += loads * terms[0]
        late_loads += loads * (1 - offer.on_time(tier))
        penalty += loads * terms[1]
        co2 += loads * offer.co2_kg_per_mile * need.miles
        objective += loads * _weighted(terms, need.weights or problem.weights)
    over = sorted(c for c, loads in used.items() if loads > problem.carrier_loads[c] + 1e-9)
    reasons = [f"over the day's capacity of {', '.join(over)}"] if over else []
    full = sorted(f"{c} on {lane}" for (lane, c), loads in on_lane.items() if loads > offers[lane, c].lane_loads + 1e-9)
    if full:
        reasons.append(f"over the day's lane capacity of {', '.join(full)}")
    skipped = {
        lane
        for (lane, tier, carrier), loads in shares.items()
        if loads and offers[lane, carrier] not in problem.serving(demand[lane, tier])
    }
    if skipped:
        reasons.append(f"gold loads under the gold on-time floor on {len(skipped)} lanes")
    return PlanTotals(
        name=name,
        freight_usd=round(freight, 2),
        expected_late_loads=round(late_loads, 2),
        late_penalty_usd=round(penalty, 2),
        co2_kg=round(co2, 1),
        objective_usd=round(objective + unplaced * OPEN_LOAD_USD, 2),
        feasible=not reasons,
        why_not="; ".join(reasons) or None,
    )


def rule_shares(problem: TenderProblem, pick: str) -> dict[tuple[str, str, str], float]:
    """Loads per lane, tier and carrier under a simple rule: `random` (the usual draw among the lane's carriers),
    `cheapest` or `punctual` (the most punctual carrier of the lane for the tier)."""
    shares: dict[tuple[str, str, str], float] = defaultdict(float)
    for need in problem.demand:
        offers = [offer for offer in problem.offers if offer.lane == need.lane]
        if pick == "random":
            for offer in offers:
                shares[need.lane, need.tier, offer.carrier] += need.loads / len(offers)
            continue
        cheapest, tier = pick == "cheapest", need.tier
        best = min(offers, key=lambda o: (o.rate_per_mile if cheapest else -o.on_time(tier), o.carrier))
        shares[need.lane, need.tier, best.carrier] += need.loads
    return shares


def _solve(problem: TenderProblem, time_limit_s: float) -> tuple[dict[tuple[str, str, str], float], float, str]:
    """The CP-SAT model: tenths of loads per lane, tier and carrier; every load placed or left open; capacities."""
    model = cp_model.CpModel()
    picks: dict[tuple[str, str, str], cp_model.IntVar] = {}
    by_carrier: dict[str, list[cp_model.IntVar]] = defaultdict(list)
    by_offer: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    terms, open_vars = [], []
    for need in problem.demand:
        placed, tenths = [], round(TENTHS * need.loads)
        for offer in problem.serving(need):
            var = model.new_int_var(0, tenths, f"{need.lane} {need.tier} {offer.carrier}")
            picks[need.lane, need.tier, offer.carrier] = var
            by_carrier[offer.carrier].append(var)
            by_offer[offer.lane, offer.carrier].append(var)
            unit = _weighted(_unit_terms(offer, need, problem.co2_usd_per_kg), need.weights or problem.weights)
            terms.append(round(CENTS * unit) * var)
            placed.append(var)
        left = model.new_int_var(0, tenths, f"{need.lane} {need.tier} open")
        open_vars.append(left)
        terms.append(round(CENTS * OPEN_LOAD_USD) * left)
        model.add(sum(placed) + left == tenths)
    for carrier, variables in by_carrier.items():
        model.add(sum(variables) <= TENTHS * problem.carrier_loads[carrier])
    for offer in problem.offers:
        model.add(sum(by_offer[offer.lane, offer.carrier]) <= TENTHS * offer.lane_loads)
    model.minimize(sum(terms))
    solver, status = solve(model, time_limit_s, "tender plan")
    chosen = {key: solver.value(var) / TENTHS for key, var in picks.items() if solver.value(var)}
    return chosen, sum(solver.value(var) for var in open_vars) / TENTHS, status


def plan_tenders(problem: TenderProblem, time_limit_s: float = 5.0) -> TenderPlan:
    """Tender the day's expected loads at the least weighted cost; compare with the usual random draw, the cheapest
    and the most punctual carrier per lane."""
    chosen, unplaced, status = _solve(problem, time_limit_s)
    totals = _totals("tender plan", problem, chosen, unplaced)
    alternatives = [
        _totals(name, problem, rule_shares(problem, rule))
        for name, rule in (
            ("usual tender (random among the lane's carriers)", "random"),
            ("cheapest carrier per lane", "cheapest"),
            ("most punctual carrier per lane", "punctual"),
        )
    ]
    allocations = [
        Allocation(lane=lane, tier=tier, carrier=carrier, loads=loads)
        for (lane, tier, carrier), loads in sorted(chosen.items())
    ]
    inputs = problem.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:12]
    usual = alternatives[0]
    evidence = Evidence(
        id=f"tender_plan-{digest}",
        source=Source(tool="tender_plan", model="cp-sat", version=PLAN_VERSION),
        inputs=inputs,
        facts={
            "allocations": [a.model_dump() for a in allocations],
            "unplaced_loads": unplaced,
            "totals": totals.model_dump(),
            "alternatives": [a.model_dump() for a in alternatives],
            "status": status,
        },
        drivers=[
            Driver(
                feature="freight USD vs usual tender",
                value=totals.freight_usd,
                contribution=round(totals.freight_usd - usual.freight_usd, 2),
            ),
            Driver(
                feature="late penalties USD vs usual tender",
                value=totals.late_penalty_usd,
                contribution=round(totals.late_penalty_usd - usual.late_penalty_usd, 2),
            ),
        ],
    )
    return TenderPlan(
        allocations=allocations,
        unplaced_loads=unplaced,
        totals=totals,
        alternatives=alternatives,
        status=status,
        evidence=evidence,
    )


def daily_loads(weekly: int) -> int:
    """Loads a day out of a weekly capacity, rounded up so that a small carrier still takes one."""
    return math.ceil(weekly / 7)
