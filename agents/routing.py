"""The routing and carriers specialist: late shipments, carrier capacity shortfalls, re-plans of a truck's stops."""

from datetime import datetime

import pandas as pd

from agents.explain import describe_drivers, format_number, format_usd
from agents.proposal import Handoff, PlanOption, Proposal, compare_plans, decided, needs_info, pct
from agents.schemas import Action, Claim, Impact, Refs
from agents.toolbox import Toolbox
from agents.twin_facts import lookup
from tools import carriers, routing
from tools.evidence import Evidence
from tools.late_risk import LateRisk, score_shipments
from twin import frames, store
from twin import models as m

LATE_PENALTY_USD = {"gold": 1500.0, "silver": 750.0, "standard": 300.0}  # SOP-TIER-01 expedite limits
NOTIFIED_PENALTY_SHARE = 0.8  # a customer told early bears 80% of the cost of a late delivery
NOTIFY_COST_USD = 25.0  # dispatcher time to call the customer and agree a new appointment
EXPEDITE_BASE_USD, EXPEDITE_PER_MILE_USD, EXPEDITE_HOURS_SAVED_SHARE = 150.0, 0.75, 0.3
SPOT_PREMIUM = 1.25  # SOP-CAP-01: spot freight runs about 25% over contract
OWN_FLEET_USD_PER_MILE, OWN_FLEET_SPEED_MPH = 1.9, 30.0
STOP_SERVICE_MIN, SHIFT = 20.0, (420.0, 1080.0)


def _score(tb: Toolbox, frame: pd.DataFrame, label: str | None = None) -> LateRisk:
    """Late risk of a one-row shipment frame; a labelled what-if gets its own evidence id."""
    risk = score_shipments(tb.models.late, frame)[0]
    if label:
        risk.evidence.id = f"{risk.evidence.id}:{label}"
        risk.evidence.inputs["scenario"] = label
    return risk


def late_shipment(tb: Toolbox, refs: Refs) -> Proposal:
    """Score a shipment's late risk and choose between expediting, switching carrier, notifying, or nothing."""
    with tb.session() as session:
        shipment = session.get(m.Shipment, refs.shipment_id)
        found = lookup("shipment", refs.shipment_id, shipment)
        if shipment is None:
            return needs_info("routing", ["shipment_id"], f"Shipment {refs.shipment_id} is not in the twin.", found)
        tier = store.customer_tier(session, shipment.destination)
        frame = frames.shipment_frame(session, ids=[shipment.id])
        offers = store.carrier_lanes(session, lane=shipment.lane)
    found.facts.update(customer_tier=tier, due=f"{shipment.promised_at:%Y-%m-%d %H:%M}")
    if shipment.status == "delivered":
        return needs_info("routing", [], f"Shipment {shipment.id} is already delivered; nothing to recover.", found,
                          status="no_action")
    risk = _score(tb, frame)
    penalty = LATE_PENALTY_USD[tier]
    found.facts["late_penalty_usd"] = penalty
    hours_saved = round(float(frame["planned_transit_hours"].iat[0]) * EXPEDITE_HOURS_SAVED_SHARE, 1)
    expedited = _score(tb, frame.assign(slack_hours=frame["slack_hours"] + hours_saved), "expedited")
    expedited.evidence.inputs["hours_saved"] = hours_saved
    expedite_cost = round(EXPEDITE_BASE_USD + EXPEDITE_PER_MILE_USD * shipment.distance_miles + NOTIFY_COST_USD, 2)
    notify = Action(type="notify_customer", params={"shipment_id": shipment.id, "customer": shipment.destination})
    options = [
        PlanOption(name="expedite final leg", cost_usd=expedite_cost,
                   expected_penalty_usd=expedited.p_late * penalty * NOTIFIED_PENALTY_SHARE,
                   actions=[Action(type="expedite_shipment", params={"shipment_id": shipment.id,
                                                                     "hours_saved": hours_saved}), notify],
                   impact=Impact(late_deliveries_avoided=round(risk.p_late - expedited.p_late, 2))),
        PlanOption(name="notify customer", cost_usd=NOTIFY_COST_USD, actions=[notify],
                   expected_penalty_usd=risk.p_late * penalty * NOTIFIED_PENALTY_SHARE, impact=Impact()),
        PlanOption(name="no action", cost_usd=0.0, actions=[], expected_penalty_usd=risk.p_late * penalty,
                   impact=Impact()),
    ]
    evidence = [found, risk.evidence, expedited.evidence,
                tb.guidance(f"late shipment {shipment.id} on lane {shipment.lane}", "late_shipment")]
    switch = _carrier_switch(tb, shipment, frame, offers, penalty)
    if switch:
        option, switch_evidence = switch
        options.append(option)
        evidence.extend(switch_evidence)
    confidence = max(risk.p_late, 1 - risk.p_late)
    chosen, alternatives, plan = compare_plans(shipment.id, options, confidence)
    findings = [
        Claim(text=f"Shipment {shipment.id} on lane {shipment.lane} is due at "
                   f"{found.facts['due']} UTC for a {tier} customer.", evidence_ids=[found.id]),
        Claim(text=f"The late-risk model puts P(late) at {pct(risk.p_late)}; top drivers: "
                   f"{describe_drivers(risk.drivers)}.", evidence_ids=[risk.evidence.id]),
        Claim(text=f"Expediting saves {format_number(hours_saved)} hours and lowers P(late) to "
                   f"{pct(expedited.p_late)} for {format_usd(expedite_cost)}.",
              evidence_ids=[expedited.evidence.id, plan.id]),
    ]
    return decided("routing", chosen, alternatives, plan, evidence, findings,
                   f"Chosen: {chosen.name} for {shipment.id}.", confidence)


def _carrier_switch(tb: Toolbox, shipment: m.Shipment, frame: pd.DataFrame, offers: list[m.CarrierLane],
                    penalty: float) -> tuple[PlanOption, list[Evidence]] | None:
    """Hand the rest of the trip to the best other carrier on the lane, scored by the late-risk model."""
    others = [offer for offer in offers if offer.carrier != shipment.carrier]
    if not shipment.carrier or not others:
        return None
    options = []
    for offer in others:
        what_if = _score(tb, frame.assign(carrier=offer.carrier), f"carrier={offer.carrier}")
        options.append(carriers.CarrierOption(carrier=offer.carrier, lane=offer.lane, rate_per_mile=offer.rate_per_mile,
                                              on_time_prob=round(1 - what_if.p_late, 4),
                                              capacity_loads=offer.capacity_per_week))
    ranking = carriers.rank_carriers(options, miles=shipment.distance_miles / 2)
    best = next(option for option in options if option.carrier == ranking.chosen)
    cost = round(best.cost(shipment.distance_miles / 2), 2)
    return PlanOption(
        name=f"switch to {best.carrier}", cost_usd=cost,
        expected_penalty_usd=(1 - best.on_time_prob) * penalty * NOTIFIED_PENALTY_SHARE,
        actions=[Action(type="switch_carrier", params={"shipment_id": shipment.id, "from_carrier": shipment.carrier,
                                                       "to_carrier": best.carrier})],
        impact=Impact(),
    ), [ranking.evidence]


def carrier_capacity(tb: Toolbox, refs: Refs, cut_pct: float = 100.0) -> Proposal:
    """Re-tender the loads a carrier cannot take next week to other carriers, by CP-SAT assignment."""
    with tb.session() as session:
        carrier = session.get(m.Carrier, refs.carrier)
        found = lookup("carrier", refs.carrier, carrier)
        if carrier is None:
            return needs_info("routing", ["carrier"], f"Carrier {refs.carrier} is not in the twin.", found)
        week = store.weekly_loads(session, tb.now())
        own = store.carrier_lanes(session, carrier=carrier.code, lane=refs.lane)
        lanes = {lane.code: lane for lane in session.exec(m.Lane.__table__.select()).all()}
        offers = {offer.lane: store.carrier_lanes(session, lane=offer.lane) for offer in own}
        capacity = {c.code: c.capacity_per_week for c in session.exec(m.Carrier.__table__.select()).all()}
    analysis = capacity_shortfall(carrier.code, own, offers, lanes, week, capacity, cut_pct)
    if analysis is None:
        return needs_info("routing", [], f"Carrier {carrier.code} has no recent loads to re-tender.", found,
                          status="no_action")
    assignment, original_cost, loads = analysis
    late_penalty = 500.0
    spot_cost = round(original_cost * SPOT_PREMIUM, 2)
    options = [
        PlanOption(name="re-tender to contract carriers", cost_usd=round(assignment.freight_cost_usd - original_cost, 2),
                   expected_penalty_usd=assignment.expected_late_loads * late_penalty
                   + len(assignment.unassigned) * late_penalty,
                   actions=[Action(type="retender_loads", params={
                       "from_carrier": carrier.code, "capacity_cut_pct": cut_pct,
                       "assignments": [{"load_id": a.load_id, "lane": a.lane, "carrier": a.carrier}
                                       for a in assignment.loads if a.carrier]})],
                   impact=Impact(loads=len(loads), loads_unassigned=len(assignment.unassigned)),
                   feasible=len(assignment.unassigned) < len(loads)),
        PlanOption(name="spot market", cost_usd=round(spot_cost - original_cost, 2),
                   expected_penalty_usd=len(loads) * 0.15 * late_penalty,
                   actions=[Action(type="book_spot", params={"from_carrier": carrier.code, "loads": len(loads)})],
                   impact=Impact(loads=len(loads))),
        PlanOption(name="hold loads a week", cost_usd=0.0, expected_penalty_usd=len(loads) * late_penalty,
                   actions=[], impact=Impact(loads=len(loads))),
    ]
    confidence = 1 - assignment.expected_late_loads / max(1, len(loads))
    chosen, alternatives, plan = compare_plans(f"{carrier.code}-capacity", options, confidence,
                                               {"loads": len(loads), "capacity_cut_pct": cut_pct,
                                                "original_cost_usd": round(original_cost, 2)})
    findings = [
        Claim(text=f"{carrier.code} loses {format_number(cut_pct)}% of its capacity: {len(loads)} loads a week "
                   f"need another carrier.", evidence_ids=[plan.id, found.id]),
        Claim(text=f"CP-SAT assigns them for {format_usd(assignment.freight_cost_usd)} with "
                   f"{format_number(assignment.expected_late_loads)} expected late loads.",
              evidence_ids=[assignment.evidence.id]),
    ]
    guidance = tb.guidance(f"{carrier.code} capacity shortfall, loads to re-tender", "carrier_capacity")
    return decided("routing", chosen, alternatives, plan, [found, assignment.evidence, guidance], findings,
                   f"Chosen: {chosen.name} for {carrier.code}.", confidence)


def capacity_shortfall(carrier: str, own: list[m.CarrierLane], offers: dict[str, list[m.CarrierLane]],
                       lanes: dict, week: dict[tuple[str, str], float], capacity: dict[str, int],
                       cut_pct: float) -> tuple[carriers.LoadAssignment, float, list[carriers.Load]] | None:
    """The loads a capacity cut displaces and their CP-SAT assignment to the other carriers with room left."""
    loads, original_cost = [], 0.0
    for offer in own:
        displaced = round(week.get((carrier, offer.lane), 0.0) * cut_pct / 100)
        miles = lanes[offer.lane].distance_miles
        loads += [carriers.Load(load_id=f"{offer.lane}#{k + 1}", lane=offer.lane, miles=miles) for k in range(displaced)]
        original_cost += displaced * offer.rate_per_mile * miles
    if not loads:
        return None
    used = {}
    for (other, _lane), count in week.items():
        used[other] = used.get(other, 0.0) + count
    options = [
        carriers.CarrierOption(carrier=o.carrier, lane=o.lane, rate_per_mile=o.rate_per_mile,
                               on_time_prob=o.on_time_rate,
                               capacity_loads=max(0, round(capacity[o.carrier] - used.get(o.carrier, 0.0))))
        for lane_offers in offers.values() for o in lane_offers if o.carrier != carrier
    ]
    problem = carriers.AssignmentProblem(loads=loads, options=options)
    return carriers.assign_loads(problem, time_limit_s=5.0), original_cost, loads


def replan_without_truck(tb: Toolbox, truck: str, reason: str) -> Proposal:
    """Re-plan a DC's routes of the day without one truck (VRPTW), against handing its stops to a carrier."""
    now = tb.now()
    with tb.session() as session:
        vehicle = session.get(m.Vehicle, truck)
        dc = session.get(m.Location, vehicle.home_dc)
        routes = store.routes_on(session, now.date(), dc.code)
        fleet = {route.truck: session.get(m.Vehicle, route.truck) for route, _ in routes}
        stops = [(stop, session.get(m.Location, stop.customer), session.get(m.Shipment, stop.shipment_id))
                 for _route, route_stops in routes for stop in route_stops]
        tiers = {stop.customer: customer.tier for stop, customer, _ in stops}
        metro = store.carrier_lanes(session, lane=f"{dc.region}-{dc.region}", carrier="CAR-METRO")
    own_stops = [stop for route, route_stops in routes if route.truck == truck for stop in route_stops]
    if not own_stops:
        return needs_info("routing", [], f"Truck {truck} has no route today; nothing to re-plan.",
                          lookup("truck", truck, vehicle), status="no_action")
    problem = routing.RoutingProblem(
        depot=routing.Depot(id=dc.code, location=routing.Location(lat=dc.lat, lon=dc.lon),
                            tw_early=SHIFT[0], tw_late=SHIFT[1]),
        stops=[routing.Stop(id=stop.shipment_id, location=routing.Location(lat=customer.lat, lon=customer.lon),
                            demand=shipment.units, service_minutes=STOP_SERVICE_MIN,
                            tw_early=customer.window_start_min, tw_late=customer.window_end_min,
                            drop_penalty=LATE_PENALTY_USD[customer.tier])
               for stop, customer, shipment in stops],
        vehicles=[routing.Vehicle(id=route.truck, capacity=fleet[route.truck].capacity_units,
                                  shift_start=SHIFT[0], shift_end=SHIFT[1]) for route, _ in routes],
        speed_mph=OWN_FLEET_SPEED_MPH,
    )
    baseline = routing.solve_vrptw(problem, time_limit_s=2.0, max_iterations=2000, seed=0)
    plan = routing.solve_vrptw(routing.without_vehicle(problem, truck), time_limit_s=2.0, max_iterations=2000, seed=0)
    plan.evidence.id = f"{plan.evidence.id}:without-{truck}"
    before = baseline.objective.total_distance
    dropped_penalty = sum(LATE_PENALTY_USD[tiers[s.customer]] for s, *_ in stops if s.shipment_id in plan.unserved)
    metro_rate = metro[0].rate_per_mile if metro else 2.6
    handover_cost = round(sum(2 * sh.distance_miles * metro_rate + 75 for s, _, sh in stops if s in own_stops), 2)
    options = [
        PlanOption(name="re-plan routes without the truck",
                   cost_usd=round((plan.objective.total_distance - before) * OWN_FLEET_USD_PER_MILE, 2),
                   expected_penalty_usd=dropped_penalty,
                   actions=[Action(type="replan_route", params={
                       "dc": dc.code, "removed_truck": truck, "day": now.date().isoformat(),
                       "routes": [{"truck": r.vehicle_id, "stops": [v.stop_id for v in r.visits]} for r in plan.routes],
                       "unserved": plan.unserved})],
                   impact=Impact(stops_moved=len(own_stops), stops_unserved=len(plan.unserved))),
        PlanOption(name="hand stops to CAR-METRO", cost_usd=handover_cost, expected_penalty_usd=0.0,
                   actions=[Action(type="tender_stops", params={"carrier": "CAR-METRO", "truck": truck,
                                                                "shipments": [s.shipment_id for s in own_stops]})],
                   impact=Impact(stops_moved=len(own_stops))),
    ]
    chosen, alternatives, comparison = compare_plans(f"{truck}-replan", options, 0.9 if plan.feasible else 0.6,
                                                     {"dc": dc.code, "truck": truck,
                                                      "distance_before_miles": round(before, 1)})
    findings = [Claim(text=f"{reason} Its {len(own_stops)} stops at {dc.code} need other trucks; the VRPTW solver "
                           f"covers them in {format_number(plan.objective.total_distance)} miles with "
                           f"{len(plan.unserved)} stops unserved.", evidence_ids=[plan.evidence.id, comparison.id])]
    return decided("routing", chosen, alternatives, comparison, [baseline.evidence, plan.evidence], findings,
                   f"Chosen: {chosen.name} for {truck}.", comparison.facts["confidence"])


def handle_handoff(tb: Toolbox, handoff: Handoff) -> Proposal:
    """Serve a request from another specialist."""
    if handoff.request.get("kind") == "replan_without_truck":
        return replan_without_truck(tb, handoff.request["truck"], handoff.reason)
    if handoff.request.get("kind") == "expedite_transfer":
        return expedite_transfer(tb, handoff.request, handoff.reason)
    raise ValueError(f"routing cannot serve hand-off {handoff.request!r}")


def expedite_transfer(tb: Toolbox, request: dict, reason: str) -> Proposal:
    """Book the best carrier for a stock transfer that must arrive before promised orders."""
    with tb.session() as session:
        offers = store.carrier_lanes(session, lane=request["lane"])
        lane = session.get(m.Lane, request["lane"])
    options = [carriers.CarrierOption(carrier=o.carrier, lane=o.lane, rate_per_mile=o.rate_per_mile,
                                      on_time_prob=o.on_time_rate, capacity_loads=o.capacity_per_week)
               for o in offers]
    ranking = carriers.rank_carriers(options, miles=lane.distance_miles)
    best = next(option for option in options if option.carrier == ranking.chosen)
    cost = round(best.cost(lane.distance_miles), 2)
    plans = [
        PlanOption(name=f"book {best.carrier}", cost_usd=cost, expected_penalty_usd=0.0,
                   actions=[Action(type="book_carrier", params={"lane": lane.code, "carrier": best.carrier,
                                                                "transfer_sku": request["sku"],
                                                                "units": request["units"]})]),
        PlanOption(name="standard transfer", cost_usd=0.0, feasible=False,
                   infeasible_reason="arrives after the promised orders", actions=[]),
    ]
    destination = f"DC-{lane.dest_region}"
    chosen, alternatives, comparison = compare_plans(f"{lane.code}-transfer", plans, best.on_time_prob,
                                                     {"request": request, "origin": lane.origin,
                                                      "destination": destination})
    findings = [Claim(text=f"{reason} On lane {lane.code}, {best.carrier} ranks first with on-time "
                           f"{pct(best.on_time_prob)}.", evidence_ids=[ranking.evidence.id, comparison.id])]
    return decided("routing", chosen, alternatives, comparison, [ranking.evidence], findings,
                   f"Chosen: {chosen.name} on {lane.code}.", best.on_time_prob)


def now_utc(tb: Toolbox) -> datetime:
    """The twin's clock (re-exported for the detectors)."""
    return tb.now()
