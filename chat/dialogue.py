"""One offline chat turn: understand the message against the thread's memory, ask when unsure, confirm before
acting, call the tool, and answer in sentences checked against the tool's result."""

import json
import re
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field

from agents.slots import REGIONS, Slots, read_reason
from agents.understanding import (
    ACTS,
    LABELS,
    REPORT_PREFIX,
    Reading,
    framed,
    understand,
)
from agents.verify import verify_text
from tools.evidence import Evidence, Source

YES = re.compile(r"^\W*(?:y|yes|yep|yeah|sure|ok|okay|confirm(?:ed)?|do\s+it|go\s+ahead|please\s+do)\W*$", re.IGNORECASE)
NO = re.compile(r"^\W*(?:n|no|nope|cancel|stop|don'?t|never\s*mind|abort)\W*$", re.IGNORECASE)
HELP = ("I can show what is at risk at a DC, rank the riskiest trucks or shipments, forecast demand, give days of "
        "cover, compare carriers on a lane, give a shipment's status, test a carrier capacity cut, list and explain "
        "decisions, approve or reject them, and log a problem you report.")


class Pending(BaseModel):
    """An act waiting for the person's yes (and, for a rejection, a reason)."""

    tool: str
    args: dict[str, Any]
    question: str
    needs_reason: bool = False


class Memory(BaseModel):
    """What a thread remembers: the last intent, its slots, the last decision named, and a pending act."""

    intent: str | None = None
    slots: dict[str, Any] = Field(default_factory=dict)
    decision_id: str | None = None
    pending: Pending | None = None


class Plan(BaseModel):
    """What a turn does: call a tool, ask a question, or just answer."""

    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    reply: str | None = None


def _period_end(now: datetime, slots: dict[str, Any]) -> datetime | None:
    """The end of the period a message names, on the twin's clock."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    ends = {"today": day + timedelta(days=1), "tomorrow": day + timedelta(days=2),
            "this_week": day + timedelta(days=7 - day.weekday()), "next_week": day + timedelta(days=14 - day.weekday())}
    return ends.get(slots.get("period"))


def _weeks(slots: dict[str, Any]) -> int | None:
    """The weeks ahead a message asks for."""
    if "horizon_weeks" in slots:
        return slots["horizon_weeks"]
    return {"next_week": 2, "this_week": 1, "today": 1, "tomorrow": 1}.get(slots.get("period"))


def _tool_call(intent: str, slots: dict[str, Any], now: datetime) -> Plan:
    """The tool and arguments that serve an intent with its slots."""
    weeks = _weeks(slots)
    location = slots.get("location")
    if intent == "risks_at_location":
        return Plan(tool="risks_at_location", args={"location": location, **({"horizon_weeks": weeks} if weeks else {})})
    if intent == "top_risks":
        if slots.get("kind") in ("trucks", None) and not (slots.get("origin") or slots.get("destination")):
            return Plan(tool="fleet_service_priority", args={"location": location, "top": slots.get("top", 5)})
        due = _period_end(now, slots)
        return Plan(tool="shipment_risks", args={"origin": slots.get("origin") or location,
                                                  "destination": slots.get("destination"), "top": slots.get("top", 5),
                                                  "due_by": due.isoformat() if due else None})
    if intent == "forecast_demand":
        return Plan(tool="forecast_demand", args={"sku": slots.get("sku"), "location": location,
                                                   **({"horizon_weeks": weeks} if weeks else {})})
    if intent == "days_of_cover":
        return Plan(tool="days_of_cover", args={"sku": slots.get("sku"), "location": location})
    if intent == "what_if_capacity":
        return Plan(tool="what_if_capacity", args={"carrier": slots.get("carrier"), "lane": slots.get("lane"),
                                                    "capacity_cut_pct": slots.get("capacity_cut_pct")})
    if intent in ("compare_carriers", "on_time_rate"):
        carriers = slots.get("carriers") or ([slots["carrier"]] if slots.get("carrier") else [])
        return Plan(tool="compare_carriers", args={"carriers": carriers, "lane": slots.get("lane")})
    if intent == "shipment_status":
        return Plan(tool="shipment_status", args={"shipment_id": slots.get("shipment_id")})
    if intent == "list_decisions":
        return Plan(tool="list_pending_approvals", args={})
    if intent == "explain_decision":
        return Plan(tool="explain_decision", args={k: slots[k] for k in ("decision_id", "shipment_id", "sku", "asset_id",
                                                                          "carrier") if slots.get(k)})
    return Plan(reply=HELP)


def plan_turn(text: str, memory: Memory, now: datetime, role_can_act: dict[str, bool]) -> tuple[Plan, Memory]:
    """What to do with a message, and the thread's memory after it."""
    memory = memory.model_copy(deep=True)
    if memory.pending is not None:
        return _answer_pending(text, memory)
    reading = understand(text)
    if reading.abstained:
        return Plan(reply=clarify(reading)), memory
    intent, slots = reading.intent, reading.slots.present()
    if intent == "follow_up" and memory.intent:
        intent, slots = memory.intent, {**memory.slots, **framed(memory.intent, Slots(**slots)).present()}
    elif intent == "follow_up":
        return Plan(reply="What should I look at? " + HELP), memory
    if intent == "explain_decision" and not slots:
        about = {k: v for k, v in memory.slots.items() if k in ("shipment_id", "sku", "asset_id", "carrier")}
        slots = {"decision_id": memory.decision_id} if memory.decision_id else about
    if slots.get("region") and not slots.get("location"):
        first, second = REGIONS[slots["region"]]
        return Plan(reply=f"Texas has two DCs, {first} (Dallas) and {second} (Houston): which one?"), memory
    if intent in ACTS or intent.startswith(REPORT_PREFIX):
        return _stage(intent, text, slots, memory, role_can_act)
    memory.intent, memory.slots = intent, slots
    return _tool_call(intent, slots, now), memory


def clarify(reading: Reading) -> str:
    """One clarifying question naming the two likeliest readings."""
    return (f"Do you want {LABELS[reading.intent]} or {LABELS[reading.runner_up]}? "
            "Say it in a few more words, with the codes it is about.")


def _stage(intent: str, text: str, slots: dict[str, Any], memory: Memory, role_can_act: dict[str, bool]) -> tuple[Plan, Memory]:
    """Stage an act behind a confirmation (and a reason for a rejection), or refuse it for the caller's role."""
    if intent.startswith(REPORT_PREFIX):
        kind = intent.removeprefix(REPORT_PREFIX)
        refs = {k: slots[k] for k in ("shipment_id", "sku", "location", "asset_id", "lane", "carrier") if k in slots}
        if "location" not in refs and slots.get("origin"):
            refs["location"] = slots["origin"]
        args = {"description": text, "type": kind, **refs}
        about = ", ".join(refs.values())
        question = f"Log this as a {kind.replace('_', ' ')}{' for ' + about if about else ''}? yes/no"
        tool = "report_exception"
    else:
        decision_id = slots.get("decision_id") or memory.decision_id
        if decision_id is None:
            return Plan(reply="Which decision? Name it, e.g. DEC-1A2B3C4D5E6F."), memory
        verb = intent.removesuffix("_decision")
        if verb == "override":
            return Plan(reply=f"An override replaces the actions of {decision_id}; edit them in the console or with "
                              "POST /v1/decisions/{id}/override, which also asks for the reason."), memory
        reason = read_reason(text)
        tool = f"{verb}_decision"
        args = {"decision_id": decision_id, **({"reason": reason} if reason else {})}
        question = f"{verb.capitalize()} {decision_id}{' because ' + reason if reason else ''}? yes/no"
        if verb == "reject" and not reason:
            memory.pending = Pending(tool=tool, args=args, question=question, needs_reason=True)
            return Plan(reply=f"Why reject {decision_id}? The reason is stored with the decision."), memory
    if not role_can_act.get(tool, False):
        return Plan(tool=tool, args=args), memory  # the tool itself refuses, naming the roles that may
    memory.pending = Pending(tool=tool, args=args, question=question)
    return Plan(reply=question), memory


def _answer_pending(text: str, memory: Memory) -> tuple[Plan, Memory]:
    """A reason, a yes or a no for the act waiting in the thread."""
    pending = memory.pending
    if NO.match(text):
        memory.pending = None
        return Plan(reply="Cancelled; nothing was done."), memory
    if pending.needs_reason:
        pending.args["reason"] = text.strip()
        pending.needs_reason = False
        pending.question = f"Reject {pending.args['decision_id']} because {text.strip()}? yes/no"
        return Plan(reply=pending.question), memory
    if YES.match(text):
        memory.pending = None
        return Plan(tool=pending.tool, args=pending.args), memory
    return Plan(reply=f"Please answer yes or no. {pending.question}"), memory


# --- answers ---------------------------------------------------------------------------------------------------


def _pct(value: float) -> str:
    """A probability as a whole percentage."""
    return f"{round(value * 100)}%"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    """A small Markdown table."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def answer(tool: str, result: dict[str, Any]) -> str:
    """The template answer to a tool's result: sentences with the key figures and a table for lists."""
    if tool == "forecast_demand":
        total = result["total"]
        return (f"{result['sku']} at {result['location']} should sell about {total['p50']} units over the next "
                f"{result['horizon_weeks']} week(s) from {result['as_of']}, between {total['p10']} and {total['p90']} "
                "units (p10 to p90).\n\n" + _table(["week", "from", "to", "p50", "p90"], [
                    [w["week"], w["first_day"], w["last_day"], w["p50"], w["p90"]] for w in result["weeks"]]))
    if tool == "days_of_cover":
        return (f"{result['sku']} at {result['location']} has {result['available']} units available "
                f"({result['on_hand']} on hand), about {result['days_of_cover']} days of cover at the forecast "
                f"{result['daily_demand_p50']} units a day.")
    if tool == "compare_carriers":
        offers = result["offers"]
        best = offers[0]
        return (f"On {result['lane'] or 'their lanes'}, {best['carrier']} has the best on-time rate "
                f"({_pct(best['on_time_rate'])} on {best['lane']}).\n\n" + _table(
                    ["carrier", "lane", "on time", "USD/mile", "transit days", "capacity/week"],
                    [[o["carrier"], o["lane"], _pct(o["on_time_rate"]), o["rate_per_mile"], o["transit_days"],
                      o["capacity_per_week"]] for o in offers]))
    if tool == "shipment_status":
        risk = f" Its probability of arriving late is {_pct(result['p_late'])}." if result.get("p_late") is not None else ""
        when = f", delivered {result['eta'][:10]}" if result.get("eta") else ""
        return (f"{result['shipment_id']} is {result['status'].replace('_', ' ')} on {result['lane']}"
                f"{' with ' + result['carrier'] if result.get('carrier') else ''}{when}, promised for "
                f"{result['promised_at'][:10]}.{risk}")
    if tool == "shipment_risks":
        where = " ".join(x for x in (f"from {result['origin']}" if result.get("origin") else "",
                                     f"to {result['destination']}" if result.get("destination") else "") if x)
        rows = result["shipments"]
        if not rows:
            return f"No open shipment {where} is due in that period.".replace("  ", " ")
        return (f"Of {result['open_shipments']} open shipments {where}, these are the most likely to be late.\n\n"
                .replace("  ", " ") + _table(["shipment", "lane", "carrier", "P(late)", "promised"], [
                    [s["shipment_id"], s["lane"], s["carrier"] or "", _pct(s["p_late"]),
                     s["promised_at"][:10]] for s in rows]))
    if tool == "fleet_service_priority":
        rows = result["trucks"]
        lead = rows[0]
        return (f"{lead['asset_id']} is the riskiest truck: P(fail) {_pct(lead['p_fail'])} with "
                f"{lead['rul_days']} days of useful life left.\n\n" + _table(
                    ["truck", "DC", "P(fail)", "RUL days", "main drivers"],
                    [[t["asset_id"], t["dc"], _pct(t["p_fail"]), t["rul_days"], ", ".join(t["drivers"][:3])]
                     for t in rows]))
    if tool == "risks_at_location":
        shipments = ", ".join(s["shipment_id"] for s in result["riskiest_shipments"][:3]) or "none"
        stock = ", ".join(s["sku"] for s in result["stockout_risk"]) or "no SKU"
        trucks = ", ".join(t["asset_id"] for t in result["trucks_at_risk"]) or "no truck"
        return (f"At {result['location']} over {result['horizon_weeks']} week(s): {result['likely_late']} of "
                f"{result['open_shipments']} open shipments are likely late (riskiest {shipments}); {stock} may run "
                f"short; {trucks} may fail.")
    if tool == "what_if_capacity":
        return (f"If {result['carrier']} loses {result['capacity_cut_pct']}% of its capacity, "
                f"{result['loads_displaced']} loads move to other carriers: freight cost goes from "
                f"{result['before']['freight_cost_usd']} to {result['after']['freight_cost_usd']} USD and expected "
                f"late loads from {result['before']['expected_late_loads']} to "
                f"{result['after']['expected_late_loads']}; {result['after']['unassigned_loads']} stay unassigned. "
                "Nothing was changed.")
    if tool == "list_pending_approvals":
        if not result["pending"]:
            return "No decision is waiting for approval."
        return (f"{result['count']} decision(s) wait for approval.\n\n" + _table(
            ["decision", "specialist", "cost USD", "confidence"],
            [[p["decision_id"], p["specialist"], p["cost_usd"], p["confidence"]] for p in result["pending"]]))
    if tool in ("explain_decision", "report_exception", "approve_decision", "reject_decision"):
        status = result["status"].replace("_", " ")
        why = f" {result['justification']}" if result.get("justification") and tool != "reject_decision" else ""
        return f"{result['decision_id']} ({result.get('specialist') or 'no specialist'}) is {status}.{why}"
    return "Done."


def failure(tool: str, message: str) -> str:
    """A tool error as a plain sentence."""
    return f"I could not do that: {message.rstrip('.')}."


def verified(text: str, results: list[Any]) -> bool:
    """Whether every number, code and date of an answer is in the turn's tool results (the justification verifier)."""
    facts = Evidence(id="chat:turn", source=Source(tool="chat", model="tools", version="1"),
                     facts={"results": json.loads(json.dumps(results, default=str))})
    return verify_text(text, [facts]).ok
