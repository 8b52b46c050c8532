"""The routing specialist's answer to a carrier capacity shortfall: its loads re-tendered to other carriers by
CP-SAT assignment, against the spot market or holding them."""

from collections.abc import Mapping

from sqlmodel import select

from agents.explain import format_number, format_usd
from agents.proposal import PlanOption, Proposal, compare_plans, decided, needs_info
from agents.schemas import Claim, Impact, Refs
from agents.toolbox import Toolbox
from agents.twin_facts import lookup, rates
from tools import carriers, costs, load_assignment
from tools.costs import Rates
from tools.evidence import Evidence, Source
from twin import actions as a
from twin import models as m
from twin import store

CAPACITY_RATES = ["spot_premium_share", "spot_late_share", "late_load_penalty_usd"]
CUT_ASSUMPTION = Source(tool="assumption", model="capacity_cut", version="1")


def carrier_capacity(tb: Toolbox, refs: Refs, cut_pct: float | None = None) -> Proposal:
    """Re-tender the loads a carrier cannot take this week to other carriers with capacity left, by CP-SAT assignment;
    with no cut given, the whole weekly volume is re-tendered, stated as an assumption."""
    now = tb.now()
    with tb.session() as session:
        carrier = session.get(m.Carrier, refs.carrier)
        found = lookup("carrier", refs.carrier, carrier)
        if carrier is None:
            return needs_info("routing", ["carrier"], f"Carrier {refs.carrier} is not in the twin.", found)
        week = store.weekly_loads(session, now)
        own = store.carrier_lanes(session, carrier=carrier.code, lane=refs.lane)
        lanes = {lane.code: lane for lane in session.exec(select(m.Lane)).all()}
        offers = {offer.lane: store.carrier_lanes(session, lane=offer.lane) for offer in own}
        remaining = store.remaining_capacity(session, now, week)
        price = rates(session)
    assumed = cut_pct is None
    cut, cut_record = _capacity_cut(carrier.code, cut_pct)
    analysis = capacity_shortfall(carrier.code, own, offers, lanes, week, remaining, cut)
    if analysis is None:
        return needs_info(
            "routing", [], f"Carrier {carrier.code} has no recent loads to re-tender.", found, status="no_action"
        )
    assignment, original_cost, loads = analysis
    rate_record = price.evidence(CAPACITY_RATES)
    options = _capacity_options(carrier.code, cut, assignment, original_cost, loads, price)
    confidence = 1 - assignment.expected_late_loads / max(1, len(loads))
    chosen, alternatives, plan = compare_plans(
        f"{carrier.code}-capacity",
        options,
        confidence,
        {"loads": len(loads), "capacity_cut_pct": cut, "original_cost_usd": round(original_cost, 2)},
    )
    stated = "is assumed to lose" if assumed else "loses"
    findings = [
        Claim(
            text=f"{carrier.code} {stated} {format_number(cut)}% of its capacity: {len(loads)} loads a week "
            f"need another carrier.",
            evidence_ids=[plan.id, found.id, cut_record.id],
        ),
        Claim(
            text=f"CP-SAT assigns them for {format_usd(assignment.freight_cost_usd)} against "
            f"{format_usd(original_cost)} under contract, with "
            f"{format_number(assignment.expected_late_loads)} expected late loads.",
            evidence_ids=[assignment.evidence.id, plan.id],
        ),
    ]
    guidance = tb.guidance(f"{carrier.code} capacity shortfall, loads to re-tender", "carrier_capacity")
    return decided(
        "routing",
        chosen,
        alternatives,
        plan,
        [found, cut_record, rate_record, assignment.evidence, guidance],
        findings,
        f"Chosen: {chosen.name} for {carrier.code}.",
        confidence,
    )


def _capacity_cut(carrier: str, cut_pct: float | None) -> tuple[float, Evidence]:
    """The capacity cut to plan for and its evidence: the cut stated in the report, else all of it (an assumption)."""
    assumed = cut_pct is None
    cut = 100.0 if cut_pct is None else cut_pct
    return cut, Evidence(
        id=f"assumption:capacity_cut:{carrier}",
        source=CUT_ASSUMPTION,
        inputs={"stated_cut_pct": cut_pct},
        facts={
            "capacity_cut_pct": cut,
            "assumed": assumed,
            "rule": "no cut stated: the whole weekly volume is re-tendered (SOP-CAP-01 worst case)"
            if assumed
            else "the cut stated in the report",
        },
    )


def _capacity_options(
    carrier: str,
    cut: float,
    assignment: load_assignment.LoadAssignment,
    original_cost: float,
    loads: list[load_assignment.Load],
    price: Rates,
) -> list[PlanOption]:
    """The three answers to a carrier's cut: re-tender its loads to contract carriers, book the spot market, or
    hold the loads a week."""
    extra = round(assignment.freight_cost_usd - original_cost, 2)
    premium = round(costs.spot_move(price, original_cost) - original_cost, 2)
    return [
        PlanOption(
            name="re-tender to contract carriers",
            expected_penalty_usd=costs.late_loads(price, assignment.expected_late_loads + len(assignment.unassigned)),
            actions=[
                a.RetenderLoads(
                    params=a.RetenderLoadsParams(
                        from_carrier=carrier,
                        capacity_cut_pct=cut,
                        cost_usd=max(0.0, extra),
                        assignments=[
                            a.LoadAssignment(load_id=load.load_id, lane=load.lane, carrier=load.carrier)
                            for load in assignment.loads
                            if load.carrier
                        ],
                    )
                )
            ],
            impact=Impact.model_validate(
                {
                    "loads": len(loads),
                    "loads_unassigned": len(assignment.unassigned),
                    "saving_usd": max(0.0, -extra) or None,
                }
            ),
            feasible=len(assignment.unassigned) < len(loads),
            infeasible_reason="no other carrier has capacity left for these loads this week",
        ),
        PlanOption(
            name="spot market",
            expected_penalty_usd=costs.late_loads(price, len(loads) * price["spot_late_share"]),
            actions=[a.BookSpot(params=a.BookSpotParams(from_carrier=carrier, loads=len(loads), cost_usd=premium))],
            impact=Impact.model_validate({"loads": len(loads)}),
        ),
        PlanOption(
            name="hold loads a week",
            expected_penalty_usd=costs.late_loads(price, len(loads)),
            impact=Impact.model_validate({"loads": len(loads)}),
        ),
    ]


def capacity_shortfall(
    carrier: str,
    own: list[m.CarrierLane],
    offers: dict[str, list[m.CarrierLane]],
    lanes: dict[str, m.Lane],
    week: dict[tuple[str, str], float],
    remaining: Mapping[str, float],
    cut_pct: float,
) -> tuple[load_assignment.LoadAssignment, float, list[load_assignment.Load]] | None:
    """The loads a capacity cut displaces and their CP-SAT assignment to the other carriers' remaining capacity."""
    loads, original_cost = [], 0.0
    for offer in own:
        displaced = round(week.get((carrier, offer.lane), 0.0) * cut_pct / 100)
        miles = lanes[offer.lane].distance_miles
        loads += [
            load_assignment.Load(load_id=f"{offer.lane}#{k + 1}", lane=offer.lane, miles=miles)
            for k in range(displaced)
        ]
        original_cost += displaced * offer.rate_per_mile * miles
    if not loads:
        return None
    options = [
        carriers.CarrierOption.of(o, int(remaining.get(o.carrier, 0.0)))
        for lane_offers in offers.values()
        for o in lane_offers
        if o.carrier != carrier
    ]
    problem = load_assignment.AssignmentProblem(loads=loads, options=options)
    return load_assignment.assign_loads(problem, time_limit_s=5.0), original_cost, loads
