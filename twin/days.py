"""The twin's clock, moved a day at a time by the scenario generator's own processes.

Shipments travel and are delivered on time or late, demand draws stock down, in-transit stock lands, trucks
wear, fail and are serviced, carriers refuse tenders when they miss capacity. Executed actions on the twin
(an expedite, a carrier switch, a transfer, a work order, a re-tender) change what happens next.
"""

import math
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np
from pydantic import BaseModel, Field
from sqlalchemy import insert
from sqlmodel import Session, SQLModel, col, select

from twin import models as m
from twin import replenishment, store
from twin.actions import BookSpot, ExpediteShipmentParams, PlanTenders, RetenderLoads, parse_action
from twin.network import CARRIERS, REGIONS
from twin.rates import rate_value
from twin.seed import (
    AS_OF,
    REPLENISH_DAYS,
    Journey,
    Rows,
    ScenarioBuilder,
    at_hour,
    column_defaults,
    demand_factors,
    draw_units,
    region_conditions,
    scan_events,
)

RELIABILITY = {carrier.code: carrier.reliability for carrier in CARRIERS}
OWN_FLEET_RELIABILITY = 0.92  # the generator's on-time propensity of own-truck deliveries
CAPACITY_MISS_PER_DAY = 0.03  # chance that a carrier announces a capacity shortfall on a given day
CAPACITY_MISS_DAYS = 7  # a shortfall lasts a week
TENDER_HOLD_HOURS = 24.0  # a refused tender ships a day later
SERVICE_HOURS = 8.0  # a planned workshop visit takes the truck off the road for a shift
FAILURE_HOURS = 24.0  # every day a failed truck stands still
COVER_ACTIONS = ("retender_loads", "book_spot")
STREAMS = ("shipments", "conditions", "capacity", "tenders", "demand")


class CapacityMiss(BaseModel):
    """A carrier announcing it cannot take part of its loads for a while."""

    carrier: str
    cut_pct: float
    until: datetime


class DayReport(BaseModel):
    """What happened on the twin in one day."""

    day: date
    delivered_on_time: list[str] = Field(default_factory=list)
    delivered_late: list[str] = Field(default_factory=list)
    shipped: list[str] = Field(default_factory=list)
    stockouts: list[str] = Field(default_factory=list, description="sku@dc positions with unmet demand")
    unmet_units: dict[str, int] = Field(default_factory=dict, description="unmet units per sku@dc")
    replenished: dict[str, int] = Field(default_factory=dict, description="units ordered by normal replenishment")
    replenishment_usd: float = Field(default=0.0, description="handling of the normal replenishment orders placed")
    failures: list[str] = Field(default_factory=list)
    serviced: list[str] = Field(default_factory=list)
    downtime_hours: float = 0.0
    unplanned_downtime_hours: float = Field(default=0.0, description="the part of the downtime spent broken down")
    capacity_misses: list[CapacityMiss] = Field(default_factory=list)
    tenders_refused: list[str] = Field(default_factory=list)
    tenders_covered: list[str] = Field(default_factory=list)


class TwinDays:
    """Advances a freshly generated twin day by day, continuing the generator that built it."""

    def __init__(self, builder: ScenarioBuilder) -> None:
        # One random stream per process (and per truck), so an action changes only what it touches: the same seed
        # gives every policy the same shipments, weather, demand and shortfalls.
        streams = np.random.default_rng(builder.seed).spawn(len(STREAMS) + len(builder.truck_states))
        self.rng = dict(zip(STREAMS + tuple(builder.truck_states), streams, strict=True))
        builder.rng = self.rng["shipments"]
        self.builder = builder
        self.cuts: dict[str, CapacityMiss] = {}
        self.bookings: dict[str, date] = {}
        self.spent_covers: set[str] = set()  # re-tenders executed before the current shortfalls began

    @classmethod
    def generate(cls, seed: int) -> tuple["TwinDays", Rows]:
        """A new scenario for a seed and the day stepper that continues it."""
        builder = ScenarioBuilder(seed)
        rows = builder.build(lambda _label: None)
        builder.rows = {}
        return cls(builder), rows

    def step(self, session: Session) -> DayReport:
        """Move the twin's clock one day ahead and commit what happened in that day."""
        now = store.clock(session)
        day, later = now.date(), now + timedelta(days=1)
        report = DayReport(day=day)
        self._conditions(later.date())
        self._capacity(session, now, report)
        self._ship(session, day, now, later, report)
        self._travel(session, now, later, report)
        self._stock(session, day, now, report)
        self._trucks(session, day, report)
        self._flush(session)
        store.set_clock(session, later)
        session.commit()
        return report

    # --- conditions and carriers -----------------------------------------------------------------------------

    def _conditions(self, day: date) -> None:
        """The weather and congestion of the new day in every region."""
        b = self.builder
        rows = []
        for region in REGIONS:
            if (region, day) not in b.weather:
                weather, congestion, b.weather_noise[region] = region_conditions(
                    self.rng["conditions"], region, day, b.weather_noise[region]
                )
                b.weather[(region, day)], b.congestion[(region, day)] = weather, congestion
            rows.append(
                {
                    "region": region,
                    "day": day,
                    "weather": b.weather[(region, day)],
                    "congestion": b.congestion[(region, day)],
                }
            )
        b.add(m.RegionCondition, rows)

    def _capacity(self, session: Session, now: datetime, report: DayReport) -> None:
        """Carriers may announce a week of missed capacity; past shortfalls end, and so do their covers."""
        self.cuts = {code: cut for code, cut in self.cuts.items() if cut.until > now}
        if not self.cuts:
            self.spent_covers |= {action.id for action in self._covers(session)}
        for carrier in CARRIERS:
            if carrier.code not in self.cuts and self.rng["capacity"].random() < CAPACITY_MISS_PER_DAY:
                cut = CapacityMiss(
                    carrier=carrier.code,
                    cut_pct=float(self.rng["capacity"].choice([30.0, 40.0, 50.0])),
                    until=now + timedelta(days=CAPACITY_MISS_DAYS),
                )
                self.cuts[carrier.code] = cut
                report.capacity_misses.append(cut)

    @staticmethod
    def _covers(session: Session) -> list[m.ActionRecord]:
        """Executed re-tenders and spot bookings."""
        return list(
            session.exec(
                select(m.ActionRecord).where(
                    col(m.ActionRecord.type).in_(COVER_ACTIONS), col(m.ActionRecord.status) == "executed"
                )
            ).all()
        )

    def _cover(self, session: Session, carrier: str, lane: str) -> str | None:
        """The carrier that a re-tender or spot booking of the current shortfall gives a refused load on a lane."""
        for record in self._covers(session):
            cover = parse_action(record.type, record.params)
            if record.id in self.spent_covers or not isinstance(cover, RetenderLoads | BookSpot):
                continue
            if cover.params.from_carrier != carrier:
                continue
            loads = cover.params.assignments if isinstance(cover, RetenderLoads) else []
            assigned = [load.carrier for load in loads if load.lane == lane]
            serving = [c.code for c in self.builder.lane_carriers[lane] if c.code != carrier]
            if assigned or serving:
                return (assigned or sorted(serving, key=lambda code: -RELIABILITY[code]))[0]
        return None

    # --- shipments --------------------------------------------------------------------------------------------

    def _ship(self, session: Session, day: date, now: datetime, later: datetime, report: DayReport) -> None:
        """The day's new shipments leave; a carrier short of capacity refuses some tenders."""
        b = self.builder
        new = b.ship_day(day, later, since=now if day == AS_OF.date() else None)
        b.rows.pop(m.ScanEvent, None)  # scans are written as the journey unfolds, in _travel
        tenders = _tender_plan(session, day)
        tiers = {customer["code"]: customer["tier"] for customer in b.customers}
        for shipment in new:
            shipment.update(status="in_transit", delivered_at=None)
            shares = tenders.get((shipment["lane"], tiers[shipment["destination"]])) if shipment["carrier"] else None
            if shares:
                shipment["carrier"] = max(shares, key=shares.__getitem__)
                shares[shipment["carrier"]] -= 1
            report.shipped.append(shipment["id"])
            cut = self.cuts.get(shipment["carrier"] or "")
            if cut is None or self.rng["tenders"].random() >= cut.cut_pct / 100:
                continue
            cover = self._cover(session, cut.carrier, shipment["lane"])
            kind = "tender_covered" if cover else "tender_refused"
            b.add(
                m.ScanEvent,
                [
                    {
                        "event_id": f"{shipment['id']}-{kind}",
                        "shipment_id": shipment["id"],
                        "kind": kind,
                        "location": shipment["origin"],
                        "at": shipment["shipped_at"],
                        "delay_minutes": 0,
                    }
                ],
            )
            if cover:
                shipment["carrier"] = cover
                report.tenders_covered.append(shipment["id"])
            else:
                b.journeys[shipment["id"]].hold_hours = TENDER_HOLD_HOURS
                report.tenders_refused.append(shipment["id"])
        for order in b.rows.get(m.Order, []):
            order["status"] = "shipped"

    def _travel(self, session: Session, now: datetime, later: datetime, report: DayReport) -> None:
        """Shipments on the road move on: new scans, and deliveries on time or late."""
        self._flush(session)
        expedited = _hours_saved(session)
        moving = session.exec(select(m.Shipment).where(col(m.Shipment.status).in_(("in_transit", "planned")))).all()
        ids = [s.id for s in moving]
        seen = set(session.exec(select(col(m.ScanEvent.event_id)).where(col(m.ScanEvent.shipment_id).in_(ids))).all())
        for shipment in moving:
            journey = self.builder.journeys.get(shipment.id)
            arrival = (
                self._route_arrival(session, shipment)
                if journey is None
                else self._journey_arrival(shipment, journey, expedited.get(shipment.id, 0.0))
            )
            if journey is not None:
                delay = (
                    (arrival - _aware(shipment.shipped_at)).total_seconds() / 3600
                    - journey.planned
                    - journey.hold_hours
                )
                departed = _aware(shipment.shipped_at) + timedelta(hours=journey.hold_hours)
                scans = scan_events(
                    shipment.id,
                    shipment.origin,
                    shipment.destination,
                    departed,
                    journey.planned,
                    max(delay, 0.0),
                    journey.known,
                    later,
                )
                self.builder.add(m.ScanEvent, [s for s in scans if s["event_id"] not in seen])
            if arrival > later:
                continue
            shipment.status, shipment.delivered_at = "delivered", arrival
            session.add(shipment)
            order = session.get(m.Order, shipment.order_id) if shipment.order_id else None
            if order is not None:
                order.status = "delivered"
                session.add(order)
            late = arrival > _aware(shipment.promised_at)
            (report.delivered_late if late else report.delivered_on_time).append(shipment.id)

    def _journey_arrival(self, shipment: m.Shipment, journey: Journey, hours_saved: float) -> datetime:
        """When a shipment arrives with its current carrier, the conditions of its day and any expedite."""
        b = self.builder
        shipped = _aware(shipment.shipped_at)
        ship_day = shipped.date()
        if shipment.carrier:
            reliability = RELIABILITY.get(shipment.carrier, OWN_FLEET_RELIABILITY)
            offset = b.lane_offset.get((shipment.carrier, shipment.lane), 0.0)
        else:
            reliability, offset = OWN_FLEET_RELIABILITY, 0.0
        delay = journey.delay_hours(
            reliability,
            offset,
            b.weather[(journey.origin_region, ship_day)],
            b.weather[(journey.dest_region, ship_day)],
            b.congestion[(journey.dest_region, ship_day)],
            ship_day.weekday(),
        )
        hours = journey.hold_hours + journey.planned + max(0.0, delay - hours_saved)
        return shipped + timedelta(hours=hours)

    @staticmethod
    def _route_arrival(session: Session, shipment: m.Shipment) -> datetime:
        """A stop of a day's route arrives in its window when its truck runs, a day late when the truck is down."""
        promised = _aware(shipment.promised_at)
        truck = session.get(m.Vehicle, shipment.truck) if shipment.truck else None
        if truck is not None and truck.status != "active":
            return promised + timedelta(days=1)
        return promised - timedelta(minutes=30)

    # --- stock ------------------------------------------------------------------------------------------------

    def _stock(self, session: Session, day: date, now: datetime, report: DayReport) -> None:
        """Orders and transfers due today land, the day's demand is served from stock on hand, the company's normal
        replenishment orders what fell to its reorder point, and each position's close of the day is recorded."""
        b = self.builder
        positions = session.exec(
            select(m.InventoryPosition).order_by(col(m.InventoryPosition.sku), col(m.InventoryPosition.location))
        ).all()
        skus = {sku["code"]: sku for sku in b.skus}
        factors = {code: float(demand_factors(sku["category"], [day])[0]) for code, sku in skus.items()}
        means = np.array([b.demand_level.get((p.sku, p.location), 0.0) * factors.get(p.sku, 1.0) for p in positions])
        units = draw_units(self.rng["demand"], means)
        inbound, landing = _inbound(session, day)
        rows = []
        for position, demanded in zip(positions, units, strict=True):
            key = (position.sku, position.location)
            untracked = max(0, position.in_transit - inbound.get(key, 0))  # reported in transit, arrival unknown
            landed = landing.get(key, 0) + min(untracked, math.ceil(untracked / REPLENISH_DAYS))
            position.in_transit -= min(landed, position.in_transit)
            position.on_hand += landed
            served = min(int(demanded), max(position.on_hand, 0))
            position.on_hand -= served
            position.updated_at = now
            session.add(position)
            unmet = int(demanded) - served
            if unmet:
                report.stockouts.append(f"{position.sku}@{position.location}")
                report.unmet_units[f"{position.sku}@{position.location}"] = unmet
            rows.append(
                {
                    "sku": position.sku,
                    "location": position.location,
                    "day": day,
                    "units": int(demanded),
                    "price": skus[position.sku]["unit_price"],
                    "promo": False,
                    "unmet": unmet,
                }
            )
        b.add(m.DemandHistory, rows)
        self._replenish(session, positions, now, report)
        b.add(
            m.StockDay,
            [
                {
                    "sku": p.sku,
                    "location": p.location,
                    "day": day,
                    "on_hand": p.on_hand,
                    "on_order": p.in_transit,
                    "safety_stock": p.safety_stock,
                }
                for p in positions
            ],
        )

    def _replenish(
        self, session: Session, positions: Sequence[m.InventoryPosition], now: datetime, report: DayReport
    ) -> None:
        """The company's (s, S) review: a position at or below its reorder point is ordered up to the reorder point
        plus a week of its recent demand, from its supplier at regular terms and the handling rate."""
        recent = replenishment.recent_daily_demand(session, now.date())
        handling = rate_value(session, "handling_usd_per_unit")
        for position in positions:
            qty = replenishment.review_order(position, recent.get((position.sku, position.location), 0.0))
            if qty <= 0:
                continue
            key = f"{position.sku}@{position.location}"
            term = store.supply_term(session, position.sku)
            order = m.PurchaseOrder(
                id=f"PO-REPL-{now.date().isoformat()}-{key}",
                sku=position.sku,
                location=position.location,
                qty=qty,
                service="regular",
                cost_usd=round(qty * handling, 2),
                created_at=now,
                arrives_on=now.date() + timedelta(days=term.regular_lead_days),
            )
            position.in_transit += qty
            session.add_all([position, order])
            report.replenished[key] = qty
            report.replenishment_usd += order.cost_usd

    # --- trucks -----------------------------------------------------------------------------------------------

    def _trucks(self, session: Session, day: date, report: DayReport) -> None:
        """Booked trucks are serviced; the others drive, wear and may fail; the day's downtime is counted."""
        b = self.builder
        due = self._due_services(session, day)
        readings = []
        for code, state in b.truck_states.items():
            vehicle = store.row(session, m.Vehicle, code)
            if code in due:
                state.serviced(day)
                for order in due[code]:
                    order.status, order.closed_at = "closed", at_hour(day, 18)
                    session.add(order)
                report.serviced.append(code)
                report.downtime_hours += SERVICE_HOURS
                vehicle.status, vehicle.last_service_at = "active", at_hour(day, 18)
                session.add(vehicle)
                continue
            was_down = state.down_days > 0
            state.maybe_start_drift(self.rng[code])
            reading, kind, component = state.live_day(self.rng[code], code, day)
            readings.append(reading)
            if kind == "corrective":
                report.failures.append(code)
            if kind:
                b.add(m.WorkOrder, [b.work_order(code, kind, component, day, vehicle.home_dc, b.work_orders)])
                b.work_orders += 1
            if was_down or kind == "corrective":
                report.downtime_hours += FAILURE_HOURS
                report.unplanned_downtime_hours += FAILURE_HOURS
            elif kind == "preventive":
                report.downtime_hours += SERVICE_HOURS
            vehicle.status = "out_of_service" if state.down_days or kind == "corrective" else "active"
            vehicle.odometer_miles = round(state.odometer, 1)
            if kind:
                vehicle.last_service_at = at_hour(day, 12)
            session.add(vehicle)
        b.add(m.TelemetryReading, readings)

    def _due_services(self, session: Session, day: date) -> dict[str, list[m.WorkOrder]]:
        """Scheduled work orders whose day has come, by truck; a new booking counts its days from today."""
        due: dict[str, list[m.WorkOrder]] = {}
        for order in session.exec(select(m.WorkOrder).where(col(m.WorkOrder.status) == "scheduled")).all():
            if order.id not in self.bookings:
                offset = (_aware(order.scheduled_for) - _aware(order.opened_at)).days if order.scheduled_for else 0
                self.bookings[order.id] = day + timedelta(days=max(offset, 0))
            if self.bookings[order.id] <= day:
                due.setdefault(order.truck, []).append(order)
        return due

    def _flush(self, session: Session) -> None:
        """Write the rows the generator produced, table by table in dependency order."""
        session.flush()
        for table in SQLModel.metadata.sorted_tables:
            model = next((model for model in self.builder.rows if m.table_of(model) is table), None)
            if model is None or not self.builder.rows[model]:
                continue
            defaults = column_defaults(model)
            session.connection().execute(insert(table), [{**defaults, **row} for row in self.builder.rows[model]])
        self.builder.rows = {}


def _inbound(session: Session, day: date) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """Open purchase orders and transfers with an arrival date, by (SKU, DC): all units inbound, and the units that
    land on `day` (their orders are marked received)."""
    inbound: dict[tuple[str, str], int] = {}
    landing: dict[tuple[str, str], int] = {}
    purchases = session.exec(select(m.PurchaseOrder).where(col(m.PurchaseOrder.status) == "open")).all()
    transfers = session.exec(
        select(m.TransferOrder).where(
            col(m.TransferOrder.status) == "open", col(m.TransferOrder.arrives_on).is_not(None)
        )
    ).all()
    arrivals = [(order, order.location, order.arrives_on) for order in purchases] + [
        (order, order.destination, order.arrives_on) for order in transfers if order.arrives_on is not None
    ]
    for order, dc, arrives_on in arrivals:
        key = (order.sku, dc)
        inbound[key] = inbound.get(key, 0) + order.qty
        if arrives_on <= day:
            landing[key] = landing.get(key, 0) + order.qty
            order.status = "received"
            session.add(order)
    return inbound, landing


def _tender_plan(session: Session, day: date) -> dict[tuple[str, str], dict[str, float]]:
    """The loads per carrier that the latest executed tender plan for a day gives each lane and customer tier: each
    new shipment goes to the carrier with the most loads left (the first in the plan on a tie)."""
    records = session.exec(
        select(m.ActionRecord)
        .where(m.ActionRecord.type == "plan_tenders", m.ActionRecord.status == "executed")
        .order_by(col(m.ActionRecord.executed_at).desc())
    ).all()
    for record in records:
        plan = parse_action(record.type, record.params)
        if isinstance(plan, PlanTenders) and plan.params.day == day:
            shares: dict[tuple[str, str], dict[str, float]] = {}
            for allocation in plan.params.allocations:
                shares.setdefault((allocation.lane, allocation.tier), {})[allocation.carrier] = allocation.loads
            return shares
    return {}


def _hours_saved(session: Session) -> dict[str, float]:
    """Hours of transit each shipment's executed expedites save."""
    saved: dict[str, float] = {}
    for params in session.exec(
        select(col(m.ActionRecord.params)).where(
            col(m.ActionRecord.type) == "expedite_shipment", col(m.ActionRecord.status) == "executed"
        )
    ).all():
        expedite = ExpediteShipmentParams.model_validate(params)
        saved[expedite.shipment_id] = saved.get(expedite.shipment_id, 0.0) + (expedite.hours_saved or 0.0)
    return saved


def _aware(moment: datetime) -> datetime:
    """A UTC-aware datetime (SQLite hands naive ones back)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=AS_OF.tzinfo)
