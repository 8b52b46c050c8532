"""What-if analysis: a carrier's capacity cut re-tendered by the CP-SAT solver on a copy of the twin's situation,
with the freight cost, expected late loads and open loads before and after. Nothing is written to the twin."""

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import select

from agents.routing import capacity_shortfall
from agents.toolbox import Toolbox
from agents.twin_facts import TWIN_SOURCE
from tools.evidence import Evidence
from twin import models as m
from twin import store


class CapacitySituation(BaseModel):
    """A snapshot of what the re-tender needs: the carrier's offers, every offer on those lanes, lane distances,
    the weekly loads per (carrier, lane) and each carrier's weekly capacity."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    carrier: str
    lane: str | None = None
    own: list[m.CarrierLane]
    offers: dict[str, list[m.CarrierLane]]
    lanes: dict[str, m.Lane]
    week: dict[tuple[str, str], float]
    capacity: dict[str, int]


class Kpis(BaseModel):
    """The figures a capacity plan is judged by, over the loads the cut displaces."""

    freight_cost_usd: float
    expected_late_loads: float
    unassigned_loads: int


class CapacityWhatIf(BaseModel):
    """The displaced loads with the carrier at full capacity (before) and re-tendered by the solver (after)."""

    carrier: str
    capacity_cut_pct: float
    lane: str | None = None
    loads_displaced: int
    before: Kpis
    after: Kpis
    change: Kpis
    reassigned: dict[str, int] = Field(description="Loads each other carrier takes in the solver's plan.")
    solver_status: str
    evidence: list[Evidence]


def read_situation(tb: Toolbox, carrier: str, lane: str | None = None) -> CapacitySituation:
    """Copy the carrier's offers (on one lane, or all), the competing offers and the recent weekly loads."""
    with tb.session() as session:
        own = store.carrier_lanes(session, carrier=carrier, lane=lane)
        return CapacitySituation(
            carrier=carrier, lane=lane, own=own,
            offers={offer.lane: store.carrier_lanes(session, lane=offer.lane) for offer in own},
            lanes={row.code: row for row in session.exec(select(m.Lane)).all()},
            week=store.weekly_loads(session, tb.now()),
            capacity={row.code: row.capacity_per_week for row in session.exec(select(m.Carrier)).all()},
        )


def capacity_cut(situation: CapacitySituation, cut_pct: float) -> CapacityWhatIf | None:
    """Re-run the re-tender for a cut of the carrier's capacity; None when the cut displaces no load."""
    analysis = capacity_shortfall(situation.carrier, situation.own, situation.offers, situation.lanes, situation.week,
                                  situation.capacity, cut_pct)
    if analysis is None:
        return None
    assignment, original_cost, loads = analysis
    on_time = {offer.lane: offer.on_time_rate for offer in situation.own}
    before = Kpis(freight_cost_usd=round(original_cost, 2),
                  expected_late_loads=round(sum(1 - on_time[load.lane] for load in loads), 4), unassigned_loads=0)
    after = Kpis(freight_cost_usd=assignment.freight_cost_usd, expected_late_loads=assignment.expected_late_loads,
                 unassigned_loads=len(assignment.unassigned))
    reassigned: dict[str, int] = {}
    for load in assignment.loads:
        if load.carrier:
            reassigned[load.carrier] = reassigned.get(load.carrier, 0) + 1
    own = Evidence(
        id=f"twin:carrier-loads:{situation.carrier}", source=TWIN_SOURCE,
        inputs={"carrier": situation.carrier, "lane": situation.lane},
        facts={"weekly_loads": {o.lane: situation.week.get((situation.carrier, o.lane), 0.0) for o in situation.own},
               "rate_per_mile": {o.lane: o.rate_per_mile for o in situation.own},
               "on_time_rate": on_time, "before": before.model_dump()},
    )
    return CapacityWhatIf(
        carrier=situation.carrier, capacity_cut_pct=cut_pct, lane=situation.lane,
        loads_displaced=len(loads), before=before, after=after,
        change=Kpis(freight_cost_usd=round(after.freight_cost_usd - before.freight_cost_usd, 2),
                    expected_late_loads=round(after.expected_late_loads - before.expected_late_loads, 4),
                    unassigned_loads=after.unassigned_loads - before.unassigned_loads),
        reassigned=dict(sorted(reassigned.items())), solver_status=assignment.status,
        evidence=[own, assignment.evidence],
    )
