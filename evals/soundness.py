"""Business-sense invariants every decision must hold, checked from the decision and its evidence alone (not by the
code that made it): plans add up, the cheapest plan wins unless a reason says otherwise, nothing is used twice, a
spike never lowers a reorder point, overdue means late, no cost is negative, transfers stay within the need, workshop
visits stay within bays and technician hours, and a day's forecast does not depend on the horizon asked."""

import re
from collections.abc import Callable
from datetime import date, datetime

import pandas as pd
from sqlmodel import Session

from agents.schemas import Alternative, Decision, Impact
from tools.evidence import Evidence
from tools.forecast import ForecastModel, forecast
from twin import actions as a
from twin import store
from twin.actions import Action

CENT = 0.011  # figures are rounded to cents: two sums may differ by one
UNIT = 1.0  # transfers are rounded to whole units
COSTLY = (
    a.ExpediteShipment,
    a.SwitchCarrier,
    a.NotifyCustomer,
    a.ExpeditePurchase,
    a.TransferStock,
    a.BookCarrier,
    a.BookSpot,
    a.TenderStops,
    a.ScheduleMaintenance,
)  # never free when taken
WHY_NOT = re.compile(r"expected total ([\d,]+\.\d\d) USD against ([\d,]+\.\d\d) USD for ([^;]+)(?:;|$)")


def _usd(text: str) -> float:
    """A figure written as `1,234.56`."""
    return float(text.replace(",", ""))


def _plan_cost(actions: list[Action]) -> float:
    """The sum of a plan's actions' costs."""
    return round(sum(action.params.cost_usd or 0.0 for action in actions), 2)


def _total(impact: Impact) -> float | None:
    """A plan's expected total (cost plus expected penalty), when stated."""
    return impact.expected_total_usd


def plan_cost_adds_up(decision: Decision, _now: datetime) -> str | None:
    """The decision's cost and each alternative's equal the sum of their actions' costs, hand-offs included."""
    plans = [("the chosen plan", decision.actions, decision.expected_impact)]
    plans += [
        (alternative.name, alternative.actions, alternative.expected_impact) for alternative in decision.alternatives
    ]
    wrong = [
        f"{name} states {impact.cost_usd} USD, its actions sum to {_plan_cost(actions)}"
        for name, actions, impact in plans
        if abs(impact.cost_usd - _plan_cost(actions)) > CENT
    ]
    return "; ".join(wrong) or None


def _figures(alternative: Alternative) -> tuple[float, float, str] | None:
    """The (alternative's total, chosen total, chosen name) a cost-based `why_not` states."""
    found = WHY_NOT.search(alternative.why_not)
    return (_usd(found[1]), _usd(found[2]), found[3]) if found else None


def _penalty_weight(decision: Decision) -> float | str:
    """The weight a decision's choice put on expected penalties (1 at face value), or what is wrong with it: a weight
    stated in the plan comparison must be the on-time weight of the one trade-off version the decision cites."""
    plans = next((r for r in decision.evidence if r.source.tool == "plan_comparison"), None)
    options = plans.facts.get("options", {}) if plans else {}
    stated = {option.get("penalty_weight", 1.0) for option in options.values()}
    if stated <= {1.0}:
        return 1.0
    cited = [r for r in decision.evidence if r.source.model == "tradeoff" and len(r.facts.get("rules", [])) == 1]
    in_force = {r.facts["rules"][0]["on_time"] for r in cited}
    if len(stated) > 1 or stated != in_force:
        return f"penalties weighted {sorted(stated)} against the cited trade-off's {sorted(in_force)}"
    return stated.pop()


def chosen_is_cheapest(decision: Decision, _now: datetime) -> str | None:
    """No alternative ruled out on cost has a lower expected total than the chosen plan, its expected penalty
    weighted as the trade-off the decision cites says."""
    weight = _penalty_weight(decision)
    if isinstance(weight, str):
        return weight

    def objective(impact: Impact) -> float | None:
        """Cost plus the weighted expected penalty, when the plan states its total."""
        total = _total(impact)
        return None if total is None else total + (weight - 1) * (impact.expected_penalty_usd or 0.0)

    chosen = objective(decision.expected_impact)
    if chosen is None or not decision.actions:
        return None
    cheaper = [
        alternative.name
        for alternative in decision.alternatives
        if _figures(alternative)
        and (total := objective(alternative.expected_impact)) is not None
        and total < chosen - CENT
    ]
    return f"cheaper alternatives rejected on cost: {', '.join(cheaper)}" if cheaper else None


def alternatives_carry_cost(decision: Decision, _now: datetime) -> str | None:
    """An alternative with actions that cost money shows that cost, never 0."""
    free = [
        f"{alternative.name} ({action.type})"
        for alternative in decision.alternatives
        for action in alternative.actions
        if isinstance(action, COSTLY) and not action.params.cost_usd
    ]
    free += [
        f"chosen plan ({action.type})"
        for action in decision.actions
        if isinstance(action, COSTLY) and not action.params.cost_usd
    ]
    return f"costly actions priced at 0: {', '.join(free)}" if free else None


def nothing_used_twice(decision: Decision, _now: datetime) -> str | None:
    """No truck both in the workshop and on a route today, no stop on two routes, no shipment given to two
    carriers, no stock moved twice on the same lane, no carrier booked twice for the same load."""
    problems = []
    workshop = {
        action.params.truck
        for action in decision.actions
        if isinstance(action, a.ScheduleMaintenance) and action.params.day == 0
    }
    for action in decision.actions:
        if isinstance(action, a.ReplanRoute):
            routes = action.params.routes
            driving = workshop & {route.truck for route in routes}
            problems += [f"{truck} is in the workshop and on a route today" for truck in sorted(driving)]
            stops = [stop for route in routes for stop in route.stops]
            problems += [f"stop {stop} is on two routes" for stop in sorted({s for s in stops if stops.count(s) > 1})]
    keys = [(action.type, _resource(action)) for action in decision.actions]
    problems += [f"{key[0]} appears twice for the same resource" for key in {k for k in keys if keys.count(k) > 1}]
    return "; ".join(problems) or None


def _resource(action: Action) -> tuple[str, ...]:
    """The resource an action uses up: its shipment, its stock leaving a DC, its truck, the DC day it re-plans or the
    lane it books."""
    match action:
        case a.SwitchCarrier(params=p) | a.NotifyCustomer(params=p) | a.ExpediteShipment(params=p):
            return (p.shipment_id,)
        case a.TransferStock(params=p):
            return (p.sku, p.from_, p.to)
        case a.ExpeditePurchase(params=p) | a.RaiseSafetyStock(params=p) | a.SetReorderPoint(params=p):
            return (p.sku, p.location)
        case a.ScheduleMaintenance(params=p):
            return (p.truck,)
        case a.ReplanRoute(params=p):
            return (p.dc, p.day.isoformat())
        case a.TenderStops(params=p):
            return (p.truck,) if p.truck else ()
        case a.BookCarrier(params=p):
            return (p.lane,)
        case _:
            return ()


def _records(decision: Decision, prefix: str) -> list[Evidence]:
    """The decision's evidence records whose id starts with a prefix."""
    return [record for record in decision.evidence if record.id.startswith(prefix)]


def spike_never_lowers_reorder_point(decision: Decision, _now: datetime) -> str | None:
    """A new reorder point is never below the one before the spike nor the one stored in the twin."""
    raises = [action for action in decision.actions if isinstance(action, a.RaiseSafetyStock)]
    if not raises:
        return None
    computed = sorted(_records(decision, "reorder_point:"), key=lambda record: record.id.rsplit(":", 1)[-1])
    lowest = min(action.params.reorder_point for action in raises)
    before = computed[0].facts["reorder_point_units"] if computed else 0.0  # the earliest forecast: before the spike
    stored = max((record.facts.get("reorder_point", 0) for record in _records(decision, "twin:inventory:")), default=0)
    if lowest + UNIT < max(before, stored):
        return f"reorder point set to {lowest}, below {max(before, stored)} before the spike"
    return None


def overdue_means_late(decision: Decision, now: datetime) -> str | None:
    """A shipment past its promised time and not delivered has P(late) 1."""
    shipments = {
        record.facts["id"]: record.facts for record in _records(decision, "twin:shipment:") if record.facts.get("found")
    }
    problems = []
    for record in _records(decision, "late-risk:"):
        facts = shipments.get(record.inputs.get("shipment_id"))
        if not facts or facts.get("status") == "delivered":
            continue
        if datetime.fromisoformat(facts["promised_at"].replace("Z", "+00:00")) < now and record.facts["p_late"] < 1:
            problems.append(f"{record.id} gives P(late) {record.facts['p_late']} to an overdue shipment")
    return "; ".join(problems) or None


def no_negative_cost(decision: Decision, _now: datetime) -> str | None:
    """No cost, penalty or total is negative, in the plan, its actions or its alternatives."""
    impacts = [decision.expected_impact, *(alternative.expected_impact for alternative in decision.alternatives)]
    values = [
        (name, value)
        for impact in impacts
        for name, value in impact.model_dump().items()
        if name.endswith("_usd") and isinstance(value, int | float)
    ]
    values += [
        (f"{action.type}.cost_usd", action.params.cost_usd or 0.0)
        for action in [*decision.actions, *(item for alt in decision.alternatives for item in alt.actions)]
    ]
    negative = [f"{name} {value}" for name, value in values if value < 0 or str(value) == "-0.0"]
    return f"negative costs: {', '.join(negative)}" if negative else None


def why_not_matches_plans(decision: Decision, _now: datetime) -> str | None:
    """The figures a `why_not` states equal the alternative's and the chosen plan's expected totals."""
    problems = []
    for alternative in decision.alternatives:
        figures = _figures(alternative)
        if figures is None:
            continue
        theirs, ours, _name = figures
        if abs(theirs - (_total(alternative.expected_impact) or 0.0)) > CENT:
            problems.append(
                f"{alternative.name}: why_not says {theirs}, its plan totals {_total(alternative.expected_impact)}"
            )
        if abs(ours - (_total(decision.expected_impact) or 0.0)) > CENT:
            problems.append(
                f"{alternative.name}: why_not compares with {ours}, the chosen plan totals "
                f"{_total(decision.expected_impact)}"
            )
    return "; ".join(problems) or None


def transfers_within_need(decision: Decision, _now: datetime) -> str | None:
    """Units moved into a DC stay within its need (forecast plus safety stock less stock and stock in transit) plus
    the safety stock, computed from the twin's and the models' records."""
    transfers = [action for action in decision.actions if isinstance(action, a.TransferStock)]
    if not transfers or _positioning(decision):
        return None  # a positioning plan's transfers answer to `positioning_keeps_safety_stock`
    position = _records(decision, "twin:inventory:")
    forecasts = [r for r in decision.evidence if r.source.tool == "forecast" and "total_units" in r.facts]
    safety = _records(decision, "safety_stock:")
    if not (position and forecasts and safety):
        return "a transfer without the stock position, forecast and safety stock it rests on"
    stock = position[0].facts
    demand = max(record.facts["total_units"] for record in forecasts)
    buffer = max(record.facts["safety_stock_units"] for record in safety)
    need = max(0.0, demand + buffer - (stock["on_hand"] - stock.get("allocated", 0)) - stock.get("in_transit", 0))
    moved = sum(action.params.qty for action in transfers)
    if moved > need + buffer + UNIT * len(transfers):
        return f"{moved} units moved for a need of {round(need, 1)} plus {round(buffer, 1)} safety stock"
    return None


def _positioning(decision: Decision) -> dict | None:
    """The positioning problem a decision's transfers rest on, if it is a positioning plan."""
    return next((r.inputs for r in decision.evidence if r.source.tool == "positioning"), None)


def positioning_keeps_safety_stock(decision: Decision, _now: datetime) -> str | None:
    """A positioning plan sends from each DC no more than its stock on hand above its own safety stock, between DCs
    its problem holds."""
    problem = _positioning(decision)
    if problem is None:
        return None
    sites = {(s["sku"], s["dc"]): s for s in problem["sites"]}
    sent: dict[tuple[str, str], float] = {}
    problems = []
    for action in decision.actions:
        if not isinstance(action, a.TransferStock):
            continue
        p = action.params
        if (p.sku, p.from_) not in sites or (p.sku, p.to) not in sites:
            problems.append(f"{p.sku} {p.from_}->{p.to} joins a DC the plan did not read")
            continue
        sent[p.sku, p.from_] = sent.get((p.sku, p.from_), 0.0) + p.qty
    for (sku, dc), units in sorted(sent.items()):
        site = sites[sku, dc]
        if site["on_hand"] - units < site["safety_stock"] - CENT:
            problems.append(
                f"{dc} sends {units:g} {sku} of {site['on_hand']:g} on hand, below its safety stock of "
                f"{site['safety_stock']:g}"
            )
    return "; ".join(problems) or None


def tenders_within_capacity(decision: Decision, _now: datetime) -> str | None:
    """A tender plan gives loads only to carriers that serve the lane, within each carrier's daily capacity in all
    and on the lane, and never more loads than the lane and tier expect."""
    problems = []
    for action in decision.actions:
        if not isinstance(action, a.PlanTenders):
            continue
        problem = next((r.inputs for r in decision.evidence if r.source.tool == "tender_plan"), None)
        if problem is None:
            return "a tender plan without its problem in evidence"
        offers = {(o["lane"], o["carrier"]): o["lane_loads"] for o in problem["offers"]}
        expected = {(d["lane"], d["tier"]): d["loads"] for d in problem["demand"]}
        by_carrier: dict[str, float] = {}
        by_offer: dict[tuple[str, str], float] = {}
        by_need: dict[tuple[str, str], float] = {}
        for x in action.params.allocations:
            if (x.lane, x.carrier) not in offers:
                problems.append(f"{x.carrier} does not serve {x.lane}")
                continue
            by_carrier[x.carrier] = by_carrier.get(x.carrier, 0.0) + x.loads
            by_offer[x.lane, x.carrier] = by_offer.get((x.lane, x.carrier), 0.0) + x.loads
            by_need[x.lane, x.tier] = by_need.get((x.lane, x.tier), 0.0) + x.loads
        problems += [
            f"{c} planned {v:g} loads over its {problem['carrier_loads'][c]} a day"
            for c, v in by_carrier.items()
            if v > problem["carrier_loads"][c] + UNIT / 20
        ]
        problems += [
            f"{c} on {lane}: {v:g} loads over {offers[lane, c]}"
            for (lane, c), v in by_offer.items()
            if v > offers[lane, c] + UNIT / 20
        ]
        problems += [
            f"{lane} {tier}: {v:g} loads planned for {expected.get((lane, tier), 0)} expected"
            for (lane, tier), v in by_need.items()
            if v > expected.get((lane, tier), 0) + UNIT / 20
        ]
    return "; ".join(problems) or None


def workshops_within_capacity(decision: Decision, _now: datetime) -> str | None:
    """The workshop visits a decision books fit, per DC and day, within the bays (less those work orders already hold)
    and technician hours of the workshop its schedule evidence states."""
    shops = {
        shop["dc"]: shop
        for record in decision.evidence
        if record.source.tool == "maintenance_schedule"
        for shop in record.inputs["workshops"]
    }
    booked: dict[tuple[str, int], list[a.ScheduleMaintenanceParams]] = {}
    for action in decision.actions:
        if isinstance(action, a.ScheduleMaintenance) and action.params.dc is not None and action.params.dc in shops:
            booked.setdefault((action.params.dc, action.params.day), []).append(action.params)
    problems = []
    for (dc, day), visits in sorted(booked.items()):
        hours = sum(visit.service_hours or 0.0 for visit in visits)
        held = shops[dc].get("held_bays") or []
        free = shops[dc]["bays"] - (held[day] if day < len(held) else 0)
        if len(visits) > free:
            problems.append(f"{dc} day {day}: {len(visits)} trucks booked into {free} free bays")
        if hours > shops[dc]["technician_hours"] + CENT:
            problems.append(f"{dc} day {day}: {hours:g} technician hours booked of {shops[dc]['technician_hours']:g}")
    return "; ".join(problems) or None


Invariant = Callable[[Decision, datetime], str | None]
INVARIANTS: dict[str, Invariant] = {
    "plan_cost_adds_up": plan_cost_adds_up,
    "chosen_is_cheapest": chosen_is_cheapest,
    "alternatives_carry_cost": alternatives_carry_cost,
    "nothing_used_twice": nothing_used_twice,
    "spike_never_lowers_reorder_point": spike_never_lowers_reorder_point,
    "overdue_means_late": overdue_means_late,
    "no_negative_cost": no_negative_cost,
    "why_not_matches_plans": why_not_matches_plans,
    "transfers_within_need": transfers_within_need,
    "tenders_within_capacity": tenders_within_capacity,
    "positioning_keeps_safety_stock": positioning_keeps_safety_stock,
    "workshops_within_capacity": workshops_within_capacity,
}


def violations(decision: Decision, now: datetime) -> list[str]:
    """Every invariant the decision breaks, each with what is wrong."""
    return [f"{name}: {problem}" for name, check in INVARIANTS.items() if (problem := check(decision, now))]


def forecast_horizon_gaps(model: ForecastModel, session: Session, decision: Decision) -> list[str]:
    """Forecasts the decision cited that differ from the same days of a forecast over the model's longest horizon."""
    gaps = []
    for record in decision.evidence:
        if record.source.tool != "forecast" or "total_units" not in record.facts:
            continue
        series, horizon = record.inputs["series"], int(record.inputs["horizon_days"])
        as_of = date.fromisoformat(record.inputs["as_of"])
        history = pd.DataFrame(
            [
                {**row.model_dump(exclude={"id"}), "holiday": holiday, "event": event}
                for row, holiday, event in store.sku_demand(session, series["sku"])
            ]
        )
        longest = forecast(model, history, series, model.config.max_horizon, as_of)
        same_days = round(sum(day.p50 for day in longest.days[:horizon]), 1)
        if abs(same_days - record.facts["total_units"]) > 0.1:
            gaps.append(
                f"forecast_horizon: {record.id} totals {record.facts['total_units']} over {horizon} days, "
                f"{same_days} for the same days of a {model.config.max_horizon}-day forecast"
            )
    return gaps
