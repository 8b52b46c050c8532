"""Answers people read: each tool's result in sentences with its key figures and a small Markdown table for lists,
a tool error as a plain sentence, and the check of an answer against the turn's tool results."""

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel

from agents.explain import describe_drivers
from agents.glossary import feature_words
from agents.plans import PlanSummary
from agents.verify import verify_text
from agents.whatif import CapacityChangeWhatIf, CapacityWhatIf, ClosureWhatIf, LaneClosureWhatIf
from chat.formatting import number, percent, plural, usd, year
from chat.lookups import (
    DemandWhatIfFacts,
    FleetStatusFacts,
    PerformanceFacts,
    PolicyFacts,
    PolicyRow,
    SpendFacts,
    StockFacts,
    TruckFacts,
    TruckWhatIfFacts,
)
from chat.tools.carriers import CarriersFacts
from chat.tools.decisions import DecisionFacts, DecisionsFacts, action_label
from chat.tools.fleet import FleetFacts
from chat.tools.kpis import Kpis
from chat.tools.plans import PlansFacts
from chat.tools.risks import RisksFacts
from chat.tools.shipments import ShipmentFacts, ShipmentRisksFacts
from chat.tools.stock import CoverFacts, Demand, ForecastFacts, StockRisksFacts
from chat.tools.tradeoff import TradeOffFacts, TradeOffRow
from tools.evidence import Driver, Evidence, Source
from twin import actions as a

TURN_SOURCE = Source(tool="chat", model="tool-results", version="1")
MAX_DRIVERS = 3
MAX_ROWS = 15


pct = percent


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A small Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


counted = plural


def _day(moment: datetime | None) -> str:
    """The date of a timestamp, or nothing."""
    return moment.date().isoformat() if moment else ""


def _weekday(day: date) -> str:
    """A date with its weekday, e.g. "Tuesday 2026-11-10"."""
    return f"{day:%A} {day.isoformat()}"


def _forecast_days(r: ForecastFacts, total: Demand) -> str:
    days = r.days
    if len(days) == 1:
        day = days[0]
        return (
            f"{r.sku} at {r.location} should sell about {number(day.p50)} units on {_weekday(day.day)}, "
            f"between {number(day.p10)} and {number(day.p90)} units (p10 to p90)."
        )
    return (
        f"{r.sku} at {r.location} should sell about {number(total.p50)} units from {_weekday(days[0].day)} to "
        f"{_weekday(days[-1].day)}, between {number(total.p10)} and {number(total.p90)} units (the daily p10 and "
        "p90 added up).\n\n"
        + table(["day", "p10", "p50", "p90"], [[_weekday(d.day), d.p10, d.p50, d.p90] for d in days])
    )


def _forecast(r: ForecastFacts) -> str:
    if r.days and r.days_total is not None:
        return _forecast_days(r, r.days_total)
    total = r.total
    return (
        f"{r.sku} at {r.location} should sell about {total.p50} units over the next "
        f"{counted(r.horizon_weeks, 'week')} from {r.as_of}, between {total.p10} and {total.p90} units "
        "(p10 to p90).\n\n"
        + table(
            ["week", "from", "to", "p50", "p90"],
            [[w.week, w.first_day, w.last_day, w.p50, w.p90] for w in r.weeks],
        )
    )


def _cover(r: CoverFacts) -> str:
    return (
        f"{r.sku} at {r.location} has {r.available} units available ({r.on_hand} on hand): about "
        f"{r.days_of_cover} days of cover at the forecast {r.daily_demand_p50} units a day."
    )


def _carriers(r: CarriersFacts) -> str:
    best = r.offers[0]
    lead = (
        f"On {r.lane}, {best.carrier} has the best on-time rate, {pct(best.on_time_rate)}."
        if r.lane
        else f"{best.carrier} has the best on-time rate, {pct(best.on_time_rate)} on {best.lane}."
    )
    return (
        lead
        + "\n\n"
        + table(
            ["carrier", "lane", "on time", "USD per mile", "transit days", "capacity per week"],
            [
                [
                    o.carrier,
                    o.lane,
                    pct(o.on_time_rate),
                    o.rate_per_mile,
                    o.transit_days,
                    o.capacity_per_week,
                ]
                for o in r.offers
            ],
        )
    )


def _shipment(r: ShipmentFacts) -> str:
    carrier = f" with {r.carrier}" if r.carrier else ""
    delivered = f", delivered on {_day(r.eta)}" if r.eta else ""
    risk = f" Its probability of arriving late is {pct(r.p_late)}." if r.p_late is not None else ""
    if r.late_by_rule:
        risk = " Its promise has passed and it is not delivered: it is late, by the same rule the desk applies."
    return (
        f"{r.shipment_id} is {r.status.replace('_', ' ')} on {r.lane}{carrier}{delivered}, promised for "
        f"{_day(r.promised_at)}.{risk}"
    )


def _shipment_risks(r: ShipmentRisksFacts) -> str:
    where = " ".join(
        part
        for part in (
            f"from {r.origin}" if r.origin else "",
            f"to {r.destination}" if r.destination else "",
            f"due before {_day(r.due_by)}" if r.due_by else "",
        )
        if part
    )
    where = f" {where}" if where else ""
    if not r.shipments:
        return f"No open shipment{where} is at risk: none is open."
    return f"Of {r.open_shipments} open shipments{where}, these are the most likely to be late.\n\n" + table(
        ["shipment", "lane", "carrier", "P(late)", "promised"],
        [[s.shipment_id, s.lane, s.carrier or "", pct(s.p_late), _day(s.promised_at)] for s in r.shipments],
    )


def _fleet(r: FleetFacts) -> str:
    if not r.trucks:
        return "No truck matches."
    lead = r.trucks[0]
    return (
        f"{lead.asset_id} is the riskiest truck: P(fail) {pct(lead.p_fail)} with {lead.rul_days} days of "
        "useful life left.\n\n"
        + table(
            ["truck", "DC", "P(fail)", "days of life left", "main drivers"],
            [
                [
                    t.asset_id,
                    t.dc,
                    pct(t.p_fail),
                    t.rul_days,
                    ", ".join(feature_words(d) for d in t.drivers[:MAX_DRIVERS]),
                ]
                for t in r.trucks
            ],
        )
    )


def _stock_risks(r: StockRisksFacts) -> str:
    if not r.skus:
        return f"No SKU{' at ' + r.location if r.location else ''} is short of its forecast demand."
    return "These SKU-DCs hold less than the p90 of a week's forecast demand, largest gap first.\n\n" + table(
        ["SKU", "DC", "available", "demand p50", "demand p90"],
        [[s.sku, s.location, s.available, s.demand_p50, s.demand_p90] for s in r.skus],
    )


def _risks(r: RisksFacts) -> str:
    shipments = ", ".join(s.shipment_id for s in r.riskiest_shipments[:3]) or "none"
    stock = ", ".join(s.sku for s in r.stockout_risk)
    trucks = ", ".join(t.asset_id for t in r.trucks_at_risk)
    return (
        f"At {r.location} over {counted(r.horizon_weeks, 'week')}, {r.likely_late} of {r.open_shipments} open "
        f"shipments are likely to be late (the riskiest: {shipments}). "
        + (f"{stock} may run short. " if stock else "No SKU looks short. ")
        + (f"{trucks} may fail." if trucks else "No truck looks likely to fail.")
    )


def _capacity(r: CapacityWhatIf) -> str:
    week = f"In the week of {r.week_of}, if" if r.week_of else "If"
    return (
        f"{week} {r.carrier} loses {r.capacity_cut_pct}% of its capacity"
        f"{' on ' + r.lane if r.lane else ''}, {r.loads_displaced} of its usual weekly loads move to "
        f"other carriers: freight cost goes from {usd(r.before.freight_cost_usd)} to "
        f"{usd(r.after.freight_cost_usd)} and expected late loads from {r.before.expected_late_loads} "
        f"to {r.after.expected_late_loads}, with {r.after.unassigned_loads} left without a carrier. "
        "Nothing was changed.\n\n" + table(["carrier", "loads taken"], [[c, n] for c, n in r.reassigned.items()])
    )


def _closure(r: ClosureWhatIf) -> str:
    text = (
        f"If {r.location} closes from {r.first_day} to {r.last_day} ({counted(r.days, 'day')}), "
        f"{r.orders_affected} open orders ({r.units_affected} units) and {r.routes_affected} routes with "
        f"{r.stops_affected} stops are hit, and {number(r.units_on_hand)} units of stock are locked in. "
        f"{r.orders_waiting} orders would wait for the reopening. Nothing was changed."
    )
    if r.re_sourced:
        text += "\n\n" + table(
            ["ship from", "orders", "units", "extra miles"],
            [[s.dc, s.orders, s.units, s.extra_miles] for s in r.re_sourced],
        )
    return text


def _decisions(r: DecisionsFacts) -> str:
    which = " ".join(value.replace("_", " ") for key, value in r.filters.items() if key in ("status", "specialist"))
    about = [value for key, value in r.filters.items() if key not in ("status", "specialist")]
    described = f"{which} decisions".strip().capitalize() + (f" about {', '.join(about)}" if about else "")
    if not r.decisions:
        return f"{described}: none."
    shown = "" if r.count == len(r.decisions) else f"; the newest {len(r.decisions)} are listed"
    return f"{described}: {r.count}{shown}.\n\n" + table(
        ["decision", "status", "specialist", "cost USD", "confidence"],
        [
            [
                d.decision_id,
                d.status.replace("_", " "),
                d.specialist or "",
                number(d.cost_usd, 2),
                d.confidence,
            ]
            for d in r.decisions
        ],
    )


def _kpis(r: Kpis) -> str:
    statuses = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(r.by_status.items())) or "none yet"
    automation = (
        f" {pct(r.automation_rate)} of the acting decisions executed without a person."
        if r.automation_rate is not None
        else ""
    )
    on_time = (
        f" {pct(r.on_time_rate)} of the shipments delivered in the last {r.on_time_window_days} days "
        "arrived by their promise."
        if r.on_time_rate is not None
        else ""
    )
    return (
        f"{counted(r.open_exceptions, 'exception')} open and {counted(r.decisions, 'decision')} so far "
        f"({statuses}), with {usd(r.executed_cost_usd)} of executed actions.{automation}{on_time}"
    )


def _decision(r: DecisionFacts) -> str:
    status = r.status.replace("_", " ")
    why = f" {r.justification}" if r.justification else ""
    missing = f" It still needs {', '.join(r.missing)}." if r.missing else ""
    return f"{r.decision_id} ({r.specialist or 'no specialist'}) is {status}.{why}{missing}"


def _date_span(r: PerformanceFacts | SpendFacts) -> str:
    """A period as "from A to B", or "on A" for one day."""
    first, last = str(r.first_day), str(r.last_day)
    return f"on {first}" if first == last else f"from {first} to {last}"


def _stock(r: StockFacts, view: str | None = None) -> str:
    rows = r.rows
    if view == "least":
        rows = sorted(rows, key=lambda row: row.on_hand)
    lead = rows[0]
    if view in ("most", "least"):
        first = f"{lead.location} holds the {'most' if view == 'most' else 'least'} {r.sku}: "
        first += f"{plural(lead.on_hand, 'unit')} on hand, {number(lead.available)} available."
    elif len(rows) == 1:
        first = (
            f"{lead.location} has {plural(lead.on_hand, 'unit')} of {r.sku} on hand; "
            f"{number(lead.available)} available after {number(lead.allocated)} allocated and "
            f"{number(lead.in_transit)} in transit."
        )
    else:
        first = (
            f"{r.sku}: {plural(r.total_on_hand, 'unit')} on hand across {plural(len(rows), 'DC')}, "
            f"{number(r.total_available)} available."
        )
    if len(rows) == 1:
        return first
    return (
        first
        + "\n\n"
        + table(
            ["DC", "on hand", "in transit", "allocated", "available", "reorder point"],
            [
                [
                    row.location,
                    number(row.on_hand),
                    number(row.in_transit),
                    number(row.allocated),
                    number(row.available),
                    number(row.reorder_point),
                ]
                for row in rows
            ],
        )
    )


def _truck(r: TruckFacts, view: str | None = None) -> str:
    status = r.status.replace("_", " ")
    next_service = (
        f"Its next service is booked for {_day(r.next_service_at)}."
        if r.next_service_at
        else "No service is booked for it."
    )
    since = (
        f", {number(r.miles_since_service)} miles since its last service on {_day(r.last_service_at)}"
        if r.miles_since_service is not None
        else f", last serviced on {_day(r.last_service_at)}"
    )
    lead = (
        f"{r.asset_id} (home {r.home_dc}, model year {year(r.model_year)}) is {status} with "
        f"{plural(r.stops_today, 'stop')} today; odometer {number(r.odometer_miles)} miles{since}. {next_service}"
    )
    orders = r.recent_work_orders if view == "history" else r.open_work_orders
    if view == "work_orders" and not orders:
        return lead + " It has no open work order."
    if not orders:
        return lead
    title = "Its latest work orders:" if view == "history" else f"It has {plural(len(orders), 'open work order')}:"
    return f"{lead} {title}\n\n" + table(
        ["work order", "kind", "component", "status", "opened", "scheduled", "closed"],
        [
            [
                o.work_order,
                o.kind,
                o.component or "",
                o.status,
                _day(o.opened_at),
                _day(o.scheduled_for),
                _day(o.closed_at),
            ]
            for o in orders
        ],
    )


def _fleet_status(r: FleetStatusFacts, view: str | None = None) -> str:
    counts = ", ".join(
        f"{number(n)} {k.replace('_', ' ')}" for k, n in sorted(r.by_status.items()) if k != "with_open_work_orders"
    )
    where = f" based at {r.location}" if r.location else ""
    lead = (
        f"{plural(len(r.trucks), 'truck')}{where}: {counts}; "
        f"{number(r.by_status['with_open_work_orders'])} with open work orders."
    )
    trucks = r.trucks
    if view in ("work_orders", "next_service"):
        trucks = [t for t in trucks if t.open_work_orders or t.next_service_at]
    if not trucks:
        return lead
    return (
        lead
        + "\n\n"
        + table(
            ["truck", "home DC", "status", "open work orders", "next service"],
            [
                [
                    t.asset_id,
                    t.home_dc,
                    t.status.replace("_", " "),
                    t.open_work_orders,
                    _day(t.next_service_at),
                ]
                for t in trucks[:MAX_ROWS]
            ],
        )
    )


def _performance(r: PerformanceFacts, view: str | None = None) -> str:
    rows = r.rows
    if view in ("best", "top"):
        rows = sorted(rows, key=lambda row: (-(row.on_time_rate or 0), row.key))
    span = _date_span(r)
    if not r.delivered or r.on_time_rate is None:
        return f"No shipment was delivered {span} on the lanes asked."
    lead = (
        f"{span[0].upper()}{span[1:]}, {plural(r.delivered, 'shipment')} were delivered and "
        f"{number(r.late)} arrived late: {pct(r.on_time_rate)} on time."
    )
    if len(rows) == 1:
        return lead
    first = rows[0]
    noun = "lane" if r.group_by == "lane" else "carrier"
    if view in ("best", "top"):
        lead += f" {first.key} is the best {noun}, {pct(first.on_time_rate)} on time."
    elif view in ("most", "worst"):
        lead += f" {first.key} had the most late deliveries: {number(first.late)}."
    return (
        lead
        + "\n\n"
        + table(
            [noun, "delivered", "late", "on time"],
            [[row.key, number(row.delivered), number(row.late), pct(row.on_time_rate)] for row in rows[:MAX_ROWS]],
        )
    )


def _spend(r: SpendFacts, view: str | None = None) -> str:
    span = _date_span(r)
    rows = r.rows
    if not rows:
        return f"No action was executed {span}: nothing was spent."
    if len(rows) == 1:
        row = rows[0]
        if not row.actions:
            return f"No {row.action_type.replace('_', ' ')} action was executed {span}: nothing was spent on it."
        noun = f"executed {row.action_type.replace('_', ' ')} action"
        return f"{span[0].upper()}{span[1:]}, {plural(row.actions, noun)} cost {usd(row.cost_usd)}."
    return (
        f"{span[0].upper()}{span[1:]}, executed actions cost {usd(r.total_usd)}; the most went on "
        f"{rows[0].action_type.replace('_', ' ')} ({usd(rows[0].cost_usd)}).\n\n"
        + table(
            ["action type", "actions", "cost"],
            [[row.action_type, row.actions, usd(row.cost_usd)] for row in rows],
        )
    )


def _bounds(rule: PolicyRow) -> str:
    """A rule's cost and confidence bounds in words."""
    parts = []
    if rule.max_cost_usd is not None:
        parts.append(f"up to {usd(rule.max_cost_usd)}")
    if rule.min_confidence is not None:
        parts.append(f"confidence at least {rule.min_confidence}")
    return " and ".join(parts)


def _policies(r: PolicyFacts, view: str | None = None) -> str:
    rules = r.rules
    if len(rules) == 1:
        rule = rules[0]
        bounds = _bounds(rule)
        within = f" (bounds: {bounds})" if bounds and rule.needs_approval == "outside its bounds" else ""
        return (
            f"{rule.action_type.replace('_', ' ').capitalize()} is at autonomy level {rule.autonomy_level}, "
            f"{rule.meaning}: it needs a person's approval {rule.needs_approval}{within}."
        )
    return "The autonomy rules in force:\n\n" + table(
        ["action type", "cohort", "mode", "level", "meaning", "needs approval", "bounds"],
        [[x.action_type, x.cohort, x.level, x.autonomy_level, x.meaning, x.needs_approval, _bounds(x)] for x in rules],
    )


def _demand_what_if(r: DemandWhatIfFacts, view: str | None = None) -> str:
    change = f"{'+' if r.factor >= 1 else '-'}{pct(abs(r.factor - 1))}"
    short = [row for row in r.rows if row.runs_out_on]
    lead = (
        f"If demand for {r.sku} changes by {change} for {plural(r.days, 'day')} from {r.first_day}, "
        + (
            f"{plural(len(short), 'DC')} {'runs' if len(short) == 1 else 'run'} out: "
            + ", ".join(f"{row.location} on {row.runs_out_on}" for row in short)
            + "."
            if short
            else "no DC runs out."
        )
        + " Nothing was changed."
    )
    return (
        lead
        + "\n\n"
        + table(
            ["DC", "available", "demand p50", "changed demand", "short", "runs out"],
            [
                [
                    row.location,
                    number(row.available),
                    number(row.demand_p50),
                    number(row.changed_demand),
                    number(row.short_units),
                    row.runs_out_on or "",
                ]
                for row in r.rows
            ],
        )
    )


def _truck_what_if(r: TruckWhatIfFacts, view: str | None = None) -> str:
    if not r.stops:
        return f"{r.asset_id} has no route on {r.day}: no stop is hit if it is unavailable. Nothing was changed."
    return (
        f"If {r.asset_id} is unavailable on {r.day}, {plural(len(r.stops), 'stop')} of route "
        f"{r.route_id} lose their truck. Nothing was changed.\n\n"
        + table(
            ["stop", "shipment", "customer", "promised"],
            [[s.seq, s.shipment_id, s.customer, _day(s.promised_at)] for s in r.stops],
        )
    )


def _carrier_capacity(r: CarriersFacts, view: str | None = None) -> str:
    return "Weekly capacity by carrier:\n\n" + table(
        ["carrier", "lane", "loads per week", "on time"],
        [[o.carrier, o.lane, number(o.capacity_per_week), pct(o.on_time_rate)] for o in r.offers],
    )


def _cheapest(r: CarriersFacts) -> str:
    first = r.offers[0]
    where = f"On {r.lane}, " if r.lane else ""
    return (
        f"{where}{first.carrier} is the cheapest at {first.rate_per_mile} USD per mile "
        f"({pct(first.on_time_rate)} on time).\n\n"
        + table(
            ["carrier", "lane", "USD per mile", "on time", "capacity per week"],
            [[o.carrier, o.lane, o.rate_per_mile, pct(o.on_time_rate), o.capacity_per_week] for o in r.offers],
        )
    )


FACTOR_WORDS = {2.0: "doubles", 3.0: "triples", 0.5: "halves"}


def _signed_usd(value: float) -> str:
    """A change of money with its sign, e.g. "+1,250 USD" or "-310.50 USD"."""
    return ("+" if value > 0 else "") + usd(value)


def _capacity_change(r: CapacityChangeWhatIf, view: str | None = None) -> str:
    now, then, cost = r.now, r.then, r.change.freight_cost_usd
    where = f"on {r.lane}" if r.lane else f"on its lanes ({', '.join(r.lanes)})"
    how = FACTOR_WORDS.get(r.factor) or f"{'grows' if r.factor > 1 else 'drops'} by {number(r.change_pct)}%"
    moved = (
        f"{plural(r.loads_moved, 'load')} {'changes' if r.loads_moved == 1 else 'change'} carrier"
        if r.loads_moved
        else "no load changes carrier, so the plan stays as it is"
    )
    return (
        f"If {r.carrier}'s capacity {where} {how}, the solver tenders the {plural(r.loads, 'usual weekly load')} "
        f"there at today's capacity and at the changed one: {moved}. Freight cost goes from "
        f"{usd(now.freight_cost_usd)} to {usd(then.freight_cost_usd)} ({_signed_usd(cost) if cost else 'no change'}), "
        f"expected late loads from {number(now.expected_late_loads)} to {number(then.expected_late_loads)}, "
        f"and loads left without a carrier from {number(now.unassigned_loads)} to {number(then.unassigned_loads)}. "
        "Nothing was changed.\n\n"
        + table(
            ["carrier", "capacity now", "capacity then", "loads now", "loads then"],
            [[c.carrier, c.capacity_now, c.capacity_then, c.loads_now, c.loads_then] for c in r.carriers],
        )
    )


def _lane_closure(r: LaneClosureWhatIf, view: str | None = None) -> str:
    held, usual = r.open_shipments, r.usual_loads
    span = f"from {r.first_day} to {r.last_day}" if r.days > 1 else f"on {r.first_day}"
    if not held and not usual:
        return f"If {r.lane} closes {span}, no open shipment and no usual load would travel it. Nothing was changed."
    booked = plural(len(held), "open shipment") if held else "no open shipment"
    text = (
        f"If {r.lane} closes {span} ({plural(r.days, 'day')}), {booked} would travel it then, and it usually "
        f"carries {plural(usual, 'load')} in as many days."
    )
    if r.detours and r.detour_total_usd is not None:
        best = r.detours[0]
        legs = " and ".join(f"{leg.lane} by {leg.carrier}" for leg in best.legs)
        text += (
            f" The cheapest detour goes through {best.via} ({legs}): {usd(best.extra_cost_usd)} more freight "
            f"and {plural(best.extra_days, 'more day')} per load, {usd(r.detour_total_usd)} in all."
        )
    else:
        text += " No third DC has carriers with capacity left on both legs."
    tiers = ", the penalty of its customer's tier for a shipment that misses its promise" if held else ""
    text += (
        f" Holding them until the lane reopens costs {usd(r.wait_total_usd)} in late penalties "
        f"({usd(r.late_load_penalty_usd)} per usual load{tiers}). Taking the cheaper way for each load costs "
        f"{usd(r.best_total_usd)}. Nothing was changed."
    )
    if held:
        text += "\n\n" + table(
            ["shipment", "customer tier", "promised", "misses promise if held", "penalty", "better"],
            [
                [
                    h.shipment_id,
                    h.customer_tier,
                    _day(h.promised_at),
                    "yes" if h.misses_promise else "no",
                    usd(h.penalty_usd),
                    h.best,
                ]
                for h in held
            ],
        )
    return text


def _scope(tier: str, lane: str) -> str:
    """A trade-off scope in words, e.g. "gold customers on DAL-HOU", "any tier on any lane"."""
    return f"{'any tier' if tier == '*' else tier + ' customers'} on {'any lane' if lane == '*' else lane}"


def _weights(rule: TradeOffRow) -> str:
    """A version's weights in words."""
    return f"late penalties weighted {number(rule.on_time)}, CO2 {number(rule.co2)}"


def _tradeoff_table(rules: list[TradeOffRow]) -> str:
    """The versions in force as a table."""
    return table(
        ["tier", "lane", "late penalties", "CO2", "version", "set by", "reason"],
        [[r.tier, r.lane, number(r.on_time), number(r.co2), r.version, r.set_by, r.reason] for r in rules],
    )


def _tradeoff(r: TradeOffFacts) -> str:
    if len(r.rules) == 1:
        rule = r.rules[0]
        return (
            f"The trade-off for {_scope(rule.tier, rule.lane)} is version {rule.version}: {_weights(rule)} against "
            f"freight, set by {rule.set_by} ({rule.reason})."
        )
    return (
        "The trade-off in force, the most specific scope applying to a load (1 counts a cost at face value against "
        "freight):\n\n" + _tradeoff_table(r.rules)
    )


def _tradeoff_set(r: TradeOffFacts) -> str:
    rule = r.changed
    if rule is None:
        return _tradeoff(r)
    return (
        f"The trade-off for {_scope(rule.tier, rule.lane)} is now version {rule.version}: {_weights(rule)} against "
        f"freight, set by {rule.set_by}. Plans made from now on use it; decisions already made keep theirs.\n\n"
        + _tradeoff_table(r.rules)
    )


_PLAN_COSTS = ("cost_usd", "expected_total_usd")  # said apart from a plan's other figures


def _plan_lines(plan: PlanSummary) -> str:
    """What a plan does, as a table per kind of action."""
    allocations = [x for act in plan.actions if isinstance(act, a.PlanTenders) for x in act.params.allocations]
    visits = [act.params for act in plan.actions if isinstance(act, a.ScheduleMaintenance)]
    others = [act for act in plan.actions if not isinstance(act, a.PlanTenders | a.ScheduleMaintenance)]
    parts = []
    if allocations:
        rows = [[x.lane, x.tier, x.carrier, number(x.loads)] for x in allocations]
        parts.append(table(["lane", "tier", "carrier", "expected loads"], rows))
    if visits:
        parts.append(
            table(
                ["truck", "dc", "date", "service", "cost"],
                [[v.truck, v.dc or "", v.date or "", v.service or "", usd(v.cost_usd or 0)] for v in visits],
            )
        )
    if others:
        parts.append("\n".join(f"- {action_label(act)}" for act in others))
    return "\n\n".join(parts)


def _cited(plan: PlanSummary) -> str:
    """The trade-off versions a plan cites, in words."""
    if plan.tradeoff_requested:
        return " It used weights asked for instead of the trade-off in force."
    if not plan.tradeoff:
        return ""
    cited = "; ".join(f"{_scope(t.tier, t.lane)} version {t.version}" for t in plan.tradeoff)
    return f" It cites the trade-off {cited}."


def _plan(plan: PlanSummary) -> str:
    """One plan: status, objective and totals, trade-off, sentences, what it does and what it beat."""
    name = plan.plan_type.value.replace("_", " ")
    extra = {k: v for k, v in plan.totals.model_dump(exclude_none=True).items() if k not in _PLAN_COSTS}
    figures = ", ".join(f"{key.replace('_', ' ')} {number(value)}" for key, value in extra.items())
    head = (
        f"The {name} for {plan.day.isoformat()} is {plan.decision_id}, {plan.status.replace('_', ' ')}: expected "
        f"total {usd(plan.objective_usd or 0)} (objective: {plan.objective}), cost {usd(plan.totals.cost_usd)}"
        + (f"; {figures}" if figures else "")
        + "."
        + _cited(plan)
    )
    beaten = table(
        ["alternative", "expected total", "why not"],
        [[alt.name, usd(alt.expected_total_usd or 0), alt.why_not] for alt in plan.alternatives],
    )
    lines = _plan_lines(plan)
    return "\n\n".join(
        part for part in (head, " ".join(plan.claims), lines, beaten if plan.alternatives else "") if part
    )


def _plans(r: PlansFacts) -> str:
    missing = [kind.replace("_", " ") for kind in r.missing]
    none = f"No {' or '.join(missing)} has been made for {r.day.isoformat()} or before." if missing else ""
    return "\n\n".join([*(_plan(plan) for plan in r.plans), *([none] if none else [])])


TEMPLATES: dict[str, Callable[[Any], str]] = {
    "forecast_demand": _forecast,
    "days_of_cover": _cover,
    "compare_carriers": _carriers,
    "shipment_status": _shipment,
    "shipment_risks": _shipment_risks,
    "fleet_service_priority": _fleet,
    "stock_risks": _stock_risks,
    "risks_at_location": _risks,
    "what_if_capacity": _capacity,
    "what_if_closure": _closure,
    "list_decisions": _decisions,
    "kpis": _kpis,
    "explain_decision": _decision,
    "report_exception": _decision,
    "approve_decision": _decision,
    "reject_decision": _decision,
    "override_decision": _decision,
    "plans": _plans,
    "tradeoff": _tradeoff,
    "set_tradeoff": _tradeoff_set,
}


VIEWED: dict[str, Callable[[Any, str | None], str]] = {
    "stock_levels": _stock,
    "truck_status": _truck,
    "fleet_status": _fleet_status,
    "delivery_performance": _performance,
    "spend": _spend,
    "policies": _policies,
    "what_if_demand": _demand_what_if,
    "what_if_truck": _truck_what_if,
    "what_if_capacity_change": _capacity_change,
    "what_if_lane_closure": _lane_closure,
}


def answer(tool: str, result: BaseModel, view: str | None = None) -> str:
    """The template answer to a tool's result, read the way the question asked (`view`)."""
    carriers = result if tool == "compare_carriers" and isinstance(result, CarriersFacts) else None
    if carriers and view == "capacity":
        return _carrier_capacity(carriers, view)
    if carriers and view == "cheapest":
        return _cheapest(carriers)
    if tool in VIEWED:
        return VIEWED[tool](result, view)
    return TEMPLATES[tool](result)


MODEL_OUTPUTS = {"forecast": "the forecast of", "late-risk": "the late risk of", "failure-risk": "the failure risk of"}


def model_output(evidence_id: str) -> str:
    """A model output's evidence named in words, e.g. "forecast:SKU-0042/DC-DAL:2026-11-01" -> "the forecast of
    SKU-0042 at DC-DAL as of 2026-11-01"."""
    kind, _, about = evidence_id.partition(":")
    if kind not in MODEL_OUTPUTS:
        return evidence_id
    return f"{MODEL_OUTPUTS[kind]} {about.replace('/', ' at ').replace(':', ' as of ')}"


def drivers_answer(tool: str, evidence: list[dict[str, Any]]) -> str:
    """Why a result is what it is: the main drivers of the model outputs behind it, with their values."""
    parts = []
    for record in evidence:
        if record.get("drivers"):
            named = describe_drivers([Driver.model_validate(d) for d in record["drivers"]], MAX_DRIVERS)
            parts.append(f"For {model_output(record['id'])}, the main drivers are {named}.")
    if not parts:
        return f"The {tool.replace('_', ' ')} result rests on the twin's records, not on a model with drivers."
    return " ".join(parts[:MAX_DRIVERS])


def failure(message: str) -> str:
    """A tool error as a plain sentence."""
    return f"I could not do that: {message.strip().rstrip('.')}."


def verified(text: str, results: list[Any]) -> bool:
    """Whether every number, code and date of an answer is in the turn's tool results, by the justification
    verifier."""
    facts = Evidence(
        id="chat:turn", source=TURN_SOURCE, facts={"results": json.loads(json.dumps(results, default=str))}
    )
    return verify_text(text, [facts]).ok
