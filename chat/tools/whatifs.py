"""Chat what-ifs played on copies of the situation: a carrier losing capacity, a DC closed for some days."""

from datetime import date

from langchain_core.tools import ToolException
from pydantic import BaseModel, Field
from sqlalchemy import select

from agents.toolbox import Toolbox
from agents.whatif import CapacityWhatIf, ClosureWhatIf, capacity_cut, read_situation, site_closure
from chat.tools.arguments import checked_all, dc_or_ask, missing
from twin import models as m

MAX_CLOSURE_DAYS = 28


class WhatIfArgs(BaseModel):
    """A carrier, the share of its capacity it loses, optionally one of its lanes, and the week it starts."""

    carrier: str | None = Field(default=None, description="A carrier, e.g. CAR-REDRIVER.")
    capacity_cut_pct: float | None = Field(default=None, description="Capacity lost, in percent (0 to 100).")
    lane: str | None = Field(
        default=None, description="One lane of the carrier, e.g. DAL-HOU; all its lanes when absent."
    )
    week_of: date | None = Field(
        default=None, description="The first day of the week the cut hits; this week when absent."
    )


class ClosureArgs(BaseModel):
    """A DC, how many days it is closed and from which day."""

    location: str | None = Field(default=None, description="A DC code, e.g. DC-HOU.")
    days: int = Field(default=1, description="Days closed, 1 to 28.")
    first_day: date | None = Field(default=None, description="The first day closed; today when absent.")


def what_if_capacity(tb: Toolbox, args: WhatIfArgs) -> CapacityWhatIf:
    """What if a carrier loses part of its capacity: its displaced loads re-tendered by the solver on a copy of
    the situation, with freight cost, expected late loads and open loads before and after (nothing changes)."""
    with tb.session() as session:
        if args.carrier is None:
            raise missing("a carrier", [c.code for c in session.execute(select(m.Carrier)).scalars()])
        codes = checked_all(session, args)
    if args.capacity_cut_pct is None or not 0 < args.capacity_cut_pct <= 100:
        raise ToolException("give the capacity cut as a share between 0 and 100%, e.g. 30% or half")
    situation = read_situation(tb, codes["carrier"], codes.get("lane"))
    if not situation.own:
        raise ToolException(f"{codes['carrier']} has no contract on {codes.get('lane', 'any lane')}")
    result = capacity_cut(situation, args.capacity_cut_pct)
    if result is None:
        raise ToolException(f"a {args.capacity_cut_pct}% cut displaces none of {codes['carrier']}'s recent loads")
    return result.model_copy(update={"week_of": args.week_of or tb.now().date()})


def what_if_closure(tb: Toolbox, args: ClosureArgs) -> ClosureWhatIf:
    """What if a DC closes for some days: the orders, stock and routes it touches, and the orders re-sourced to
    the nearest DC with stock (nothing changes)."""
    if not 1 <= args.days <= MAX_CLOSURE_DAYS:
        raise ToolException(f"a closure lasts 1 to {MAX_CLOSURE_DAYS} days, not {args.days}")
    with tb.session() as session:
        dc = dc_or_ask(session, args.location)
    return site_closure(tb, dc, args.first_day or tb.now().date(), args.days)
