"""What a chat turn does: understand the message against the thread's memory, ask when unsure, stage acts behind a
confirmation (and a reason where the REST endpoint needs one), or call the tool that answers."""

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

YES = re.compile(
    r"^\W*(?:y|yes|yep|yeah|sure|ok|okay|confirm(?:ed)?|do\s+it|go\s+ahead|please\s+do)\W*$", re.IGNORECASE
)
NO = re.compile(r"^\W*(?:n|no|nope|cancel|stop|don'?t|never\s*mind|abort)\W*$", re.IGNORECASE)
HELP = (
    "I can show what is at risk at a DC, rank the riskiest trucks or shipments, forecast demand, give days of "
    "cover, compare carriers on a lane, give a shipment's status, test a carrier capacity cut or a DC closure, "
    "list and explain decisions, show the KPIs, approve, reject or override decisions, and log a problem you "
    "report."
)
REPORT_REFS = ("shipment_id", "sku", "location", "asset_id", "lane", "carrier")
NEEDS_REASON = ("reject_decision", "override_decision")  # as their REST endpoints
REPORT_NAMES = {
    "late_shipment": "late shipment",
    "stockout_risk": "stockout risk",
    "equipment_failure_risk": "equipment failure risk",
    "carrier_capacity": "carrier capacity shortfall",
    "demand_spike": "demand spike",
}
EXPLAINABLE = ("decision_id", "shipment_id", "sku", "asset_id", "carrier")
# Slots that play one role: a follow-up naming one replaces the others (e.g. "next week" after "for 4 weeks").
SAME_ROLE = {"period": {"horizon_weeks"}, "horizon_weeks": {"period"}, "carriers": {"carrier"}, "carrier": {"carriers"}}


class Pending(BaseModel):
    """An act waiting for the person's yes, and for its reason when it needs one."""

    tool: str
    args: dict[str, Any]
    question: str
    needs_reason: bool = False


class Memory(BaseModel):
    """What a thread remembers: the last intent, its slots, the last tool run, the last decision named, and an act
    waiting for confirmation."""

    intent: str | None = None
    slots: dict[str, Any] = Field(default_factory=dict)
    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    decision_id: str | None = None
    pending: Pending | None = None


class Plan(BaseModel):
    """What a turn does: call a tool (`drivers` to answer why with its drivers) or just reply."""

    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    reply: str | None = None
    drivers: bool = False


def period_start(now: datetime, period: str | None) -> datetime:
    """The start of a period a message names, on the twin's clock (now when none)."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    starts = {"tomorrow": day + timedelta(days=1), "next_week": day + timedelta(days=7 - day.weekday())}
    return starts.get(period, now)


def period_end(now: datetime, period: str | None) -> datetime | None:
    """The end of a period a message names, on the twin's clock."""
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    ends = {
        "today": day + timedelta(days=1),
        "tomorrow": day + timedelta(days=2),
        "this_week": day + timedelta(days=7 - day.weekday()),
        "next_week": day + timedelta(days=14 - day.weekday()),
    }
    return ends.get(period)


def _weeks(slots: dict[str, Any]) -> dict[str, int]:
    """The weeks-ahead argument a message asks for, if any."""
    if "horizon_weeks" in slots:
        return {"horizon_weeks": slots["horizon_weeks"]}
    weeks = {"next_week": 2, "this_week": 1, "today": 1, "tomorrow": 1}.get(slots.get("period"))
    return {"horizon_weeks": weeks} if weeks else {}


def tool_call(intent: str, slots: dict[str, Any], now: datetime) -> Plan:
    """The tool and arguments that serve a reading intent with its slots."""
    location = slots.get("location")
    if intent == "risks_at_location":
        return Plan(tool="risks_at_location", args={"location": location, **_weeks(slots)})
    if intent == "top_risks":
        if slots.get("kind") == "skus":
            return Plan(tool="stock_risks", args={"location": location, "top": slots.get("top", 5)})
        if slots.get("kind") in ("trucks", None) and not (slots.get("origin") or slots.get("destination")):
            return Plan(tool="fleet_service_priority", args={"location": location, "top": slots.get("top", 5)})
        due = period_end(now, slots.get("period"))
        return Plan(
            tool="shipment_risks",
            args={
                "origin": slots.get("origin") or location,
                "destination": slots.get("destination"),
                "top": slots.get("top", 5),
                "due_by": due.isoformat() if due else None,
            },
        )
    if intent == "forecast_demand":
        return Plan(tool="forecast_demand", args={"sku": slots.get("sku"), "location": location, **_weeks(slots)})
    if intent == "days_of_cover":
        return Plan(tool="days_of_cover", args={"sku": slots.get("sku"), "location": location})
    if intent == "what_if_capacity":
        start = period_start(now, slots.get("period"))
        return Plan(
            tool="what_if_capacity",
            args={
                "carrier": slots.get("carrier"),
                "lane": slots.get("lane"),
                "capacity_cut_pct": slots.get("capacity_cut_pct"),
                "week_of": start.date().isoformat(),
            },
        )
    if intent == "what_if_closure":
        start = period_start(now, slots.get("period"))
        return Plan(
            tool="what_if_closure",
            args={"location": location, "days": slots.get("days", 1), "first_day": start.date().isoformat()},
        )
    if intent in ("compare_carriers", "on_time_rate"):
        carriers = slots.get("carriers") or ([slots["carrier"]] if slots.get("carrier") else [])
        return Plan(tool="compare_carriers", args={"carriers": carriers, "lane": slots.get("lane")})
    if intent == "shipment_status":
        return Plan(tool="shipment_status", args={"shipment_id": slots.get("shipment_id")})
    if intent == "list_decisions":
        return Plan(
            tool="list_decisions",
            args={
                k: slots.get(k)
                for k in ("status", "specialist", "shipment_id", "sku", "asset_id", "carrier", "location")
            },
        )
    if intent == "explain_decision":
        return Plan(tool="explain_decision", args={k: slots[k] for k in EXPLAINABLE if slots.get(k)})
    if intent == "kpis":
        return Plan(tool="kpis", args={})
    return Plan(reply=HELP)


def clarify(reading: Reading) -> str:
    """One clarifying question naming the two likeliest readings."""
    return (
        f"Do you want {LABELS[reading.intent]} or {LABELS[reading.runner_up]}? "
        "Say it in a few more words, with the codes it is about."
    )


def plan_turn(text: str, memory: Memory, now: datetime, can_act: dict[str, bool]) -> tuple[Plan, Memory]:
    """What to do with a message read offline, and the thread's memory after it."""
    memory = memory.model_copy(deep=True)
    if memory.pending is not None:
        return answer_pending(text, memory)
    reading = understand(text)
    if reading.abstained:
        return Plan(reply=clarify(reading)), memory
    intent, slots = reading.intent, reading.slots.present()
    if intent == "follow_up":
        if memory.intent is None:
            return Plan(reply="What should I look at? " + HELP), memory
        changed = framed(memory.intent, Slots(**slots)).present()
        kept = {k: v for k, v in memory.slots.items() if not (k in SAME_ROLE and SAME_ROLE[k] & changed.keys())}
        intent, slots = memory.intent, {**kept, **changed}
    if slots.get("region") and not slots.get("location"):
        first, second = REGIONS[slots["region"]]
        return Plan(
            reply=f"Texas has two DCs, {first} (Dallas) and {second} (Houston): which one?",
            args={"region": slots["region"], "dcs": [first, second]},
        ), memory
    if intent == "explain_decision" and not slots:
        if memory.tool and memory.tool not in ("explain_decision", "list_decisions", "kpis"):
            return Plan(tool=memory.tool, args=memory.args, drivers=True), memory
        slots = {"decision_id": memory.decision_id} if memory.decision_id else {}
    if intent in ACTS or intent.startswith(REPORT_PREFIX):
        return _stage_intent(intent, text, slots, memory, can_act)
    plan = tool_call(intent, slots, now)
    memory.intent, memory.slots = intent, slots
    if plan.tool:
        memory.tool, memory.args = plan.tool, plan.args
    return plan, memory


def _stage_intent(
    intent: str, text: str, slots: dict[str, Any], memory: Memory, can_act: dict[str, bool]
) -> tuple[Plan, Memory]:
    """The arguments of an act read from a message, staged."""
    if intent.startswith(REPORT_PREFIX):
        refs = {k: slots[k] for k in REPORT_REFS if k in slots}
        if "location" not in refs and (slots.get("origin") or slots.get("destination")):
            refs["location"] = slots.get("origin") or slots.get("destination")
        return stage(
            "report_exception",
            {"description": text, "type": intent.removeprefix(REPORT_PREFIX), **refs},
            memory,
            can_act,
        )
    args = {
        "decision_id": slots.get("decision_id") or memory.decision_id,
        "reason": read_reason(text, explicit_only=intent == "override_decision"),
    }
    if intent == "override_decision":
        args |= {
            "carrier": slots.get("carrier"),
            "alternative": bool(re.search(r"\balternative|\bother\s+option|\bsecond\s+option", text, re.IGNORECASE)),
        }
    return stage(intent, args, memory, can_act)


def stage(tool: str, args: dict[str, Any], memory: Memory, can_act: dict[str, bool]) -> tuple[Plan, Memory]:
    """Stage an act behind a yes/no (asking first for a missing decision or reason), or, for a role that may not
    act, run it at once so the tool refuses and names the roles that may."""
    args = {k: v for k, v in args.items() if v not in (None, False)}
    if not can_act.get(tool, False):
        return Plan(tool=tool, args=args), memory
    if tool == "report_exception":
        kind = REPORT_NAMES.get(str(args.get("type")), "exception")
        about = ", ".join(str(args[k]) for k in REPORT_REFS if k in args)
        article = "an" if kind[0] in "aeiou" else "a"
        question = f"Log this as {article} {kind}{' for ' + about if about else ''}? yes/no"
        memory.pending = Pending(tool=tool, args=args, question=question)
        return Plan(reply=question), memory
    if "decision_id" not in args:
        return Plan(reply="Which decision? Name it, e.g. DEC-1A2B3C4D5E6F."), memory
    memory.decision_id = args["decision_id"]
    pending = Pending(tool=tool, args=args, question=_verdict_question(tool, args))
    if tool in NEEDS_REASON and not args.get("reason"):
        pending.needs_reason = True
        memory.pending = pending
        return Plan(
            reply=f"Why {tool.removesuffix('_decision')} {args['decision_id']}? The reason is stored with the decision."
        ), memory
    memory.pending = pending
    return Plan(reply=pending.question), memory


def _verdict_question(tool: str, args: dict[str, Any]) -> str:
    """The confirmation question of a verdict."""
    verb = tool.removesuffix("_decision").capitalize()
    change = (
        f" with {args['carrier']}"
        if args.get("carrier")
        else " with its alternative"
        if args.get("alternative")
        else ""
    )
    reason = f" because {args['reason']}" if args.get("reason") else ""
    return f"{verb} {args['decision_id']}{change}{reason}? yes/no"


def answer_pending(text: str, memory: Memory) -> tuple[Plan, Memory]:
    """A reason, a yes or a no for the act waiting in the thread."""
    pending = memory.pending
    if NO.match(text):
        memory.pending = None
        return Plan(reply="Cancelled; nothing was done."), memory
    if pending.needs_reason:
        pending.args["reason"] = " ".join(text.split()).rstrip(".!")
        pending.needs_reason = False
        pending.question = _verdict_question(pending.tool, pending.args)
        return Plan(reply=pending.question), memory
    if YES.match(text):
        memory.pending = None
        return Plan(tool=pending.tool, args=pending.args), memory
    return Plan(reply=f"Please answer yes or no. {pending.question}"), memory
