"""Answers people read: each tool's result in sentences with its key figures and a small Markdown table for lists,
a tool error as a plain sentence, and the check of an answer against the turn's tool results."""

import json
from collections.abc import Callable
from typing import Any

from agents.verify import verify_text
from tools.evidence import Evidence, Source

TURN_SOURCE = Source(tool="chat", model="tool-results", version="1")
MAX_DRIVERS = 3
Result = dict[str, Any]


def pct(value: float) -> str:
    """A probability or rate as a whole percentage."""
    return f"{round(value * 100)}%"


def table(headers: list[str], rows: list[list[Any]]) -> str:
    """A small Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def counted(number: int, noun: str) -> str:
    """A count with its noun, singular or plural (e.g. "1 exception", "3 exceptions")."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _day(moment: str | None) -> str:
    """The date part of an ISO timestamp."""
    return (moment or "")[:10]


def _forecast(r: Result) -> str:
    total = r["total"]
    return (
        f"{r['sku']} at {r['location']} should sell about {total['p50']} units over the next "
        f"{counted(r['horizon_weeks'], 'week')} from {r['as_of']}, between {total['p10']} and {total['p90']} units "
        "(p10 to p90).\n\n"
        + table(
            ["week", "from", "to", "p50", "p90"],
            [[w["week"], w["first_day"], w["last_day"], w["p50"], w["p90"]] for w in r["weeks"]],
        )
    )


def _cover(r: Result) -> str:
    return (
        f"{r['sku']} at {r['location']} has {r['available']} units available ({r['on_hand']} on hand): about "
        f"{r['days_of_cover']} days of cover at the forecast {r['daily_demand_p50']} units a day."
    )


def _carriers(r: Result) -> str:
    best = r["offers"][0]
    lead = (
        f"On {r['lane']}, {best['carrier']} has the best on-time rate, {pct(best['on_time_rate'])}."
        if r.get("lane")
        else f"{best['carrier']} has the best on-time rate, {pct(best['on_time_rate'])} on {best['lane']}."
    )
    return (
        lead
        + "\n\n"
        + table(
            ["carrier", "lane", "on time", "USD per mile", "transit days", "capacity per week"],
            [
                [
                    o["carrier"],
                    o["lane"],
                    pct(o["on_time_rate"]),
                    o["rate_per_mile"],
                    o["transit_days"],
                    o["capacity_per_week"],
                ]
                for o in r["offers"]
            ],
        )
    )


def _shipment(r: Result) -> str:
    carrier = f" with {r['carrier']}" if r.get("carrier") else ""
    delivered = f", delivered on {_day(r['eta'])}" if r.get("eta") else ""
    risk = f" Its probability of arriving late is {pct(r['p_late'])}." if r.get("p_late") is not None else ""
    return (
        f"{r['shipment_id']} is {r['status'].replace('_', ' ')} on {r['lane']}{carrier}{delivered}, promised for "
        f"{_day(r['promised_at'])}.{risk}"
    )


def _shipment_risks(r: Result) -> str:
    where = " ".join(
        part
        for part in (
            f"from {r['origin']}" if r.get("origin") else "",
            f"to {r['destination']}" if r.get("destination") else "",
            f"due before {_day(r['due_by'])}" if r.get("due_by") else "",
        )
        if part
    )
    where = f" {where}" if where else ""
    if not r["shipments"]:
        return f"No open shipment{where} is at risk: none is open."
    return f"Of {r['open_shipments']} open shipments{where}, these are the most likely to be late.\n\n" + table(
        ["shipment", "lane", "carrier", "P(late)", "promised"],
        [
            [s["shipment_id"], s["lane"], s.get("carrier") or "", pct(s["p_late"]), _day(s["promised_at"])]
            for s in r["shipments"]
        ],
    )


def _fleet(r: Result) -> str:
    if not r["trucks"]:
        return "No truck matches."
    lead = r["trucks"][0]
    return (
        f"{lead['asset_id']} is the riskiest truck: P(fail) {pct(lead['p_fail'])} with {lead['rul_days']} days of "
        "useful life left.\n\n"
        + table(
            ["truck", "DC", "P(fail)", "days of life left", "main drivers"],
            [
                [t["asset_id"], t["dc"], pct(t["p_fail"]), t["rul_days"], ", ".join(t["drivers"][:MAX_DRIVERS])]
                for t in r["trucks"]
            ],
        )
    )


def _stock_risks(r: Result) -> str:
    if not r["skus"]:
        return f"No SKU{' at ' + r['location'] if r.get('location') else ''} is short of its forecast demand."
    return "These SKU-DCs hold less than the p90 of a week's forecast demand, largest gap first.\n\n" + table(
        ["SKU", "DC", "available", "demand p50", "demand p90"],
        [[s["sku"], s["location"], s["available"], s["demand_p50"], s["demand_p90"]] for s in r["skus"]],
    )


def _risks(r: Result) -> str:
    shipments = ", ".join(s["shipment_id"] for s in r["riskiest_shipments"][:3]) or "none"
    stock = ", ".join(s["sku"] for s in r["stockout_risk"])
    trucks = ", ".join(t["asset_id"] for t in r["trucks_at_risk"])
    return (
        f"At {r['location']} over {counted(r['horizon_weeks'], 'week')}, {r['likely_late']} of {r['open_shipments']} open "
        f"shipments are likely to be late (the riskiest: {shipments}). "
        + (f"{stock} may run short. " if stock else "No SKU looks short. ")
        + (f"{trucks} may fail." if trucks else "No truck looks likely to fail.")
    )


def _capacity(r: Result) -> str:
    week = f"In the week of {r['week_of']}, if" if r.get("week_of") else "If"
    return (
        f"{week} {r['carrier']} loses {r['capacity_cut_pct']}% of its capacity"
        f"{' on ' + r['lane'] if r.get('lane') else ''}, {r['loads_displaced']} of its usual weekly loads move to "
        f"other carriers: freight cost goes from {r['before']['freight_cost_usd']} to "
        f"{r['after']['freight_cost_usd']} USD and expected late loads from {r['before']['expected_late_loads']} "
        f"to {r['after']['expected_late_loads']}, with {r['after']['unassigned_loads']} left without a carrier. "
        "Nothing was changed.\n\n" + table(["carrier", "loads taken"], [[c, n] for c, n in r["reassigned"].items()])
    )


def _closure(r: Result) -> str:
    text = (
        f"If {r['location']} closes from {r['first_day']} to {r['last_day']} ({counted(r['days'], 'day')}), "
        f"{r['orders_affected']} open orders ({r['units_affected']} units) and {r['routes_affected']} routes with "
        f"{r['stops_affected']} stops are hit, and {r['units_on_hand']} units of stock are locked in. "
        f"{r['orders_waiting']} orders would wait for the reopening. Nothing was changed."
    )
    if r["re_sourced"]:
        text += "\n\n" + table(
            ["ship from", "orders", "units", "extra miles"],
            [[s["dc"], s["orders"], s["units"], s["extra_miles"]] for s in r["re_sourced"]],
        )
    return text


def _decisions(r: Result) -> str:
    which = " ".join(value.replace("_", " ") for key, value in r["filters"].items() if key in ("status", "specialist"))
    about = [value for key, value in r["filters"].items() if key not in ("status", "specialist")]
    described = f"{which} decisions".strip().capitalize() + (f" about {', '.join(about)}" if about else "")
    if not r["decisions"]:
        return f"{described}: none."
    shown = "" if r["count"] == len(r["decisions"]) else f"; the newest {len(r['decisions'])} are listed"
    return f"{described}: {r['count']}{shown}.\n\n" + table(
        ["decision", "status", "specialist", "cost USD", "confidence"],
        [
            [d["decision_id"], d["status"].replace("_", " "), d.get("specialist") or "", d["cost_usd"], d["confidence"]]
            for d in r["decisions"]
        ],
    )


def _kpis(r: Result) -> str:
    statuses = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in sorted(r["by_status"].items())) or "none yet"
    automation = (
        f" {pct(r['automation_rate'])} of the acting decisions executed without a person."
        if r.get("automation_rate") is not None
        else ""
    )
    on_time = (
        f" {pct(r['on_time_rate'])} of the shipments delivered in the last {r['on_time_window_days']} days "
        "arrived by their promise."
        if r.get("on_time_rate") is not None
        else ""
    )
    return (
        f"{counted(r['open_exceptions'], 'exception')} open and {counted(r['decisions'], 'decision')} so far "
        f"({statuses}), with {r['executed_cost_usd']} USD of executed actions.{automation}{on_time}"
    )


def _decision(r: Result) -> str:
    status = r["status"].replace("_", " ")
    why = f" {r['justification']}" if r.get("justification") else ""
    missing = f" It still needs {', '.join(r['missing'])}." if r.get("missing") else ""
    return f"{r['decision_id']} ({r.get('specialist') or 'no specialist'}) is {status}.{why}{missing}"


TEMPLATES: dict[str, Callable[[Result], str]] = {
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
}


def answer(tool: str, result: Result) -> str:
    """The template answer to a tool's result."""
    return TEMPLATES[tool](result)


def drivers_answer(tool: str, evidence: list[dict[str, Any]]) -> str:
    """Why a result is what it is: the main drivers of the model outputs behind it, with their values."""
    parts = []
    for record in evidence:
        drivers = sorted(record.get("drivers") or [], key=lambda d: -abs(d["contribution"]))[:MAX_DRIVERS]
        if drivers:
            named = ", ".join(
                f"{d['feature']} {d['value']} ({d['contribution']:+g})"
                if d.get("value") is not None
                else f"{d['feature']} ({d['contribution']:+g})"
                for d in drivers
            )
            parts.append(f"For {record['id']}, the main drivers are {named}.")
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
