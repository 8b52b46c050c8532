"""The routing specialist's re-plan of a DC's routes of the day without some of its trucks (VRPTW), against
handing their stops to a carrier."""

from dataclasses import dataclass
from datetime import date, datetime

from agents.explain import format_number
from agents.proposal import PlanOption, Proposal, compare_plans, decided, needs_info
from agents.schemas import Claim, Impact
from agents.toolbox import Toolbox
from agents.twin_facts import lookup, rates
from tools import costs, routing
from tools.costs import Rates
from twin import actions as a
from twin import models as m
from twin import store

OWN_FLEET_SPEED_MPH = 30.0
STOP_SERVICE_MIN, SHIFT = 20.0, (420.0, 1080.0)
REPLAN_ITERATIONS = 2000  # the re-plan stops on iterations, so the same twin gives the same routes on any machine
REPLAN_SAFETY_S = 30.0  # a time cap that a loaded machine may reach only in pathological cases
REPLAN_RATES = [
    "own_fleet_usd_per_km",
    "driver_usd_per_hour",
    "tender_stop_fee_usd",
    "late_penalty_usd_gold",
    "late_penalty_usd_silver",
    "late_penalty_usd_standard",
]


@dataclass(frozen=True)
class _DcDay:
    """A DC's routes of the day, as a re-plan without some of its trucks reads them from the twin."""

    vehicle: m.Vehicle
    dc: m.Location
    routes: list[tuple[m.Route, list[m.RouteStop]]]
    fleet: dict[str, m.Vehicle]
    stops: list[tuple[m.RouteStop, m.Location, m.Shipment]]
    metro: list[m.CarrierLane]
    in_workshop: set[str]
    price: Rates


def _dc_day(tb: Toolbox, truck: str, now: datetime) -> _DcDay:
    """The routes of the day at the truck's home DC, their trucks and stops, the workshop's bookings and the rates."""
    with tb.session() as session:
        vehicle = store.row(session, m.Vehicle, truck)
        dc = store.row(session, m.Location, vehicle.home_dc)
        routes = store.routes_on(session, now.date(), dc.code)
        return _DcDay(
            vehicle=vehicle,
            dc=dc,
            routes=routes,
            fleet={route.truck: store.row(session, m.Vehicle, route.truck) for route, _ in routes},
            stops=[
                (stop, store.row(session, m.Location, stop.customer), store.row(session, m.Shipment, stop.shipment_id))
                for _route, route_stops in routes
                for stop in route_stops
            ],
            metro=store.carrier_lanes(session, lane=f"{dc.region}-{dc.region}", carrier="CAR-METRO"),
            in_workshop={order.truck for order in store.workshop_bookings(session, dc.code, now.date())},
            price=rates(session),
        )


def _routing_problem(day: _DcDay) -> routing.RoutingProblem:
    """The VRPTW of the DC's day: every stop of its routes, every truck on them, late penalties for dropped stops."""
    dc = day.dc
    return routing.RoutingProblem(
        depot=routing.Depot(location=routing.Location(lat=dc.lat, lon=dc.lon), tw_early=SHIFT[0], tw_late=SHIFT[1]),
        stops=[
            routing.Stop(
                id=stop.shipment_id,
                location=routing.Location(lat=customer.lat, lon=customer.lon),
                demand=shipment.units,
                service_minutes=STOP_SERVICE_MIN,
                tw_early=customer.window_start_min,
                tw_late=customer.window_end_min,
                drop_penalty=costs.late_penalty(day.price, customer.tier),
            )
            for stop, customer, shipment in day.stops
        ],
        vehicles=[
            routing.Vehicle(
                id=route.truck, capacity=day.fleet[route.truck].capacity_units, shift_start=SHIFT[0], shift_end=SHIFT[1]
            )
            for route, _ in day.routes
        ],
        speed_mph=OWN_FLEET_SPEED_MPH,
    )


def _replan_options(
    day: _DcDay,
    truck: str,
    out: list[str],
    own_stops: list[m.RouteStop],
    baseline: routing.RoutePlan,
    plan: routing.RoutePlan,
    today: date,
) -> list[PlanOption]:
    """The two ways to serve the stops of the trucks out: the re-planned routes, or the stops tendered to CAR-METRO."""
    price, before = day.price, baseline.objective
    extra_miles = plan.objective.total_distance - before.total_distance
    extra_hours = (plan.objective.total_duration - before.total_duration) / 60
    tiers = {stop.customer: customer.tier for stop, customer, _ in day.stops}
    dropped_penalty = sum(
        costs.late_penalty(price, tiers[s.customer]) for s, *_ in day.stops if s.shipment_id in plan.unserved
    )
    replan = PlanOption(
        name="re-plan routes without the truck",
        expected_penalty_usd=dropped_penalty,
        actions=[
            a.ReplanRoute(
                params=a.ReplanRouteParams(
                    dc=day.dc.code,
                    removed_truck=truck,
                    day=today,
                    cost_usd=costs.own_fleet(price, extra_miles, extra_hours),
                    removed_trucks=out,
                    routes=[
                        a.PlannedRoute(truck=r.vehicle_id, stops=[v.stop_id for v in r.visits]) for r in plan.routes
                    ],
                    unserved=plan.unserved,
                )
            )
        ],
        impact=Impact.model_validate(
            {
                "stops_moved": len(own_stops),
                "stops_unserved": len(plan.unserved),
                "extra_miles": round(extra_miles, 1),
                "saving_usd": costs.own_fleet(price, -extra_miles, -extra_hours) or None,
            }
        ),
    )
    return [replan, _tender_option(day, truck, own_stops)]


def _tender_option(day: _DcDay, truck: str, own_stops: list[m.RouteStop]) -> PlanOption:
    """The stops of the trucks out handed to CAR-METRO, priced at its rate per mile for the round trips."""
    metro_rate = day.metro[0].rate_per_mile if day.metro else 2.6
    return PlanOption(
        name="hand stops to CAR-METRO",
        actions=[
            a.TenderStops(
                params=a.TenderStopsParams(
                    carrier="CAR-METRO",
                    truck=truck,
                    shipments=[s.shipment_id for s in own_stops],
                    cost_usd=costs.tender_stops(
                        day.price, metro_rate, [2 * sh.distance_miles for s, _, sh in day.stops if s in own_stops]
                    ),
                )
            )
        ],
        impact=Impact.model_validate({"stops_moved": len(own_stops)}),
    )


def replan_without_truck(tb: Toolbox, truck: str, reason: str, also_out: list[str] | None = None) -> Proposal:
    """Re-plan a DC's routes of the day without the truck and every truck the workshop holds that day (VRPTW),
    against handing the truck's stops to a carrier."""
    now = tb.now()
    day = _dc_day(tb, truck, now)
    out = sorted(({truck, *(also_out or [])} | day.in_workshop) & set(day.fleet))
    own_stops = [stop for route, route_stops in day.routes if route.truck in out for stop in route_stops]
    if not own_stops:
        return needs_info(
            "routing",
            [],
            f"Truck {truck} has no route today; nothing to re-plan.",
            lookup("truck", truck, day.vehicle),
            status="no_action",
        )
    problem = _routing_problem(day)
    baseline = _replan(tb, problem)
    plan = _replan_without(tb, problem, out)
    rate_record = day.price.evidence(REPLAN_RATES)
    options = _replan_options(day, truck, out, own_stops, baseline, plan, now.date())
    served = 1 - len(plan.unserved) / len(own_stops)
    chosen, alternatives, comparison = compare_plans(
        f"{truck}-replan",
        options,
        served,
        {
            "dc": day.dc.code,
            "trucks_out": out,
            "distance_before_miles": round(baseline.objective.total_distance, 1),
            "confidence_rule": "share of the moved stops the re-plan serves",
        },
    )
    findings = [
        Claim(
            text=f"{reason} The stops of {', '.join(out)} at {day.dc.code} need other trucks; the VRPTW solver "
            f"covers them in {format_number(plan.objective.total_distance)} miles with "
            f"{len(plan.unserved)} stops unserved.",
            evidence_ids=[plan.evidence.id, comparison.id],
        )
    ]
    return decided(
        "routing",
        chosen,
        alternatives,
        comparison,
        [baseline.evidence, plan.evidence, rate_record],
        findings,
        f"Chosen: {chosen.name} for {truck}.",
        comparison.facts["confidence"],
    )


def _replan_without(tb: Toolbox, problem: routing.RoutingProblem, out: list[str]) -> routing.RoutePlan:
    """The day's routes re-planned without the trucks `out`, its evidence named after them."""
    reduced = problem
    for code in out:
        reduced = routing.without_vehicle(reduced, code)
    plan = _replan(tb, reduced)
    plan.evidence.id = f"{plan.evidence.id}:without-{'+'.join(out)}"
    return plan


def _replan(tb: Toolbox, problem: routing.RoutingProblem) -> routing.RoutePlan:
    """Today's routes for the problem at the re-plan's fixed effort, with the desk's routing engine."""
    return routing.solve_vrptw(
        problem,
        engine=tb.settings.routing_engine,
        size_effort=tb.settings.routing_sized_effort,
        time_limit_s=REPLAN_SAFETY_S,
        max_iterations=REPLAN_ITERATIONS,
        seed=0,
    )
