"""The routing specialist's tender plan: before a day starts, every lane's expected carrier loads per customer tier are
given to carriers at the least expected freight and late penalties, instead of the usual draw among the lane's
carriers."""

import math
from datetime import date

from sqlmodel import select

from agents import tradeoffs
from agents.explain import format_number, format_usd
from agents.proposal import PlanOption, Proposal, compare_plans, decided, needs_info
from agents.schemas import Claim, Impact
from agents.toolbox import Toolbox
from agents.twin_facts import lookup, rates
from tools import costs, tenders
from tools.evidence import Evidence
from twin import actions as a
from twin import models as m
from twin import store, tradeoff

TIERS = ("gold", "silver", "standard")
PRIOR_SHIPMENTS = 20  # shrinkage of a carrier's lane history, as the late-risk baseline uses
EDGE = 0.01  # on-time rates are kept this far from 0 and 1 so their log-odds stay finite
TENDER_RATES = [f"late_penalty_usd_{tier}" for tier in TIERS] + ["co2_usd_per_kg"]


def _shrunk_on_time(offers: list[m.CarrierLane]) -> dict[tuple[str, str], float]:
    """Each carrier's on-time rate on a lane, shrunk towards the lane's rate by `PRIOR_SHIPMENTS` of history, so that
    a carrier with a few lucky deliveries does not win the lane."""
    lanes: dict[str, list[m.CarrierLane]] = {}
    for offer in offers:
        lanes.setdefault(offer.lane, []).append(offer)
    shrunk = {}
    for lane, serving in lanes.items():
        count = sum(offer.shipments for offer in serving)
        lane_rate = sum(o.on_time_rate * o.shipments for o in serving) / count if count else None
        for offer in serving:
            prior = offer.on_time_rate if lane_rate is None else lane_rate
            shrunk[offer.carrier, lane] = round(
                _shrink(offer.shipments, offer.on_time_rate * offer.shipments, prior), 4
            )
    return shrunk


def _shrink(count: float, on_time: float, prior: float) -> float:
    """The on-time rate of `count` deliveries, `on_time` of them on time, shrunk towards `prior` by `PRIOR_SHIPMENTS`
    of history."""
    return (on_time + PRIOR_SHIPMENTS * prior) / (count + PRIOR_SHIPMENTS)


def _log_odds(p: float) -> float:
    """The log-odds of a probability kept off 0 and 1."""
    p = min(1 - EDGE, max(EDGE, p))
    return math.log(p / (1 - p))


def tier_on_time(
    lane_rates: dict[tuple[str, str], float], counts: dict[tuple[str, str], tuple[int, int]]
) -> dict[tuple[str, str], dict[str, float]]:
    """Each carrier's on-time probability on a lane per customer tier: its lane rate moved, in log-odds, by how much
    the lane's deliveries to the tier (shrunk towards the lane's) beat or miss the lane's; a gold promise leaves less
    slack, so every carrier is late more often for gold. `counts` are (delivered, on time) per lane and tier."""
    lanes: dict[str, list[int]] = {}
    for (lane, _tier), (count, on_time) in counts.items():
        totals = lanes.setdefault(lane, [0, 0])
        totals[0] += count
        totals[1] += on_time
    by_tier: dict[tuple[str, str], dict[str, float]] = {}
    for (carrier, lane), rate in lane_rates.items():
        if not lanes.get(lane, [0])[0]:
            continue
        lane_rate = lanes[lane][1] / lanes[lane][0]
        shifts = {
            tier: _log_odds(_shrink(*counts.get((lane, tier), (0, 0)), lane_rate)) - _log_odds(lane_rate)
            for tier in TIERS
        }
        by_tier[carrier, lane] = {
            tier: round(1 / (1 + math.exp(-(_log_odds(rate) + shift))), 4) for tier, shift in shifts.items()
        }
    return by_tier


def _problem(
    tb: Toolbox, day: date, requested: tenders.TradeOff | None
) -> tuple[tenders.TenderProblem, list[Evidence]] | None:
    """The day's expected loads per lane and tier with the trade-off in force for each, the carriers' offers and
    daily capacity, from the twin."""
    with tb.session() as session:
        expected = store.daily_lane_tier_loads(session, day)
        offers = store.carrier_lanes(session)
        fleet = {carrier.code: carrier for carrier in session.exec(select(m.Carrier)).all()}
        lanes = {lane.code: lane for lane in session.exec(select(m.Lane)).all()}
        price = rates(session)
        rules = tradeoff.in_force(session)
        delivered = store.lane_tier_on_time(session)
    used: list[m.TradeOffRule] = []
    demand = []
    for (lane, tier), loads in sorted(expected.items()):
        if lane not in lanes or not round(loads, 1):
            continue
        rule = tradeoff.applying(rules, tier, lane)
        used.append(rule)
        demand.append(
            tenders.LaneDemand(
                lane=lane,
                tier=tier,
                loads=round(loads, 1),
                miles=lanes[lane].distance_miles,
                late_penalty_usd=costs.late_penalty(price, tier),
                weights=requested or tenders.TradeOff(on_time=rule.on_time, co2=rule.co2),
            )
        )
    if not demand:
        return None
    on_time = _shrunk_on_time(offers)
    by_tier = tier_on_time(on_time, delivered)
    problem = tenders.TenderProblem(
        demand=demand,
        offers=[
            tenders.TenderOffer(
                carrier=offer.carrier,
                lane=offer.lane,
                rate_per_mile=offer.rate_per_mile,
                on_time_prob=on_time[offer.carrier, offer.lane],
                on_time_by_tier=by_tier.get((offer.carrier, offer.lane), {}),
                co2_kg_per_mile=fleet[offer.carrier].co2_kg_per_mile,
                lane_loads=tenders.daily_loads(offer.capacity_per_week),
            )
            for offer in offers
            if offer.lane in {need.lane for need in demand}
        ],
        carrier_loads={code: tenders.daily_loads(carrier.capacity_per_week) for code, carrier in fleet.items()},
        co2_usd_per_kg=price["co2_usd_per_kg"],
    )
    return problem, [price.evidence(TENDER_RATES), tradeoffs.cited(used, requested)]


def _option(name: str, day: date, totals: tenders.PlanTotals, allocations: list[tenders.Allocation], floor: float):
    """One way to tender the day, priced from the cheapest possible freight (`floor`): a plan's cost is its freight
    above that floor; its expected penalty is its weighted lateness and CO2. The usual draw has no action, so its
    freight above the floor is part of what it is expected to cost."""
    extra = round(totals.freight_usd - floor, 2)
    weighted = round(totals.objective_usd - totals.freight_usd, 2)
    if not allocations:
        return PlanOption(name=name, expected_penalty_usd=extra + weighted, impact=_impact(totals))
    plan = a.PlanTenders(
        params=a.PlanTendersParams(
            day=day,
            allocations=[a.TenderAllocation(**x.model_dump()) for x in allocations],
            cost_usd=extra,
        )
    )
    return PlanOption(
        name=name,
        actions=[plan],
        expected_penalty_usd=weighted,
        impact=_impact(totals),
        feasible=totals.feasible,
        infeasible_reason=totals.why_not,
    )


def _impact(totals: tenders.PlanTotals) -> Impact:
    """The loads' expected freight, late loads and CO2 under one way of tendering."""
    return Impact.model_validate(
        {"freight_usd": totals.freight_usd, "expected_late_loads": totals.expected_late_loads, "co2_kg": totals.co2_kg}
    )


def _rule_allocations(problem: tenders.TenderProblem, rule: str) -> list[tenders.Allocation]:
    """Whole-load allocations of a simple rule (every load of a lane to its cheapest or most punctual carrier)."""
    return [
        tenders.Allocation(lane=lane, tier=tier, carrier=carrier, loads=round(loads, 1))
        for (lane, tier, carrier), loads in sorted(tenders.rule_shares(problem, rule).items())
        if round(loads, 1)
    ]


def _findings(
    day: date,
    problem: tenders.TenderProblem,
    plan: tenders.TenderPlan,
    weighed: Evidence,
    floor: float,
    comparison: str,
) -> list[Claim]:
    """The day's loads and the usual draw, what CP-SAT tenders, the trade-off weighed and the floor costs count from."""
    loads = round(sum(need.loads for need in problem.demand), 1)
    usual = plan.alternatives[0]
    return [
        Claim(
            text=f"{format_number(loads)} carrier loads are expected on {day} across {len(problem.demand)} lanes "
            f"and tiers; the usual draw among each lane's carriers would pay {format_usd(usual.freight_usd)} freight "
            f"with {format_number(usual.expected_late_loads)} expected late loads.",
            evidence_ids=[plan.evidence.id, comparison],
        ),
        Claim(
            text=f"CP-SAT tenders them for {format_usd(plan.totals.freight_usd)} freight with "
            f"{format_number(plan.totals.expected_late_loads)} expected late loads and "
            f"{format_number(plan.totals.co2_kg)} kg CO2, within every carrier's daily capacity.",
            evidence_ids=[plan.evidence.id, comparison],
        ),
        tradeoffs.claim(weighed),
        Claim(
            text=f"Costs count from the cheapest possible tender of the day, {format_usd(floor)} freight: a plan's "
            "cost is the freight it pays above that, its expected penalty the weighted lateness and CO2.",
            evidence_ids=[comparison],
        ),
    ]


def plan_day(tb: Toolbox, day: date, weights: tenders.TradeOff | None = None) -> Proposal:
    """The tender plan for a day's new carrier shipments under the architect's trade-off in force (or the weights
    given), compared with the usual draw and the simple rules."""
    built = _problem(tb, day, weights)
    found = lookup("tender_plan", day.isoformat(), None)
    if built is None:
        return needs_info("routing", [], f"No carrier loads are expected on {day}.", found, status="no_action")
    problem, (rate_record, weighed) = built
    plan = tenders.plan_tenders(problem)
    usual, cheapest, punctual = plan.alternatives
    floor = min(total.freight_usd for total in (plan.totals, *plan.alternatives))
    options = [
        _option("tender plan", day, plan.totals, plan.allocations, floor),
        _option("no action", day, usual, [], floor),
        _option(cheapest.name, day, cheapest, _rule_allocations(problem, "cheapest"), floor),
        _option(punctual.name, day, punctual, _rule_allocations(problem, "punctual"), floor),
    ]
    planned, idle = options[0], options[1]
    saving = max(0.0, round(idle.expected_total_usd - planned.expected_total_usd, 2))
    options[0] = planned.model_copy(update={"impact": planned.impact.model_copy(update={"saving_usd": saving})})
    loads = round(sum(need.loads for need in problem.demand), 1)
    confidence = 1 - plan.totals.expected_late_loads / max(1, loads)
    chosen, alternatives, comparison = compare_plans(
        f"tenders-{day}",
        options,
        confidence,
        {
            "day": day.isoformat(),
            "loads": loads,
            "lanes_and_tiers": len(problem.demand),
            "floor_freight_usd": floor,
            "why_infeasible": {total.name: total.why_not for total in plan.alternatives if total.why_not},
        },
    )
    findings = _findings(day, problem, plan, weighed, floor, comparison.id)
    return decided(
        "routing",
        chosen,
        alternatives,
        comparison,
        [rate_record, weighed, plan.evidence, tb.guidance(f"daily tender plan of {day}", "tender_plan")],
        findings,
        f"Chosen: {chosen.name} for {day}.",
        confidence,
    )
