"""What a chat turn does: understand the message against the thread's memory, ask when unsure, stage acts behind a
confirmation (and a reason where the REST endpoint needs one), or call the tool that answers."""

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from agents.language.query import Query, TradeOffSetting
from agents.language.reader import read, report_reading
from agents.language.slots import read_reason
from chat.compose import Step, steps_for
from chat.formatting import number
from chat.tools.tradeoff import refusal

YES = re.compile(
    r"^\W*(?:y|yes|yep|yeah|sure|ok|okay|confirm(?:ed)?|do\s+it|go\s+ahead|please\s+do)\W*$", re.IGNORECASE
)
NO = re.compile(r"^\W*(?:n|no|nope|cancel|stop|don'?t|never\s*mind|abort)\W*$", re.IGNORECASE)
HELP = (
    "I can give stock per DC, days of cover and forecasts; a shipment's status and late risk; a truck's status, "
    "work orders and next service, and the riskiest trucks; late counts and on-time rates per lane or carrier over "
    "a period; spend per action type; the autonomy rules; what-ifs on a copy of the twin (a DC closing, a carrier's "
    "capacity, a SKU's demand, a truck out of service); list, explain, approve, reject or override decisions; "
    "show today's plans and the trade-off, and set it if you are an architect; and log a problem you report."
)
MAX_ITEMS = 20
ORDINALS = {"first": 0, "second": 1, "third": 2, "last": -1, "worst": 0, "best": 0, "it": 0}
CODE_KEYS = (("DEC-", "decision_id"), ("TRK-", "truck"), ("SHP-", "shipment_id"))
SUBJECT_OF = {"decision_id": "decision", "truck": "truck", "shipment_id": "shipment"}
DEFAULT_MEASURE = {"decision": "explain", "truck": "status", "shipment": "status"}
READINGS_OF = {
    "sku": "its stock per DC, its forecast at a DC, or its days of cover",
    "truck": "its status, its work orders and next service, or its failure risk",
    "shipment": "its status and late risk, or why it is at risk",
    "decision": "why it was made, or to approve or reject it",
    "carrier": "its on-time rate, its late deliveries last week, or a capacity what-if",
    "lane": "its late deliveries over a period, or its carriers compared",
    "dc": "what is at risk there, its stock of a SKU, or a closure what-if",
}
MayAct = Callable[[str, dict[str, Any]], bool]  # whether the caller may do an act (a tool) with these arguments
REPORT_REFS = ("shipment_id", "sku", "location", "asset_id", "lane", "carrier")
NEEDS_REASON = ("reject_decision", "override_decision")  # as their REST endpoints
REPORT_NAMES = {
    "late_shipment": "late shipment",
    "stockout_risk": "stockout risk",
    "equipment_failure_risk": "equipment failure risk",
    "carrier_capacity": "carrier capacity shortfall",
    "demand_spike": "demand spike",
}


class Pending(BaseModel):
    """An act waiting for the person's yes, and for its reason when it needs one."""

    tool: str
    args: dict[str, Any]
    question: str
    needs_reason: bool = False


class Memory(BaseModel):
    """What a thread remembers: the last query, the items of the last list, the last tool run, the last decision
    named, and an act waiting for confirmation."""

    query: Query | None = None
    items: list[str] = Field(default_factory=list)
    tool: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    decision_id: str | None = None
    pending: Pending | None = None


class Plan(BaseModel):
    """What a turn does: the steps that answer each part of the message, or just a reply."""

    steps: list[Step] = Field(default_factory=list)
    reply: str | None = None


def plan_turn(text: str, memory: Memory, now: datetime, can_act: MayAct) -> tuple[Plan, Memory]:
    """What to do with a message: read it as typed queries against the thread's memory, point "the first one" or
    "it" at the last list's items, stage an act behind a yes, ask when a part names things without a question, and
    compose the tool calls that answer every other part."""
    memory = memory.model_copy(deep=True)
    if memory.pending is not None:
        return answer_pending(text, memory.pending, memory)
    reading = read(text, now.date(), memory.query)
    steps: list[Step] = []
    for part in reading.parts:
        part = resolve(part, memory)
        if part.kind == "clarify":
            return Plan(reply=clarify(part)), memory
        if part.kind == "act":
            return _stage_query(part, text, memory, can_act)
        if part.referent and part.subject == "decision" and not part.filters.decision_id:
            return Plan(reply=_which_decision(memory)), memory
        steps += steps_for(part, now)
        if part.kind in ("ask", "whatif"):
            memory.query = part
    if any(step.tool for step in steps):
        memory.tool = next(step.tool for step in reversed(steps) if step.tool)
        memory.args = next(step.args for step in reversed(steps) if step.tool)
    return Plan(steps=steps), memory


def remember_reading(text: str, memory: Memory, now: datetime) -> Memory:
    """The memory after a message a model answers: its last question's typed reading, with the thread's slots
    filled in, so the next turn (and the model's prompt) sees them."""
    memory = memory.model_copy(deep=True)
    parts = [resolve(part, memory) for part in read(text, now.date(), memory.query).parts]
    asked = [part for part in parts if part.kind in ("ask", "whatif")]
    if asked:
        memory.query = asked[-1]
    return memory


def _item(memory: Memory, referent: str | None) -> str | None:
    """The item of the last list a referent points at, if the list has it."""
    index = ORDINALS.get(referent or "")
    if index is None or not -len(memory.items) <= index < len(memory.items):
        return None
    return memory.items[index]


def resolve(query: Query, memory: Memory) -> Query:
    """A query pointing at an item of the last list ("the first one", "the worst one", "it") with that item's code
    in its filters; a verdict on "it" takes the thread's last decision."""
    if query.kind == "act" and query.subject == "decision" and not query.filters.decision_id:
        named = _item(memory, query.referent) if query.referent not in ("it", None) else None
        code = named or memory.decision_id or _item(memory, "first")
        if code and code.startswith("DEC-"):
            return query.model_copy(update={"filters": query.filters.model_copy(update={"decision_id": code})})
        return query
    code = _item(memory, query.referent)
    key = next((k for prefix, k in CODE_KEYS if code and code.startswith(prefix)), None)
    if key is None:
        return query
    subject = SUBJECT_OF[key]
    measure = query.measure if query.measure in _fits(subject) else DEFAULT_MEASURE[subject]
    return query.model_copy(
        update={"subject": subject, "measure": measure, "filters": query.filters.model_copy(update={key: code})}
    )


def _fits(subject: str) -> set[str]:
    """The measures a single item of a subject answers."""
    return {
        "decision": {"explain", "status"},
        "truck": {"status", "history", "work_orders", "next_service", "failure_risk"},
        "shipment": {"status", "late_risk", "drivers", "history"},
    }.get(subject, set())


def clarify(query: Query) -> str:
    """One question naming the readings the codes of the message allow."""
    f = query.filters
    named = f.sku or f.truck or f.shipment_id or f.decision_id or (f.carriers[0] if f.carriers else None) or f.lane
    readings = READINGS_OF.get(
        "sku"
        if f.sku
        else "truck"
        if f.truck
        else "shipment"
        if f.shipment_id
        else "decision"
        if f.decision_id
        else "carrier"
        if f.carriers
        else "lane"
        if f.lane
        else "dc",
    )
    what = named or (f.dcs[0] if f.dcs else "it")
    return f"What do you want to know about {what}: {readings}?"


def _stage_query(query: Query, text: str, memory: Memory, can_act: MayAct) -> tuple[Plan, Memory]:
    """The arguments of an act read as a typed query, staged."""
    f = query.filters
    if query.act == "report":
        kind, refs = report_reading(text)
        report_type = kind.value if kind else None
        return stage("report_exception", {"description": text, "type": report_type, **refs}, memory, can_act)
    if query.act == "set_tradeoff":
        setting = query.setting or TradeOffSetting()
        args = {"tier": f.tier, "lane": f.lane, "on_time": setting.on_time, "co2": setting.co2, "reason": text.strip()}
        return stage("set_tradeoff", args, memory, can_act)
    tool = f"{query.act}_decision"
    args = {
        "decision_id": f.decision_id or memory.decision_id,
        "reason": read_reason(text, explicit_only=tool == "override_decision"),
    }
    if tool == "override_decision":
        args |= {
            "carrier": f.carriers[0] if f.carriers else None,
            "alternative": bool(re.search(r"\balternative|\bother\s+option|\bsecond\s+option", text, re.IGNORECASE)),
        }
    return stage(tool, args, memory, can_act)


def stage(tool: str, args: dict[str, Any], memory: Memory, can_act: MayAct) -> tuple[Plan, Memory]:
    """Stage an act behind a yes/no (asking first for a missing decision or reason), or, for a role that may not
    act (or may not decide the decision named) or a trade-off that cannot be set as asked, run it at once so the
    tool refuses and says why."""
    args = {k: v for k, v in args.items() if v is not None and v is not False}  # a weight of 0 is kept
    if not can_act(tool, args) or (
        tool == "set_tradeoff" and refusal(args.get("on_time"), args.get("co2"), args.get("tier"))
    ):
        return Plan(steps=[Step(tool=tool, args=args)]), memory
    if tool == "set_tradeoff":
        memory.pending = Pending(tool=tool, args=args, question=_tradeoff_question(args))
        return Plan(reply=memory.pending.question), memory
    if tool == "report_exception":
        kind = REPORT_NAMES.get(str(args.get("type")), "exception")
        about = ", ".join(str(args[k]) for k in REPORT_REFS if k in args)
        article = "an" if kind[0] in "aeiou" else "a"
        question = f"Log this as {article} {kind}{' for ' + about if about else ''}? yes/no"
        memory.pending = Pending(tool=tool, args=args, question=question)
        return Plan(reply=question), memory
    if "decision_id" not in args:
        return Plan(reply=_which_decision(memory)), memory
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


def _tradeoff_question(args: dict[str, Any]) -> str:
    """The confirmation question of a trade-off change: its scope and the weights it sets."""
    tier = f"{args['tier']} customers" if args.get("tier") else "any tier"
    weights = [
        f"{name} weighted {number(args[key])}"
        for key, name in (("on_time", "late penalties"), ("co2", "CO2"))
        if key in args
    ]
    kept = "" if len(weights) == 2 else f" ({'CO2' if 'on_time' in args else 'late-penalty'} weight as it is)"
    return (
        f"Set the trade-off for {tier} on {args.get('lane', 'any lane')}: {' and '.join(weights)} against freight{kept}? "
        "yes/no"
    )


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


def answer_pending(text: str, pending: Pending, memory: Memory) -> tuple[Plan, Memory]:
    """A reason, a yes or a no for the act waiting in the thread (`pending`, held in its memory)."""
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
        return Plan(steps=[Step(tool=pending.tool, args=pending.args)]), memory
    return Plan(reply=f"Please answer yes or no. {pending.question}"), memory


def _which_decision(memory: Memory) -> str:
    """Ask which decision, naming the ones the thread last listed."""
    listed = [code for code in memory.items if code.startswith("DEC-")][:3]
    if listed:
        return f"Which decision: {', '.join(listed)}?"
    return "Which decision? Name its id (it starts with DEC-), or ask for the pending decisions first."


def remember_items(memory: Memory, result: dict[str, Any]) -> None:
    """Keep the codes of a list answer, in the order shown, for "the first one", "it" or "the worst one"."""
    for value in result.values():
        if isinstance(value, list) and all(isinstance(row, dict) for row in value):
            memory.items = [code for code in map(_code, value) if code][:MAX_ITEMS]
            return


def _code(row: dict[str, Any]) -> str | None:
    """The code naming one row of a list."""
    for key in ("decision_id", "asset_id", "shipment_id", "sku"):
        if isinstance(row.get(key), str):
            return row[key]
    return None
