"""What-if analysis on a copy of the twin's situation: a carrier's capacity cut re-tendered by the CP-SAT solver
(freight cost, expected late loads and open loads before and after), and a DC closed for some days (orders, stock
and routes touched, orders re-sourced to the nearest DC with stock). Nothing is written to the twin."""

from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

from agents.routing import capacity_shortfall
from agents.toolbox import Toolbox
from agents.twin_facts import TWIN_SOURCE
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


def site_closure(tb: Toolbox, location: str, first_day: date, days: int) -> ClosureWhatIf:
    """Close a DC from a day for some days on a copy of the situation: its open orders due before it reopens (or
    within the shipping lead time after) go to the nearest DC holding every line in available stock, else they
    wait; its routes of those days stop. Nothing is written to the twin."""
    last_day = first_day + timedelta(days=days - 1)
    with tb.session() as session:
        dcs = store.dcs(session)
        closed = next(dc for dc in dcs if dc.code == location)
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
            order.id: session.exec(select(m.OrderLine).where(col(m.OrderLine.order_id) == order.id)).all()
            for order in orders
        }
        customers = {order.customer: session.get(m.Location, order.customer) for order in orders}
        stock = {
            (p.location, p.sku): p.on_hand + p.in_transit - p.allocated
            for p in session.exec(select(m.InventoryPosition)).all()
        }
        routes = [
            pair for offset in range(days) for pair in store.routes_on(session, first_day + timedelta(offset), location)
        ]
    moved: dict[str, ReSourced] = {}
    waiting = 0
    for order in orders:
        customer = customers[order.customer]
        for dc in _nearest_first(dcs, closed):
            if all(stock.get((dc.code, line.sku), 0) >= line.qty for line in lines[order.id]):
                for line in lines[order.id]:
                    stock[(dc.code, line.sku)] -= line.qty
                extra = haversine_miles(dc.lat, dc.lon, customer.lat, customer.lon) - haversine_miles(
                    closed.lat, closed.lon, customer.lat, customer.lon
                )
                entry = moved.setdefault(dc.code, ReSourced(dc=dc.code, orders=0, units=0, extra_miles=0.0))
                entry.orders += 1
                entry.units += sum(line.qty for line in lines[order.id])
                entry.extra_miles = round(entry.extra_miles + extra, 1)
                break
        else:
            waiting += 1
    on_hand = sum(units for (dc, _), units in stock.items() if dc == location)
    units = sum(line.qty for order in orders for line in lines[order.id])
    result = ClosureWhatIf(
        location=location,
        first_day=first_day,
        last_day=last_day,
        days=days,
        orders_affected=len(orders),
        units_affected=units,
        routes_affected=len(routes),
        stops_affected=sum(len(stops) for _, stops in routes),
        units_on_hand=on_hand,
        re_sourced=sorted(moved.values(), key=lambda r: -r.orders),
        orders_waiting=waiting,
        evidence=[],
    )
    result.evidence = [
        Evidence(
            id=f"whatif:closure:{location}/{first_day}/{days}",
            source=TWIN_SOURCE,
            inputs={"location": location, "first_day": str(first_day), "days": days},
            facts=result.model_dump(mode="json", exclude={"evidence"}),
        )
    ]
    return result
