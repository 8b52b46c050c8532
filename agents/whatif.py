"""What-if analysis on a copy of the twin's situation: a carrier's capacity cut re-tendered by the CP-SAT solver
(freight cost, expected late loads and open loads before and after), a carrier's capacity changed and the week's
loads on its lanes tendered again at today's and at the changed capacity, a DC closed for some days (orders, stock
and routes touched, orders re-sourced to the nearest DC with stock) and a lane closed for some days (its loads
routed through a third DC or held until it reopens). Nothing is written to the twin."""

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from agents.capacity import capacity_shortfall
from agents.toolbox import Toolbox
from agents.twin_facts import TWIN_SOURCE, rates, twin_record
from tools import carriers, load_assignment
from tools.costs import Rates, carrier_move, late_loads, late_penalty
from tools.evidence import Evidence
from tools.geo import haversine_miles
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
    week_of: date | None = Field(
        default=None, description="The week the cut hits; its loads are the recent weekly average."
    )
    evidence: list[Evidence]


def read_situation(tb: Toolbox, carrier: str, lane: str | None = None) -> CapacitySituation:
    """Copy the carrier's offers (on one lane, or all), the competing offers and the recent weekly loads."""
    with tb.session() as session:
        own = store.carrier_lanes(session, carrier=carrier, lane=lane)
        return CapacitySituation(
            carrier=carrier,
            lane=lane,
            own=own,
            offers={offer.lane: store.carrier_lanes(session, lane=offer.lane) for offer in own},
            lanes={row.code: row for row in session.exec(select(m.Lane)).all()},
            week=store.weekly_loads(session, tb.now()),
            capacity={row.code: row.capacity_per_week for row in session.exec(select(m.Carrier)).all()},
        )


def capacity_cut(situation: CapacitySituation, cut_pct: float) -> CapacityWhatIf | None:
    """Re-run the re-tender for a cut of the carrier's capacity; None when the cut displaces no load."""
    analysis = capacity_shortfall(
        situation.carrier, situation.own, situation.offers, situation.lanes, situation.week, situation.capacity, cut_pct
    )
    if analysis is None:
        return None
    assignment, original_cost, loads = analysis
    on_time = {offer.lane: offer.on_time_rate for offer in situation.own}
    before = Kpis(
        freight_cost_usd=round(original_cost, 2),
        expected_late_loads=round(sum(1 - on_time[load.lane] for load in loads), 4),
        unassigned_loads=0,
    )
    after = Kpis(
        freight_cost_usd=assignment.freight_cost_usd,
        expected_late_loads=assignment.expected_late_loads,
        unassigned_loads=len(assignment.unassigned),
    )
    reassigned: dict[str, int] = {}
    for load in assignment.loads:
        if load.carrier:
            reassigned[load.carrier] = reassigned.get(load.carrier, 0) + 1
    own = Evidence(
        id=f"twin:carrier-loads:{situation.carrier}",
        source=TWIN_SOURCE,
        inputs={"carrier": situation.carrier, "lane": situation.lane},
        facts={
            "weekly_loads": {o.lane: situation.week.get((situation.carrier, o.lane), 0.0) for o in situation.own},
            "rate_per_mile": {o.lane: o.rate_per_mile for o in situation.own},
            "on_time_rate": on_time,
            "before": before.model_dump(),
        },
    )
    return CapacityWhatIf(
        carrier=situation.carrier,
        capacity_cut_pct=cut_pct,
        lane=situation.lane,
        loads_displaced=len(loads),
        before=before,
        after=after,
        change=Kpis(
            freight_cost_usd=round(after.freight_cost_usd - before.freight_cost_usd, 2),
            expected_late_loads=round(after.expected_late_loads - before.expected_late_loads, 4),
            unassigned_loads=after.unassigned_loads - before.unassigned_loads,
        ),
        reassigned=dict(sorted(reassigned.items())),
        solver_status=assignment.status,
        evidence=[own, assignment.evidence],
    )


class TenderedLoads(BaseModel):
    """One carrier's share of the re-tendered loads at today's capacity and at the changed one."""

    carrier: str
    capacity_now: int
    capacity_then: int
    loads_now: int
    loads_then: int


class CapacityChangeWhatIf(BaseModel):
    """The week's loads on a carrier's lanes tendered by the solver at today's capacity (now) and with the carrier's
    capacity multiplied by a factor (then): the assignment per carrier and the figures it is judged by."""

    carrier: str
    factor: float
    change_pct: float = Field(description="How much the capacity grows or drops, in percent of today's.")
    lane: str | None = None
    lanes: list[str]
    loads: int = Field(description="The usual weekly loads on the lanes, every carrier's, tendered both times.")
    now: Kpis
    then: Kpis
    change: Kpis
    loads_moved: int = Field(description="Loads that go to another carrier (or to none, or from none).")
    carriers: list[TenderedLoads]
    late_penalty_usd: float
    solver_status: str
    evidence: list[Evidence]


def _lane_capacity(situation: CapacitySituation, carrier: str, lanes: list[str], factor: float) -> int:
    """Loads a week a carrier can take on these lanes: its offers there, within its weekly capacity less its usual
    loads elsewhere; the factor scales the offers on the lanes, and the carrier's whole capacity when no lane is
    named."""
    offered = sum(o.capacity_per_week for lane in lanes for o in situation.offers[lane] if o.carrier == carrier)
    elsewhere = sum(n for (c, lane), n in situation.week.items() if c == carrier and lane not in lanes)
    total = situation.capacity.get(carrier, 0) * (factor if situation.lane is None else 1.0)
    return max(0, int(min(offered * factor, total - elsewhere)))


def _tender(
    situation: CapacitySituation, loads: list[load_assignment.Load], capacity: dict[str, int], penalty: float
) -> load_assignment.LoadAssignment:
    """The solver's assignment of the loads to the offers on their lanes at the given capacities."""
    options = [
        carriers.CarrierOption.of(o, capacity[o.carrier])
        for lane in sorted({load.lane for load in loads})
        for o in situation.offers[lane]
    ]
    problem = load_assignment.AssignmentProblem(loads=loads, options=options, late_penalty=penalty)
    return load_assignment.assign_loads(problem, time_limit_s=5.0)


def _kpis(assignment: load_assignment.LoadAssignment) -> Kpis:
    """The figures of one tender."""
    return Kpis(
        freight_cost_usd=assignment.freight_cost_usd,
        expected_late_loads=assignment.expected_late_loads,
        unassigned_loads=len(assignment.unassigned),
    )


def _taken(assignment: load_assignment.LoadAssignment, carrier: str) -> int:
    """Loads a carrier takes in a tender."""
    return sum(1 for load in assignment.loads if load.carrier == carrier)


def _usual_loads(situation: CapacitySituation, lanes: list[str]) -> list[load_assignment.Load]:
    """A week's usual loads of the lanes, one load each, numbered per lane."""
    return [
        load_assignment.Load(load_id=f"{lane}#{k + 1}", lane=lane, miles=situation.lanes[lane].distance_miles)
        for lane in lanes
        for k in range(round(sum(n for (_, on), n in situation.week.items() if on == lane)))
    ]


def capacity_change(situation: CapacitySituation, factor: float, price: Rates) -> CapacityChangeWhatIf:
    """Tender the usual weekly loads of the carrier's lanes (one lane, or all its lanes) twice with the solver: at
    today's capacities and with the carrier's capacity multiplied by `factor`; late loads are priced at the twin's
    rate. Nothing is written to the twin."""
    lanes = sorted({offer.lane for offer in situation.own})
    loads = _usual_loads(situation, lanes)
    names = sorted({o.carrier for lane in lanes for o in situation.offers[lane]})
    today = {c: _lane_capacity(situation, c, lanes, 1.0) for c in names}
    changed = today | {situation.carrier: _lane_capacity(situation, situation.carrier, lanes, factor)}
    penalty = price["late_load_penalty_usd"]
    now, then = _tender(situation, loads, today, penalty), _tender(situation, loads, changed, penalty)
    before, after = _kpis(now), _kpis(then)
    before_counts, after_counts = Counter(a.carrier for a in now.loads), Counter(a.carrier for a in then.loads)
    moved = sum((after_counts - before_counts).values())  # loads are alike: count what each carrier (or none) gains
    shares = [
        TenderedLoads(
            carrier=c,
            capacity_now=today[c],
            capacity_then=changed[c],
            loads_now=_taken(now, c),
            loads_then=_taken(then, c),
        )
        for c in names
    ]
    result = CapacityChangeWhatIf(
        carrier=situation.carrier,
        factor=factor,
        change_pct=round(abs(factor - 1) * 100, 1),
        lane=situation.lane,
        lanes=lanes,
        loads=len(loads),
        now=before,
        then=after,
        change=Kpis(
            freight_cost_usd=round(after.freight_cost_usd - before.freight_cost_usd, 2),
            expected_late_loads=round(after.expected_late_loads - before.expected_late_loads, 4),
            unassigned_loads=after.unassigned_loads - before.unassigned_loads,
        ),
        loads_moved=moved,
        carriers=[
            share for share in shares if share.loads_now or share.loads_then or share.carrier == situation.carrier
        ],
        late_penalty_usd=penalty,
        solver_status=then.status,
        evidence=[],
    )
    result.evidence = [
        twin_record(
            f"whatif:capacity-change:{situation.carrier}:{situation.lane or 'all'}:{factor}",
            {"carrier": situation.carrier, "lane": situation.lane, "factor": factor},
            result,
        ),
        price.evidence(["late_load_penalty_usd"]),
        now.evidence,
        then.evidence,
    ]
    return result


SHIP_LEAD_DAYS = 2  # an order due this soon after the reopening would have shipped during the closure


class ReSourced(BaseModel):
    """Orders of the closed DC another DC can serve from its available stock."""

    dc: str
    orders: int
    units: int
    extra_miles: float


class ClosureWhatIf(BaseModel):
    """A DC closed for some days: the orders, stock and routes it touches, and where the orders can go instead."""

    location: str
    first_day: date
    last_day: date
    days: int
    orders_affected: int
    units_affected: int
    routes_affected: int
    stops_affected: int
    units_on_hand: int
    re_sourced: list[ReSourced]
    orders_waiting: int = Field(description="Orders no other DC can fill whole; they wait for the reopening.")
    evidence: list[Evidence]


def _nearest_first(dcs: list[m.Location], closed: m.Location) -> list[m.Location]:
    """The other DCs, nearest to the closed one first."""
    others = [dc for dc in dcs if dc.code != closed.code]
    return sorted(others, key=lambda dc: haversine_miles(closed.lat, closed.lon, dc.lat, dc.lon))


@dataclass(frozen=True)
class ClosureInputs:
    """What a DC closure touches, read from the twin: the DCs, the closed one's open orders with their lines and
    customers, every DC's available stock and the closed DC's routes of those days."""

    dcs: list[m.Location]
    closed: m.Location
    orders: list[m.Order]
    lines: dict[str, list[m.OrderLine]]
    customers: dict[str, m.Location]
    stock: dict[tuple[str, str], int]
    routes: list[tuple[m.Route, list[m.RouteStop]]]


def _closure_inputs(tb: Toolbox, location: str, first_day: date, days: int) -> ClosureInputs:
    """The orders due before the DC reopens (or within the shipping lead time after), stock and routes of the window."""
    last_day = first_day + timedelta(days=days - 1)
    with tb.session() as session:
        dcs = store.dcs(session)
        orders = session.exec(
            select(m.Order)
            .where(
                col(m.Order.dc) == location,
                col(m.Order.status) == "open",
                col(m.Order.promised_date) <= last_day + timedelta(SHIP_LEAD_DAYS),
            )
            .order_by(col(m.Order.promised_date), col(m.Order.id))
        ).all()
        lines = {
            order.id: list(session.exec(select(m.OrderLine).where(col(m.OrderLine.order_id) == order.id)).all())
            for order in orders
        }
        customers = {order.customer: store.row(session, m.Location, order.customer) for order in orders}
        stock = {
            (p.location, p.sku): p.on_hand + p.in_transit - p.allocated
            for p in session.exec(select(m.InventoryPosition)).all()
        }
        routes = [
            pair for offset in range(days) for pair in store.routes_on(session, first_day + timedelta(offset), location)
        ]
    closed = next(dc for dc in dcs if dc.code == location)
    return ClosureInputs(dcs, closed, list(orders), lines, customers, stock, routes)


def _re_source(inputs: ClosureInputs) -> tuple[dict[str, ReSourced], int]:
    """Each order to the nearest DC holding every line in available stock (drawn down as it goes), else it waits."""
    closed, stock = inputs.closed, inputs.stock
    moved: dict[str, ReSourced] = {}
    waiting = 0
    for order in inputs.orders:
        customer = inputs.customers[order.customer]
        lines = inputs.lines[order.id]
        for dc in _nearest_first(inputs.dcs, closed):
            if all(stock.get((dc.code, line.sku), 0) >= line.qty for line in lines):
                for line in lines:
                    stock[(dc.code, line.sku)] -= line.qty
                extra = haversine_miles(dc.lat, dc.lon, customer.lat, customer.lon) - haversine_miles(
                    closed.lat, closed.lon, customer.lat, customer.lon
                )
                entry = moved.setdefault(dc.code, ReSourced(dc=dc.code, orders=0, units=0, extra_miles=0.0))
                entry.orders += 1
                entry.units += sum(line.qty for line in lines)
                entry.extra_miles = round(entry.extra_miles + extra, 1)
                break
        else:
            waiting += 1
    return moved, waiting


def site_closure(tb: Toolbox, location: str, first_day: date, days: int) -> ClosureWhatIf:
    """Close a DC from a day for some days on a copy of the situation: its open orders due before it reopens (or
    within the shipping lead time after) go to the nearest DC holding every line in available stock, else they
    wait; its routes of those days stop. Nothing is written to the twin."""
    inputs = _closure_inputs(tb, location, first_day, days)
    moved, waiting = _re_source(inputs)
    on_hand = sum(units for (dc, _), units in inputs.stock.items() if dc == location)
    units = sum(line.qty for order in inputs.orders for line in inputs.lines[order.id])
    result = ClosureWhatIf(
        location=location,
        first_day=first_day,
        last_day=first_day + timedelta(days=days - 1),
        days=days,
        orders_affected=len(inputs.orders),
        units_affected=units,
        routes_affected=len(inputs.routes),
        stops_affected=sum(len(stops) for _, stops in inputs.routes),
        units_on_hand=on_hand,
        re_sourced=sorted(moved.values(), key=lambda r: -r.orders),
        orders_waiting=waiting,
        evidence=[],
    )
    result.evidence = [
        twin_record(
            f"whatif:closure:{location}/{first_day}/{days}",
            {"location": location, "first_day": str(first_day), "days": days},
            result,
        )
    ]
    return result


class Leg(BaseModel):
    """One leg of a route: its lane, the cheapest carrier with capacity left, miles, days and freight."""

    lane: str
    carrier: str
    miles: float
    transit_days: int
    cost_usd: float


class Detour(BaseModel):
    """The lane's loads routed through a third DC instead: both legs and the freight over the direct route."""

    via: str
    legs: list[Leg]
    extra_cost_usd: float = Field(description="Freight of both legs less the direct route's, per load.")
    extra_days: int


class HeldLoad(BaseModel):
    """An open shipment on the closed lane: held until it reopens, it misses its promise or not."""

    shipment_id: str
    status: str
    customer_tier: str
    promised_at: datetime
    days_held: int
    misses_promise: bool
    penalty_usd: float = Field(description="The late penalty of its customer's tier when held, else 0.")
    best: str = Field(description="detour or wait: the cheaper of the two.")


class LaneClosureWhatIf(BaseModel):
    """A lane closed for some days, in the direction asked: its open shipments and usual loads in the window, the
    best detour through a third DC, holding them until it reopens, and the totals."""

    lane: str
    first_day: date
    last_day: date
    days: int
    direct: Leg | None
    detours: list[Detour] = Field(description="Every third DC, cheapest first.")
    open_shipments: list[HeldLoad]
    usual_loads: int = Field(description="Loads the lane usually carries in as many days (recent weekly average).")
    late_load_penalty_usd: float
    detour_total_usd: float | None = Field(description="Extra freight of sending every load by the best detour.")
    wait_total_usd: float = Field(description="Late penalties of holding every load until the lane reopens.")
    best_total_usd: float = Field(description="Each load by the cheaper of the two.")
    evidence: list[Evidence]


def _cheapest_leg(lane: m.Lane, offers: list[m.CarrierLane]) -> Leg | None:
    """The cheapest of some carriers' offers on a lane, priced by the cost model; None without offers."""
    if not offers:
        return None
    best = min(offers, key=lambda o: (o.rate_per_mile, o.carrier))
    return Leg(
        lane=lane.code,
        carrier=best.carrier,
        miles=lane.distance_miles,
        transit_days=best.transit_days,
        cost_usd=carrier_move(best.rate_per_mile, lane.distance_miles),
    )


def _detours(
    closed: m.Lane,
    direct: Leg | None,
    dcs: list[m.Location],
    lanes: dict[str, m.Lane],
    offers: dict[str, list[m.CarrierLane]],
    remaining: dict[str, float],
) -> list[Detour]:
    """The routes through each third DC whose two legs have a carrier with capacity left, cheapest first."""
    origin = next(dc for dc in dcs if dc.code == closed.origin)
    found = []
    for hub in dcs:
        if hub.region in (origin.region, closed.dest_region):
            continue
        codes = (f"{origin.region}-{hub.region}", f"{hub.region}-{closed.dest_region}")
        legs = [
            _cheapest_leg(lanes[code], [o for o in offers.get(code, []) if remaining.get(o.carrier, 0.0) >= 1])
            for code in codes
            if code in lanes
        ]
        legs = [leg for leg in legs if leg is not None]
        if len(legs) != 2:
            continue
        found.append(
            Detour(
                via=hub.code,
                legs=legs,
                extra_cost_usd=round(sum(leg.cost_usd for leg in legs) - (direct.cost_usd if direct else 0.0), 2),
                extra_days=sum(leg.transit_days for leg in legs) - (direct.transit_days if direct else 0),
            )
        )
    return sorted(found, key=lambda d: (d.extra_cost_usd, d.via))


def _held(shipment: m.Shipment, tier: str, transit_days: int, reopens: date, price: Rates, detour: float) -> HeldLoad:
    """An open shipment held until the lane reopens, then making its whole trip: it misses its promise when it would
    have kept it without the closure and cannot arrive by then."""
    held = max(0, (reopens - shipment.shipped_at.date()).days)
    departs = max(
        shipment.shipped_at, datetime.combine(reopens, shipment.shipped_at.time(), shipment.shipped_at.tzinfo)
    )
    on_time = shipment.shipped_at + timedelta(days=transit_days) <= shipment.promised_at
    misses = on_time and departs + timedelta(days=transit_days) > shipment.promised_at  # the closure makes it late
    penalty = late_penalty(price, tier) if misses else 0.0
    return HeldLoad(
        shipment_id=shipment.id,
        status=shipment.status,
        customer_tier=tier,
        promised_at=shipment.promised_at,
        days_held=held,
        misses_promise=misses,
        penalty_usd=penalty,
        best="wait" if penalty <= detour else "detour",
    )


def _on_lane_before(session: Session, lane: str, before: datetime) -> list[m.Shipment]:
    """The lane's shipments not delivered that left before a moment, by promised time."""
    return list(
        session.exec(
            select(m.Shipment)
            .where(
                col(m.Shipment.lane) == lane,
                col(m.Shipment.status) != "delivered",
                col(m.Shipment.shipped_at) < before,
            )
            .order_by(col(m.Shipment.promised_at), col(m.Shipment.id))
        ).all()
    )


def lane_closure(tb: Toolbox, lane: str, first_day: date, days: int) -> LaneClosureWhatIf:
    """Close a lane (one direction) from a day for some days on a copy of the situation: its open shipments that
    would travel then and its usual loads of those days either go through a third DC (both legs by the cheapest
    carrier with capacity left) or wait for the reopening (a late penalty by customer tier when the promise is
    missed; the twin's late-load rate for the usual loads). Nothing is written to the twin."""
    last_day = first_day + timedelta(days=days - 1)
    reopens = last_day + timedelta(days=1)
    with tb.session() as session:
        closed = store.row(session, m.Lane, lane)
        lanes = {row.code: row for row in session.exec(select(m.Lane)).all()}
        offers = {code: store.carrier_lanes(session, lane=code) for code in lanes}
        dcs = store.dcs(session)
        week = store.weekly_loads(session, tb.now())
        remaining = store.remaining_capacity(session, tb.now(), week)
        shipments = _on_lane_before(session, lane, datetime.combine(reopens, time.min, tb.now().tzinfo))
        tiers = {s.id: store.row(session, m.Location, s.destination).tier for s in shipments}
        price = rates(session)
    direct = _cheapest_leg(closed, offers[lane])
    detours = _detours(closed, direct, dcs, lanes, offers, remaining)
    detour = detours[0].extra_cost_usd if detours else float("inf")
    transit: dict[str | None, int] = {o.carrier: o.transit_days for o in offers[lane]}  # own trucks: no carrier
    default_trip = direct.transit_days if direct else 0
    trip = {s.id: transit.get(s.carrier, default_trip) for s in shipments}
    held = [
        _held(s, tiers[s.id], trip[s.id], reopens, price, detour)
        for s in shipments
        if s.shipped_at.date() + timedelta(days=trip[s.id]) >= first_day  # still on the road when it closes
    ]
    usual = round(sum(n for (_, on), n in week.items() if on == lane) * days / 7)
    per_load = late_loads(price, 1)
    loads = len(held) + usual
    detour_total = round(detour * loads, 2) if detours else None
    wait_total = round(sum(h.penalty_usd for h in held) + late_loads(price, usual), 2)
    best_total = round(sum(min(h.penalty_usd, detour) for h in held) + usual * min(per_load, detour), 2)
    result = LaneClosureWhatIf(
        lane=lane,
        first_day=first_day,
        last_day=last_day,
        days=days,
        direct=direct,
        detours=detours,
        open_shipments=held,
        usual_loads=usual,
        late_load_penalty_usd=per_load,
        detour_total_usd=detour_total,
        wait_total_usd=wait_total,
        best_total_usd=best_total,
        evidence=[],
    )
    result.evidence = [
        twin_record(
            f"whatif:lane-closure:{lane}/{first_day}/{days}",
            {"lane": lane, "first_day": str(first_day), "days": days},
            result,
        ),
        price.evidence(["late_load_penalty_usd", *{f"late_penalty_usd_{h.customer_tier}" for h in held}]),
    ]
    return result
