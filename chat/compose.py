"""From typed queries to tool calls: each part of a question becomes the steps that answer it, composed from the
chat's tools; what the desk cannot answer becomes a sentence saying why."""

from datetime import date, datetime, time, timedelta
from typing import Any

from pydantic import BaseModel, Field

from agents.language.query import Query, WhatIf
from chat.tools.stock import MAX_WEEKS

DESK_DOES = (
    "I am the exception desk of this logistics network: I answer about shipments, stock, forecasts, trucks, "
    "carriers, lanes, spend, policies, plans, the trade-off and decisions, play what-ifs on a copy of the twin, and "
    "log problems you report. {what} is outside what I do."
)
ALL_DCS = ("DC-DAL", "DC-HOU", "DC-ATL", "DC-CHI", "DC-LAX")


class Step(BaseModel):
    """One tool call of an answer; `drivers` answers why with the result's drivers, `view` picks a special
    reading of the result (e.g. a capacity increase over the carriers' offers)."""

    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    drivers: bool = False
    view: str | None = None
    reply: str | None = None


def _weeks(query: Query, today: date) -> int | None:
    """Weeks of forecast a period asks for, counted from today to its end."""
    period = query.filters.period
    if period is None:
        return None
    return max(1, min(MAX_WEEKS, -(-((period.end - today).days + 1) // 7)))


def _period_args(query: Query) -> dict[str, Any]:
    """The first and last day of the query's period."""
    period = query.filters.period
    return {"first_day": period.start, "last_day": period.end} if period else {}


def _top(query: Query, default: int = 5) -> int:
    """How many items a list shows."""
    return (query.aggregation.n if query.aggregation and query.aggregation.n else None) or default


def _one_dc(query: Query) -> str | None:
    """The single DC a query names."""
    return query.filters.dcs[0] if query.filters.dcs else None


def steps_for(query: Query, now: datetime) -> list[Step]:
    """The steps that answer one typed query."""
    match query.kind:
        case "out_of_scope":
            return [Step(reply=DESK_DOES.format(what="That request"))]
        case "no_data":
            return [Step(reply=f"The twin holds no {query.missing}, so I cannot answer that from the desk's data.")]
        case "whatif":
            return _what_if(query, now)
    if query.subject == "desk" and query.measure == "help":
        return [Step(reply=None)]
    return _ask(query, now)


def _what_if(query: Query, now: datetime) -> list[Step]:
    """The what-if tool of a scenario, on a copy of the twin."""
    f, scenario = query.filters, query.whatif
    first = f.period.start if f.period else now.date()
    match scenario:
        case WhatIf(op="dc_closure"):
            days = scenario.days or (f.period.days if f.period else 1)
            return [Step(tool="what_if_closure", args={"location": _one_dc(query), "days": days, "first_day": first})]
        case WhatIf(op="capacity_change"):
            carrier = f.carriers[0] if f.carriers else None
            factor = scenario.factor
            if factor is not None and (factor > 1 or f.lane):
                return [
                    Step(tool="what_if_capacity_change", args={"carrier": carrier, "lane": f.lane, "factor": factor})
                ]
            cut = round((1 - factor) * 100, 1) if factor is not None else None
            return [
                Step(
                    tool="what_if_capacity",
                    args={"carrier": carrier, "lane": f.lane, "capacity_cut_pct": cut, "week_of": first},
                )
            ]
        case WhatIf(op="demand_change"):
            days = f.period.days if f.period else 7
            return [
                Step(
                    tool="what_if_demand",
                    args={
                        "sku": f.sku,
                        "locations": f.dcs,
                        "factor": scenario.factor or 1.0,
                        "first_day": first,
                        "days": days,
                    },
                )
            ]
        case WhatIf(op="truck_unavailable"):
            return [Step(tool="what_if_truck", args={"asset_id": f.truck, "day": first})]
        case WhatIf(op="lane_closed"):
            days = scenario.days or (f.period.days if f.period else 1)
            return [Step(tool="what_if_lane_closure", args={"lane": f.lane, "days": days, "first_day": first})]
    return [
        Step(
            reply="Which scenario? A DC or a lane closing, a carrier's capacity, a SKU's demand or a truck out of "
            "service."
        )
    ]


def _forecast_span(query: Query, weeks: int | None) -> dict[str, Any]:
    """What a forecast covers: the days of a period shorter than a week (e.g. next Tuesday), else whole weeks."""
    period = query.filters.period
    if period and period.days < 7:
        return {"first_day": period.start, "last_day": period.end}
    return {"horizon_weeks": weeks} if weeks else {}


def _due_by(query: Query, now: datetime) -> str | None:
    """The end of the query's period as an ISO time on the twin's clock."""
    period = query.filters.period
    return datetime.combine(period.end + timedelta(days=1), time.min, now.tzinfo).isoformat() if period else None


def _ask(query: Query, now: datetime) -> list[Step]:
    """The tools that answer a question about the twin, composed per subject and measure."""
    match query.subject:
        case "shipment" | "truck" | "fleet":
            return _ask_operations(query, now)
        case "sku_dc" | "sku" | "dc":
            return _ask_stock(query, now)
        case "carrier" | "lane":
            return _ask_carriers(query)
    return _ask_desk(query, now)


def _ask_operations(query: Query, now: datetime) -> list[Step]:
    """The tools that answer a question about shipments, a truck or the fleet."""
    f, measure, agg = query.filters, query.measure, query.aggregation
    dc = _one_dc(query)
    match query.subject:
        case "shipment" if f.shipment_id:
            return [Step(tool="shipment_status", args={"shipment_id": f.shipment_id}, drivers=measure == "drivers")]
        case "shipment" if measure in ("late_count", "on_time_rate"):
            role = {"origin": "origin", "destination": "destination"}.get(f.dc_role or "", "destination")
            return [
                Step(tool="delivery_performance", args={role: dc, **_period_args(query)} if dc else _period_args(query))
            ]
        case "shipment":
            role = "origin" if f.dc_role == "origin" else "destination"
            return [
                Step(
                    tool="shipment_risks",
                    args={role: dc, "top": _top(query), "due_by": _due_by(query, now)}
                    if dc
                    else {"top": _top(query), "due_by": _due_by(query, now)},
                )
            ]
        case "truck" if measure == "failure_risk":
            return [Step(tool="fleet_service_priority", args={"asset_id": f.truck, "top": 1})]
        case "truck":
            return [Step(tool="truck_status", args={"asset_id": f.truck}, view=measure)]
        case "fleet" if measure == "failure_risk" or (agg and agg.kind == "top"):
            return [Step(tool="fleet_service_priority", args={"location": dc, "top": _top(query)})]
        case "fleet":
            return [Step(tool="fleet_status", args={"location": dc}, view=measure)]
    return [Step(reply=None)]


def _ask_stock(query: Query, now: datetime) -> list[Step]:
    """The tools that answer a question about a SKU's stock and demand, or a DC's risks."""
    f, measure, agg = query.filters, query.measure, query.aggregation
    dc = _one_dc(query)
    weeks = _weeks(query, now.date())
    match query.subject:
        case "sku_dc" if f.sku is None:
            return [Step(tool="stock_risks", args={"location": dc, "top": _top(query)})]
        case "sku_dc" | "sku" if f.sku and measure in ("days_of_cover", "stockout_risk"):
            return [Step(tool="days_of_cover", args={"sku": f.sku, "location": d}) for d in f.dcs or ALL_DCS]
        case "sku_dc" | "sku" if f.sku and measure in ("forecast", "drivers"):
            args = _forecast_span(query, weeks)
            return [
                Step(tool="forecast_demand", args={"sku": f.sku, "location": d, **args}, drivers=measure == "drivers")
                for d in f.dcs or ALL_DCS
            ]
        case "sku_dc" | "sku":
            return [Step(tool="stock_levels", args={"sku": f.sku, "locations": f.dcs}, view=agg.kind if agg else None)]
        case "dc" if measure == "stockout_risk":
            return [Step(tool="stock_risks", args={"top": 50}, view="by_dc")]
        case "dc":
            return [
                Step(tool="risks_at_location", args={"location": dc, **({"horizon_weeks": weeks} if weeks else {})})
            ]
    return [Step(reply=None)]


def _ask_carriers(query: Query) -> list[Step]:
    """The tools that answer a question about carriers or lanes."""
    f, measure, agg = query.filters, query.measure, query.aggregation
    match query.subject:
        case "carrier" if measure == "late_count" or f.period or (not f.lane and not f.carriers):
            return [
                Step(
                    tool="delivery_performance",
                    args={"lane": f.lane, "carriers": f.carriers, "group_by": "carrier", **_period_args(query)},
                    view=agg.kind if agg else None,
                )
            ]
        case "carrier":
            cheapest = bool(agg and agg.kind == "cheapest") or measure == "spend"
            return [
                Step(
                    tool="compare_carriers",
                    args={"carriers": f.carriers, "lane": f.lane, "cheapest_first": cheapest},
                    view="capacity" if measure == "capacity" else "cheapest" if cheapest else None,
                )
            ]
        case "lane":
            return [
                Step(
                    tool="delivery_performance",
                    args={"lane": f.lane, "group_by": "lane", **_period_args(query)},
                    view=agg.kind if agg else None,
                )
            ]
    return [Step(reply=None)]


def _ask_desk(query: Query, now: datetime) -> list[Step]:
    """The tools that answer a question about decisions, policies, plans, the trade-off and the desk's figures."""
    f, measure, agg = query.filters, query.measure, query.aggregation
    today = now.date()
    match query.subject:
        case "decision" if f.decision_id or measure in ("explain", "status"):
            about = {
                "decision_id": f.decision_id,
                "shipment_id": f.shipment_id,
                "sku": f.sku,
                "asset_id": f.truck,
                "carrier": f.carriers[0] if f.carriers else None,
            }
            return [Step(tool="explain_decision", args={k: v for k, v in about.items() if v})]
        case "decision":
            return [Step(tool="list_decisions", args={"status": "pending_approval"}, view=agg.kind if agg else None)]
        case "policy":
            return [Step(tool="policies", args={"action_type": f.action_type})]
        case "plan":
            return [Step(tool="plans", args={"plan_type": f.plan_type, "day": f.period.end if f.period else today})]
        case "tradeoff":
            return [Step(tool="tradeoff", args={"tier": f.tier, "lane": f.lane})]
        case "kpi" if f.period:
            return [Step(tool="delivery_performance", args={"group_by": "lane", **_period_args(query)}, view="total")]
        case "kpi":
            return [Step(tool="kpis", args={})]
        case "desk" if measure == "spend":
            return [Step(tool="spend", args={"action_type": f.action_type, **_period_args(query)})]
    return [Step(reply=None)]
