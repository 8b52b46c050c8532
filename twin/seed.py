"""The reference-network scenario generator: a deterministic year of daily history from a seed."""

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Connection, Table, delete, insert
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from twin import models as m
from twin import replenishment
from twin.network import (
    CARRIERS,
    CATEGORIES,
    DC_BY_REGION,
    DCS,
    LOCAL_ONLY_CARRIERS,
    REGIONS,
    STANDARD_LEAD_DAYS,
    SUPPLIERS,
    TIER_SLACK_HOURS,
    DcSpec,
    event_on,
    holiday_on,
    road_miles,
)
from twin.rates import DEFAULT_RATES

AS_OF = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
HISTORY_DAYS = 365
TRUCKS_PER_DC = 8
N_SKUS = 60
N_CUSTOMERS = 200
REPLENISH_DAYS = STANDARD_LEAD_DAYS  # the replenishment lead time behind the stored safety stock and reorder point
FAILURE_DRIFT_TRUCK = "TRK-007"  # a truck visibly drifting towards a failure at AS_OF
SPIKE_SKU, SPIKE_DC, SURPLUS_DC = "SKU-0042", "DC-DAL", "DC-HOU"  # a demand spike and a stockout risk

Row = dict[str, Any]  # one table row's column values, as inserted
Rows = dict[type[SQLModel], list[Row]]
Progress = Callable[[str], None]
SEASON_PEAK = {"DAL": (4, 0.25), "HOU": (8, 0.30), "ATL": (7, 0.25), "CHI": (1, 0.45), "LAX": (1, 0.08)}
DC_DEMAND_SCALE = {"DC-DAL": 1.0, "DC-HOU": 0.9, "DC-ATL": 0.85, "DC-CHI": 1.1, "DC-LAX": 1.25}
CALENDAR_AHEAD_DAYS = 366  # public holidays and planned events are known a year ahead
DELAY_SCALE = 0.42  # mean of the exponential draw behind a shipment's delay, as a share of its planned hours


def history_days() -> list[date]:
    """The days of history, oldest first, ending the day before AS_OF."""
    last = AS_OF.date() - timedelta(days=1)
    return [last - timedelta(days=offset) for offset in range(HISTORY_DAYS - 1, -1, -1)]


def at_hour(day: date, hour: float) -> datetime:
    """A UTC datetime on a day at a fractional hour."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=float(hour))


def region_conditions(rng: np.random.Generator, region: str, day: date, noise: float) -> tuple[float, float, float]:
    """A region's weather and congestion (0..1) of a day, and the weather noise carried to the next day."""
    peak_month, amplitude = SEASON_PEAK[region]
    season = amplitude * (0.5 + 0.5 * math.cos(2 * math.pi * (day.month - peak_month) / 12))
    noise = 0.7 * noise + rng.normal(0, 0.06)
    storm = 0.45 if rng.random() < 0.03 else 0.0
    weather = float(np.clip(0.08 + season + noise + storm, 0, 1))
    base = 0.45 if region == "LAX" else 0.28
    congestion = float(np.clip(base + (0.12 if day.weekday() < 5 else -0.1) + rng.normal(0, 0.07), 0, 1))
    return round(weather, 3), round(congestion, 3), noise


def demand_factors(category: str, days: list[date]) -> np.ndarray:
    """A category's daily demand multiplier: weekday, season, holidays, their eves and events."""
    _, weekend, summer, lift, _ = CATEGORIES[category]
    weekday = np.array([d.weekday() for d in days])
    doy = np.array([d.timetuple().tm_yday for d in days])
    month = np.array([d.month for d in days])
    holiday = np.array([holiday_on(d) is not None for d in days])
    eve = np.array([holiday_on(d + timedelta(days=1)) is not None for d in days])
    event = np.array([event_on(d) is not None for d in days])
    week = np.where(weekday == 5, weekend, np.where(weekday == 6, 0.9 * weekend, 1.0 + 0.03 * weekday))
    season = 1 + summer * np.sin(2 * np.pi * (doy - 80) / 365) + np.where(month >= 11, 0.2, 0.0)
    special = np.where(holiday, 0.5, 1.0) * np.where(eve, lift, 1.0) * np.where(event, 1.3, 1.0)
    return week * season * special


def draw_units(rng: np.random.Generator, mean: np.ndarray) -> np.ndarray:
    """Daily units sold around a mean: Poisson with a gamma-distributed rate (overdispersed)."""
    return rng.poisson(mean * rng.gamma(8.0, 1 / 8.0, len(mean)))


def planned_transit_hours(miles: float, local: bool) -> float:
    """The planned door-to-door hours of a shipment: local delivery runs or line haul."""
    return miles / 30 + 2 if local else miles / 48 + 8


def delay_propensity(
    reliability: float, offset: float, weather_origin: float, weather_dest: float, congestion_dest: float, weekday: int
) -> float:
    """How prone a shipment is to delay: its carrier, the lane, the weather at both ends and congestion."""
    return max(
        0.02,
        (1 - reliability) * 3.5
        + offset
        + 0.45 * weather_origin
        + 0.35 * weather_dest
        + 0.25 * congestion_dest
        + (0.10 if weekday >= 4 else 0.0),
    )


def scan_events(
    shipment_id: str,
    origin: str,
    dest: str,
    shipped_at: datetime,
    planned: float,
    delay_hours: float,
    known: float,
    until: datetime,
) -> list[Row]:
    """The scans of one shipment up to a moment; a mid-journey delay scan reveals a share of the delay."""
    delivered = shipped_at + timedelta(hours=planned + delay_hours)
    events = [
        ("pickup", origin, shipped_at, 0),
        ("depart", origin, shipped_at + timedelta(hours=1), 0),
    ]
    if delay_hours > 0.5:
        events.append(
            ("delay", "in_transit", shipped_at + timedelta(hours=0.4 * planned), round(60 * delay_hours * known))
        )
    events += [
        ("arrive_hub", "hub", shipped_at + timedelta(hours=0.6 * planned + 0.6 * delay_hours), 0),
        ("out_for_delivery", dest, delivered - timedelta(hours=min(2.0, planned / 3)), 0),
        ("delivered", dest, delivered, 0),
    ]
    return [
        {
            "event_id": f"{shipment_id}-{k}",
            "shipment_id": shipment_id,
            "kind": kind,
            "location": where,
            "at": at,
            "delay_minutes": delay,
        }
        for k, (kind, where, at, delay) in enumerate(events)
        if at <= until
    ]


@dataclass
class Journey:
    """What the generator knows of a shipment on the road: its plan and the random draws behind its delay."""

    origin_region: str
    dest_region: str
    planned: float
    draw: float  # the exponential draw that, times planned hours and propensity, is the delay
    known: float  # the share of the delay the mid-journey scan reveals
    hold_hours: float = 0.0  # time lost before departure, e.g. a carrier refusing the tender

    def delay_hours(
        self,
        reliability: float,
        offset: float,
        weather_origin: float,
        weather_dest: float,
        congestion_dest: float,
        weekday: int,
    ) -> float:
        """The delay of the journey under a carrier's reliability and the day's conditions."""
        propensity = delay_propensity(reliability, offset, weather_origin, weather_dest, congestion_dest, weekday)
        return float(self.planned * propensity * self.draw)


@dataclass
class TruckState:
    """A truck's hidden wear: sensor offsets, failure hazard, miles since service, a drift towards failure."""

    offsets: np.ndarray
    hazard: float
    miles_since: float
    odometer: float
    last_service: date
    drift_left: int = 0
    drift_len: int = 0
    down_days: int = 0

    def maybe_start_drift(self, rng: np.random.Generator, forced: bool = False) -> None:
        """A healthy, running truck starts drifting towards a failure with its mileage-dependent hazard."""
        if (
            self.drift_left == 0
            and self.down_days == 0
            and (forced or rng.random() < self.hazard * (1 + self.miles_since / 12000))
        ):
            self.drift_len = 14 if forced else int(rng.integers(5, 21))
            self.drift_left = self.drift_len

    def live_day(self, rng: np.random.Generator, truck: str, day: date) -> tuple[Row, str | None, str | None]:
        """Drive a day: its telemetry reading, then what happened: "corrective" (a failure), "preventive", or None;
        and the failed component."""
        frac = 1 - self.drift_left / self.drift_len if self.drift_left else 0.0
        miles = 0.0 if self.down_days else float(rng.uniform(120, 260) if day.weekday() < 5 else rng.uniform(0, 80))
        self.miles_since += miles
        self.odometer += miles
        offsets = self.offsets
        reading = {
            "truck": truck,
            "at": at_hour(day, 23),
            "engine_temp_c": round(88 + offsets[0] + rng.normal(0, 1.5) + frac * rng.uniform(8, 16), 2),
            "oil_pressure_kpa": round(310 + offsets[1] + rng.normal(0, 8) - frac * rng.uniform(50, 90), 1),
            "vibration_mm_s": round(
                2.0 + offsets[2] + rng.normal(0, 0.3) + frac**2 * rng.uniform(3, 6) + self.miles_since / 20000, 3
            ),
            "miles_since_service": round(self.miles_since, 1),
            "fault_codes": int(rng.poisson(0.05 + 3 * frac**3)),
        }
        if self.down_days:
            self.down_days -= 1
        elif self.drift_left:
            self.drift_left -= 1
            if self.drift_left == 0:
                component = str(rng.choice(["cooling", "lubrication", "drivetrain", "electrical"]))
                self.down_days, self.miles_since, self.last_service = int(rng.integers(1, 4)), 0.0, day
                return reading, "corrective", component
        elif self.miles_since > 12000 or (day - self.last_service).days > 120:
            self.miles_since, self.last_service = 0.0, day
            return reading, "preventive", None
        return reading, None, None

    def serviced(self, day: date) -> None:
        """A workshop visit: any drift found and fixed, the service mileage reset."""
        self.drift_left, self.miles_since, self.last_service = 0, 0.0, day


class ScenarioBuilder:
    """Builds every table's rows in a fixed order from one random generator."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.seed = seed
        self.days = history_days()
        self.rows: Rows = {}

    def add(self, table: type[SQLModel], rows: list[Row]) -> None:
        """Append rows for a table."""
        self.rows.setdefault(table, []).extend(rows)

    def build(self, progress: Progress) -> Rows:
        """Generate the whole scenario, reporting each stage."""
        stages = [
            ("network", self.network),
            ("calendar and conditions", self.calendar),
            ("demand history", self.demand),
            ("inventory positions", self.inventory),
            ("shipments and scans", self.shipments),
            ("trucks and telemetry", self.trucks),
            ("today's routes", self.routes),
            ("open orders", self.open_orders),
        ]
        for label, stage in stages:
            stage()
            progress(label)
        self.add(
            m.TwinMeta,
            [
                {"key": "seed", "value": str(self.seed)},
                {"key": "as_of", "value": AS_OF.isoformat()},
                {"key": "history_start", "value": self.days[0].isoformat()},
                {"key": "history_days", "value": str(HISTORY_DAYS)},
            ],
        )
        self.add(m.CostRate, [{**rate.model_dump(), "version": 1, "updated_at": AS_OF} for rate in DEFAULT_RATES])
        return self.rows

    # --- network ---------------------------------------------------------------

    def network(self) -> None:
        """DCs, customers, SKUs, carriers and lanes."""
        self._locations()
        self._skus()
        self._carriers_and_lanes()

    def _locations(self) -> None:
        """The DCs, and the customers around them with their tiers and delivery windows."""
        rng = self.rng
        self.add(
            m.Location,
            [
                {
                    "code": dc.code,
                    "kind": "dc",
                    "name": f"{dc.city} DC",
                    "region": dc.region,
                    "lat": dc.lat,
                    "lon": dc.lon,
                    "bays": dc.bays,
                    "technician_hours_per_day": dc.technician_hours_per_day,
                }
                for dc in DCS
            ],
        )
        self.customers = []
        for n in range(1, N_CUSTOMERS + 1):
            dc = DCS[(n - 1) % len(DCS)]
            tier = rng.choice(["gold", "silver", "standard"], p=[0.15, 0.30, 0.55])
            start = int(rng.integers(6, 11)) * 60
            row = {
                "code": f"CUST-{n:04d}",
                "kind": "customer",
                "name": f"{dc.city} customer {n:04d}",
                "region": dc.region,
                "lat": round(dc.lat + rng.normal(0, 0.22), 4),
                "lon": round(dc.lon + rng.normal(0, 0.22), 4),
                "tier": str(tier),
                "window_start_min": start,
                "window_end_min": start + int(rng.integers(4, 11)) * 60,
            }
            self.customers.append(row)
        self.add(m.Location, self.customers)

    def _skus(self) -> None:
        """The SKUs with their costs, prices, weights and base demand, and their supply terms."""
        rng = self.rng
        categories = list(CATEGORIES)
        self.skus = []
        for n in range(1, N_SKUS + 1):
            category = categories[(n - 1) % len(categories)]
            (low, high), _, _, _, (cost_low, cost_high) = CATEGORIES[category]
            cost = round(float(rng.uniform(cost_low, cost_high)), 2)
            self.skus.append(
                {
                    "code": f"SKU-{n:04d}",
                    "name": f"{category.title()} item {n:04d}",
                    "category": category,
                    "unit_cost": cost,
                    "unit_price": round(cost * float(rng.uniform(1.3, 1.8)), 2),
                    "weight_kg": round(float(rng.uniform(0.2, 12.0)), 2),
                    "base": float(rng.uniform(low, high)),
                }
            )
        self.add(m.Sku, [{k: v for k, v in sku.items() if k != "base"} for sku in self.skus])
        self.add(m.SupplyTerm, [supply_term(sku["code"], sku["category"]) for sku in self.skus])

    def _carriers_and_lanes(self) -> None:
        """The carriers, the lanes between DCs' regions, and which carriers serve each lane with their on-time offset."""
        rng = self.rng
        self.add(
            m.Carrier,
            [
                {
                    "code": c.code,
                    "name": c.name,
                    "cost_per_mile": c.cost_per_mile,
                    "capacity_per_week": c.capacity_per_week,
                    "co2_kg_per_mile": c.co2_kg_per_mile,
                }
                for c in CARRIERS
            ],
        )
        self.lanes = {}
        for origin in DCS:
            for dest in DCS:
                local = origin.region == dest.region
                miles = 25.0 if local else road_miles(origin.lat, origin.lon, dest.lat, dest.lon)
                self.lanes[f"{origin.region}-{dest.region}"] = {
                    "code": f"{origin.region}-{dest.region}",
                    "origin": origin.code,
                    "dest_region": dest.region,
                    "distance_miles": miles,
                }
        self.add(m.Lane, list(self.lanes.values()))
        self.lane_carriers = {}
        self.lane_offset = {}
        for code, _lane in self.lanes.items():
            origin_region, dest_region = code.split("-")
            local = origin_region == dest_region
            serving = [
                c
                for c in CARRIERS
                if origin_region in c.regions
                and dest_region in c.regions
                and (local or c.code not in LOCAL_ONLY_CARRIERS)
            ]
            self.lane_carriers[code] = serving
            for carrier in serving:
                self.lane_offset[(carrier.code, code)] = float(rng.normal(0, 0.06))

    # --- calendar, weather, congestion ---------------------------------------------

    def calendar(self) -> None:
        """Holidays and events, known a year ahead of the clock, and the daily weather and congestion of each
        region."""
        ahead = [AS_OF.date() + timedelta(days=k) for k in range(CALENDAR_AHEAD_DAYS)]
        self.add(m.CalendarDay, [{"day": d, "holiday": holiday_on(d), "event": event_on(d)} for d in self.days + ahead])
        self.weather, self.congestion, self.weather_noise = {}, {}, {}
        rows = []
        for region in REGIONS:
            noise = 0.0
            for d in self.days + [AS_OF.date() + timedelta(days=k) for k in range(8)]:
                weather, congestion, noise = region_conditions(self.rng, region, d, noise)
                self.weather[(region, d)] = weather
                self.congestion[(region, d)] = congestion
                if d <= AS_OF.date():
                    rows.append({"region": region, "day": d, "weather": weather, "congestion": congestion})
            self.weather_noise[region] = noise
        self.add(m.RegionCondition, rows)

    # --- demand ----------------------------------------------------------------------

    def demand(self) -> None:
        """Daily units per SKU and DC with weekday, season, holiday, event and promotion effects."""
        rng = self.rng
        n_days = len(self.days)
        self.mean_demand, self.demand_level = {}, {}
        rows = []
        for sku in self.skus:
            factors = demand_factors(sku["category"], self.days)
            for dc in DCS:
                level = sku["base"] * DC_DEMAND_SCALE[dc.code] * rng.uniform(0.7, 1.3)
                self.demand_level[(sku["code"], dc.code)] = float(level)
                promo = np.zeros(n_days, dtype=bool)
                start = 0
                while start < n_days:
                    start += int(rng.geometric(1 / 45))
                    length = int(rng.integers(3, 8))
                    promo[start : start + length] = True
                    start += length
                discount = rng.uniform(0.15, 0.25)
                mean = level * factors * np.where(promo, 1 + 2.5 * discount, 1.0)
                if (sku["code"], dc.code) == (SPIKE_SKU, SPIKE_DC):
                    mean[-3:] *= 2.6
                units = draw_units(rng, mean)
                price = np.round(sku["unit_price"] * np.where(promo, 1 - discount, 1.0), 2)
                planned = units[-31:-3]  # the stock policy was last set before the final three days
                self.mean_demand[(sku["code"], dc.code)] = (float(planned.mean()), float(planned.std()))
                rows.extend(
                    {
                        "sku": sku["code"],
                        "location": dc.code,
                        "day": d,
                        "units": int(u),
                        "price": float(p),
                        "promo": bool(pr),
                    }
                    for d, u, p, pr in zip(self.days, units, price, promo, strict=False)
                )
        self.add(m.DemandHistory, rows)

    def inventory(self) -> None:
        """On-hand, in-transit and safety stock per SKU and DC, with one engineered shortage, recorded as the close
        of the last history day too."""
        rows = []
        for sku in self.skus:
            for dc in DCS:
                mean, std = self.mean_demand[(sku["code"], dc.code)]
                safety, reorder_point = replenishment.standing_levels(mean, std, REPLENISH_DAYS)
                cover_days = (
                    float(self.rng.uniform(9, 28)) if self.rng.random() > 0.04 else float(self.rng.uniform(2, 5))
                )
                if (sku["code"], dc.code) == (SPIKE_SKU, SPIKE_DC):
                    cover_days = 2.0
                if (sku["code"], dc.code) == (SPIKE_SKU, SURPLUS_DC):
                    cover_days = 40.0
                rows.append(
                    {
                        "sku": sku["code"],
                        "location": dc.code,
                        "on_hand": round(mean * cover_days),
                        "in_transit": round(mean * float(self.rng.uniform(0, 4))),
                        "allocated": round(mean * 0.5),
                        "safety_stock": safety,
                        "reorder_point": reorder_point,
                        "updated_at": AS_OF,
                    }
                )
        self.add(m.InventoryPosition, rows)
        closed = AS_OF.date() - timedelta(days=1)  # the positions at AS_OF are the close of the last history day
        self.add(
            m.StockDay,
            [
                {
                    "sku": row["sku"],
                    "location": row["location"],
                    "day": closed,
                    "on_hand": row["on_hand"],
                    "on_order": row["in_transit"],
                    "safety_stock": row["safety_stock"],
                }
                for row in rows
            ],
        )

    # --- shipments ------------------------------------------------------------------------

    def shipments(self) -> None:
        """A year of shipments with orders, scans and on-time outcomes, the last ones still open."""
        self.trucks_by_dc = {
            dc.code: [f"TRK-{i * TRUCKS_PER_DC + k + 1:03d}" for k in range(TRUCKS_PER_DC)] for i, dc in enumerate(DCS)
        }
        self.customers_by_region = {r: [c for c in self.customers if c["region"] == r] for r in REGIONS}
        self.sku_weights = np.array([s["base"] for s in self.skus])
        self.sku_weights /= self.sku_weights.sum()
        self.journeys: dict[str, Journey] = {}
        self.next_shipment = 1
        outcomes: dict[tuple[str, str], list[bool]] = {}
        for d in [*self.days, AS_OF.date()]:
            for shipment in self.ship_day(d, AS_OF):
                if shipment["delivered_at"] and shipment["carrier"]:
                    outcomes.setdefault((shipment["carrier"], shipment["lane"]), []).append(
                        shipment["delivered_at"] <= shipment["promised_at"]
                    )
        self.carrier_lanes(outcomes)

    def ship_day(self, d: date, until: datetime, since: datetime | None = None) -> list[Row]:
        """A day's shipments (those leaving before `until`, and not before `since`), orders and scans up to
        `until`; each keeps its journey so later days can move it."""
        volume = self.rng.poisson(30 if d.weekday() < 5 else 14)
        shipped = []
        for _ in range(volume):
            shipped_at = at_hour(d, float(self.rng.uniform(6, 20)))
            if shipped_at >= until or (since is not None and shipped_at < since):
                continue
            shipped.append(self._shipment(d, shipped_at, until))
        return shipped

    def _haulier(self, local: bool, origin: str, lane: str) -> tuple[str | None, str | None, float, float]:
        """Who carries a shipment (one of the DC's trucks for half the local ones, else a carrier serving the lane):
        the truck, the carrier, and the reliability and lane offset its delays follow."""
        rng = self.rng
        if local and rng.random() < 0.5:
            return self.trucks_by_dc[origin][int(rng.integers(TRUCKS_PER_DC))], None, 0.92, 0.0
        spec = self.lane_carriers[lane][int(rng.integers(len(self.lane_carriers[lane])))]
        return None, spec.code, spec.reliability, self.lane_offset[(spec.code, lane)]

    def _delay(
        self, d: date, planned: float, reliability: float, offset: float, origin_region: str, dest_region: str
    ) -> tuple[float, float]:
        """A shipment's random delay draw and its delay in hours: the draw scaled by the planned transit and by the
        propensity its carrier, the day's weather at both ends and congestion at the destination give."""
        propensity = delay_propensity(
            reliability,
            offset,
            self.weather[(origin_region, d)],
            self.weather[(dest_region, d)],
            self.congestion[(dest_region, d)],
            d.weekday(),
        )
        draw = float(self.rng.exponential(DELAY_SCALE))
        return draw, float(planned * propensity * draw)

    def _order(
        self, order_id: str, customer: str, dc: str, shipped_at: datetime, promised_at: datetime, open_now: bool
    ) -> None:
        """The order a shipment fills, placed 2 to 48 hours before it leaves."""
        self.add(
            m.Order,
            [
                {
                    "id": order_id,
                    "customer": customer,
                    "dc": dc,
                    "created_at": shipped_at - timedelta(hours=float(self.rng.uniform(2, 48))),
                    "promised_date": promised_at.date(),
                    "status": "shipped" if open_now else "delivered",
                }
            ],
        )

    def _shipment(self, d: date, shipped_at: datetime, until: datetime) -> Row:
        """One shipment of an order, its lines and its scans up to a moment; returns the shipment row."""
        rng = self.rng
        dest_region = REGIONS[int(rng.integers(len(REGIONS)))]
        customer = self.customers_by_region[dest_region][int(rng.integers(40))]
        origin_region = dest_region if rng.random() < 0.55 else REGIONS[int(rng.integers(len(REGIONS)))]
        origin = DC_BY_REGION[origin_region]
        lane = f"{origin_region}-{dest_region}"
        local = origin_region == dest_region
        miles = road_miles(origin.lat, origin.lon, customer["lat"], customer["lon"])
        truck, carrier, reliability, offset = self._haulier(local, origin.code, lane)
        planned = planned_transit_hours(miles, local)
        low, high = TIER_SLACK_HOURS[customer["tier"]]
        slack = float(rng.uniform(low, high)) * min(1.0, planned / 20)
        promised_at = shipped_at + timedelta(hours=planned + slack)
        draw, delay_hours = self._delay(d, planned, reliability, offset, origin_region, dest_region)
        delivered_at = shipped_at + timedelta(hours=planned + delay_hours)
        n = self.next_shipment
        self.next_shipment += 1
        shipment_id, order_id = f"SHP-{n:06d}", f"ORD-{n:06d}"
        open_now = delivered_at > until
        order_lines: list[Row] = [
            {"order_id": order_id, "sku": self.skus[int(i)]["code"], "qty": int(rng.integers(5, 60))}
            for i in rng.choice(N_SKUS, size=int(rng.integers(1, 4)), replace=False, p=self.sku_weights)
        ]
        sku_weight = {s["code"]: s["weight_kg"] for s in self.skus}
        self._order(order_id, customer["code"], origin.code, shipped_at, promised_at, open_now)
        self.add(m.OrderLine, order_lines)
        shipment = {
            "id": shipment_id,
            "order_id": order_id,
            "origin": origin.code,
            "destination": customer["code"],
            "lane": lane,
            "carrier": carrier,
            "truck": truck,
            "units": sum(li["qty"] for li in order_lines),
            "weight_kg": round(sum(li["qty"] * sku_weight[li["sku"]] for li in order_lines), 1),
            "distance_miles": miles,
            "shipped_at": shipped_at,
            "promised_at": promised_at,
            "delivered_at": None if open_now else delivered_at,
            "status": "in_transit" if open_now else "delivered",
        }
        self.add(m.Shipment, [shipment])
        known = float(rng.uniform(0.3, 0.8))
        self.add(
            m.ScanEvent,
            scan_events(shipment_id, origin.code, customer["code"], shipped_at, planned, delay_hours, known, until),
        )
        self.journeys[shipment_id] = Journey(origin_region, dest_region, planned, draw, known)
        return shipment

    def carrier_lanes(self, outcomes: dict[tuple[str, str], list[bool]]) -> None:
        """Each carrier's offer per lane, with the on-time rate its history shows."""
        rows = []
        for code, lane in self.lanes.items():
            for spec in self.lane_carriers[code]:
                history = outcomes.get((spec.code, code), [])
                transit_hours = lane["distance_miles"] / 48 + 8
                rows.append(
                    {
                        "carrier": spec.code,
                        "lane": code,
                        "rate_per_mile": round(spec.cost_per_mile * float(self.rng.uniform(0.9, 1.1)), 2),
                        "transit_days": max(1, math.ceil(transit_hours / 24)),
                        "capacity_per_week": max(6, round(spec.capacity_per_week * 3 / len(self.lanes))),
                        "on_time_rate": round(float(np.mean(history)) if history else spec.reliability, 3),
                        "shipments": len(history),
                    }
                )
        self.add(m.CarrierLane, rows)

    # --- trucks -------------------------------------------------------------------------------

    def trucks(self) -> None:
        """The fleet with daily telemetry that drifts before failures, and its work orders."""
        rng = self.rng
        vehicles, readings, work_orders = [], [], []
        self.truck_status, self.truck_states = {}, {}
        for dc in DCS:
            for code in self.trucks_by_dc[dc.code]:
                model_year = int(rng.integers(2016, 2025))
                odometer = float((2026 - model_year) * rng.uniform(60000, 90000))
                offsets = rng.normal(0, [1.5, 8.0, 0.2])
                hazard = 0.0035 * (1 + (2026 - model_year) / 8)
                state = TruckState(
                    offsets=offsets,
                    hazard=hazard,
                    miles_since=float(rng.uniform(0, 9000)),
                    odometer=odometer,
                    last_service=self.days[0],
                )
                for d in self.days + [AS_OF.date() + timedelta(days=k) for k in range(21)]:
                    state.maybe_start_drift(
                        rng, forced=code == FAILURE_DRIFT_TRUCK and d == AS_OF.date() - timedelta(days=8)
                    )
                    if d >= AS_OF.date():
                        if d == AS_OF.date():
                            status = "out_of_service" if state.down_days else "active"
                            self.truck_status[code] = (status, state.drift_left, state.drift_len)
                            self.truck_states[code] = copy.deepcopy(state)
                        continue
                    reading, kind, component = state.live_day(rng, code, d)
                    readings.append(reading)
                    if kind:
                        work_orders.append(self.work_order(code, kind, component, d, dc.code, len(work_orders)))
                vehicles.append(
                    {
                        "code": code,
                        "home_dc": dc.code,
                        "capacity_units": int(rng.integers(8, 13)) * 50,
                        "model_year": model_year,
                        "odometer_miles": round(state.odometer, 1),
                        "status": self.truck_status[code][0],
                        "last_service_at": at_hour(state.last_service, 12),
                    }
                )
        self.add(m.Vehicle, vehicles)
        self.add(m.TelemetryReading, readings)
        self.add(m.WorkOrder, work_orders)
        self.work_orders = len(work_orders)

    @staticmethod
    def work_order(truck: str, kind: str, component: str | None, day: date, dc: str, n: int) -> Row:
        """A closed work order of the history."""
        return {
            "id": f"WO-{n + 1:05d}",
            "truck": truck,
            "kind": kind,
            "component": component,
            "opened_at": at_hour(day, 14),
            "closed_at": at_hour(day + timedelta(days=1), 10),
            "bay_dc": dc,
            "status": "closed",
        }

    def _planned_shipment(self, dc: DcSpec, truck: str, customer: Row, day: date) -> Row:
        """A shipment of today's route of a DC's truck to a customer, promised by the end of its window."""
        shipment_id = f"SHP-{self.next_shipment:06d}"
        self.next_shipment += 1
        return {
            "id": shipment_id,
            "order_id": None,
            "origin": dc.code,
            "destination": customer["code"],
            "lane": f"{dc.region}-{dc.region}",
            "carrier": None,
            "truck": truck,
            "units": int(self.rng.integers(10, 60)),
            "weight_kg": round(float(self.rng.uniform(50, 400)), 1),
            "distance_miles": road_miles(dc.lat, dc.lon, customer["lat"], customer["lon"]),
            "shipped_at": AS_OF,
            "promised_at": at_hour(day, customer["window_end_min"] / 60),
            "delivered_at": None,
            "status": "planned",
        }

    def routes(self) -> None:
        """Today's local delivery routes for every active truck, in nearest-neighbour order."""
        rng = self.rng
        day = AS_OF.date()
        routes, stops, shipments = [], [], []
        for dc in DCS:
            local = [c for c in self.customers if c["region"] == dc.region]
            for truck in self.trucks_by_dc[dc.code]:
                if self.truck_status[truck][0] != "active":
                    continue
                route_id = f"RTE-{day:%Y%m%d}-{truck}"
                chosen = [local[int(i)] for i in rng.choice(len(local), size=int(rng.integers(4, 8)), replace=False)]
                here, clock, total = (dc.lat, dc.lon), 8 * 60.0, 0.0
                remaining = list(chosen)
                seq = 0
                while remaining:
                    nxt = min(remaining, key=lambda c: road_miles(here[0], here[1], c["lat"], c["lon"]))
                    remaining.remove(nxt)
                    leg = road_miles(here[0], here[1], nxt["lat"], nxt["lon"])
                    total += leg
                    clock = max(clock + leg / 30 * 60, nxt["window_start_min"])
                    seq += 1
                    shipments.append(self._planned_shipment(dc, truck, nxt, day))
                    shipment_id = shipments[-1]["id"]
                    stops.append(
                        {
                            "route_id": route_id,
                            "seq": seq,
                            "shipment_id": shipment_id,
                            "customer": nxt["code"],
                            "eta_min": round(clock),
                        }
                    )
                    clock += 15
                    here = (nxt["lat"], nxt["lon"])
                routes.append(
                    {
                        "id": route_id,
                        "truck": truck,
                        "dc": dc.code,
                        "day": day,
                        "distance_miles": round(total, 1),
                        "status": "planned",
                    }
                )
        self.add(m.Shipment, shipments)
        self.add(m.Route, routes)
        self.add(m.RouteStop, stops)

    def open_orders(self) -> None:
        """Orders placed but not shipped yet, three of them needing the short SKU at its DC soon."""
        rng = self.rng
        orders, lines = [], []
        for n in range(30):
            order_id = f"ORD-{self.next_shipment + n:06d}"
            storyline = n < 3
            dc = next(d for d in DCS if d.code == SPIKE_DC) if storyline else DCS[int(rng.integers(len(DCS)))]
            customer = [c for c in self.customers if c["region"] == dc.region][int(rng.integers(40))]
            sku = SPIKE_SKU if storyline else self.skus[int(rng.integers(N_SKUS))]["code"]
            orders.append(
                {
                    "id": order_id,
                    "customer": customer["code"],
                    "dc": dc.code,
                    "created_at": AS_OF - timedelta(hours=float(rng.uniform(1, 20))),
                    "promised_date": AS_OF.date() + timedelta(days=1 + n % 4),
                    "status": "open",
                }
            )
            lines.append({"order_id": order_id, "sku": sku, "qty": int(rng.integers(20, 80))})
        self.add(m.Order, orders)
        self.add(m.OrderLine, lines)
        self.next_shipment += len(orders)  # shipments and orders share one numbering


def supply_term(sku: str, category: str) -> Row:
    """The supplier terms of a SKU: its category's supplier and lead times."""
    supplier, name, regular, expedited = SUPPLIERS[category]
    return {
        "sku": sku,
        "supplier": supplier,
        "supplier_name": name,
        "regular_lead_days": regular,
        "expedited_lead_days": expedited,
        "source": f"{name} supply agreement (SOP-STOCK-01)",
    }


def generate(seed: int = 7, progress: Progress = lambda _label: None, scale: int = 1) -> Rows:
    """All rows of the reference scenario for a seed, grown `scale`-fold by clones with new codes (1: as is)."""
    if scale < 1:
        raise ValueError(f"scale must be at least 1, not {scale}")
    rows = ScenarioBuilder(seed).build(progress)
    if scale > 1:
        grow(rows, scale, progress)
    return rows


def grow(rows: Rows, scale: int, progress: Progress = lambda _label: None) -> None:
    """Grow a scenario in place: `scale - 1` clones of its shipments (orders, lines, scans), trucks (telemetry,
    work orders, today's routes), numbered after the originals; carrier capacity and DC bays grow alike."""
    base = {model: list(model_rows) for model, model_rows in rows.items()}
    span = ScaleSpan.of(base)
    for clone in range(1, scale):
        for model, cloned in clone_rows(base, span, clone).items():
            rows[model].extend(cloned)
        progress(f"clone {clone + 1} of {scale}")
    for model in (m.Carrier, m.CarrierLane):
        rows[model] = [{**row, "capacity_per_week": row["capacity_per_week"] * scale} for row in rows[model]]
    rows[m.CarrierLane] = [{**row, "shipments": row["shipments"] * scale} for row in rows[m.CarrierLane]]
    rows[m.Location] = [
        {**row, "bays": row["bays"] * scale, "technician_hours_per_day": row["technician_hours_per_day"] * scale}
        if row["kind"] == "dc"
        else row
        for row in rows[m.Location]
    ]
    rows[m.TwinMeta].append({"key": "scale", "value": str(scale)})


@dataclass(frozen=True)
class ScaleSpan:
    """How far each clone's numbers are shifted: shipment-and-order numbers, trucks, work orders."""

    shipments: int
    trucks: int
    work_orders: int

    @classmethod
    def of(cls, rows: Rows) -> "ScaleSpan":
        """The spans of a scenario's original rows."""
        return cls(
            shipments=max(number(row["id"]) for model in (m.Shipment, m.Order) for row in rows[model]),
            trucks=max(number(row["code"]) for row in rows[m.Vehicle]),
            work_orders=max((number(row["id"]) for row in rows[m.WorkOrder]), default=0),
        )


def number(code: str) -> int:
    """The number at the end of a code such as SHP-000123 or TRK-007."""
    return int(code.rsplit("-", 1)[1])


def renumber(code: str, shift: int, width: int) -> str:
    """A code with its trailing number shifted, e.g. TRK-007 shifted by 40 is TRK-047."""
    prefix, digits = code.rsplit("-", 1)
    return f"{prefix}-{int(digits) + shift:0{width}d}"


def clone_rows(base: Rows, span: ScaleSpan, copy: int) -> Rows:
    """One clone (copy >= 1) of the original shipments and fleet, with every code and reference renumbered."""
    shipment_id = {row["id"]: renumber(row["id"], copy * span.shipments, 6) for row in base[m.Shipment]}
    shipped_orders = {row["order_id"] for row in base[m.Shipment] if row["order_id"]}
    order_id = {code: renumber(code, copy * span.shipments, 6) for code in shipped_orders}
    truck = {row["code"]: renumber(row["code"], copy * span.trucks, 3) for row in base[m.Vehicle]}
    route_id = {row["id"]: f"RTE-{row['day']:%Y%m%d}-{truck[row['truck']]}" for row in base[m.Route]}
    return {
        m.Order: [{**row, "id": order_id[row["id"]]} for row in base[m.Order] if row["id"] in order_id],
        m.OrderLine: [
            {**row, "order_id": order_id[row["order_id"]]} for row in base[m.OrderLine] if row["order_id"] in order_id
        ],
        m.Shipment: [
            {
                **row,
                "id": shipment_id[row["id"]],
                "order_id": order_id.get(row["order_id"]),
                "truck": truck.get(row["truck"]),
            }
            for row in base[m.Shipment]
        ],
        m.ScanEvent: [
            {
                **row,
                "event_id": shipment_id[row["shipment_id"]] + row["event_id"][len(row["shipment_id"]) :],
                "shipment_id": shipment_id[row["shipment_id"]],
            }
            for row in base[m.ScanEvent]
        ],
        m.Vehicle: [{**row, "code": truck[row["code"]]} for row in base[m.Vehicle]],
        m.TelemetryReading: [{**row, "truck": truck[row["truck"]]} for row in base[m.TelemetryReading]],
        m.WorkOrder: [
            {**row, "id": renumber(row["id"], copy * span.work_orders, 5), "truck": truck[row["truck"]]}
            for row in base[m.WorkOrder]
        ],
        m.Route: [{**row, "id": route_id[row["id"]], "truck": truck[row["truck"]]} for row in base[m.Route]],
        m.RouteStop: [
            {**row, "route_id": route_id[row["route_id"]], "shipment_id": shipment_id[row["shipment_id"]]}
            for row in base[m.RouteStop]
        ],
    }


def load(engine: Engine, rows: Rows, chunk: int = 5000) -> None:
    """Replace every table's rows with the scenario's, in one transaction."""
    by_table = {m.table_of(model): (model, model_rows) for model, model_rows in rows.items()}
    tables = SQLModel.metadata.sorted_tables
    with engine.begin() as connection:
        kept = [m.table_of(model) for model in m.KEPT_BY_TRIGGERS]  # emptied last: deleting readings updates them
        for table in [*(table for table in reversed(tables) if table not in kept), *kept]:
            connection.execute(delete(table))
        for table in tables:
            if table not in by_table:
                continue
            model, model_rows = by_table[table]
            defaults = column_defaults(model)
            records = [{**defaults, **row} for row in model_rows]
            if connection.dialect.name == "postgresql":
                copy_rows(connection, table, records)
                continue
            for start in range(0, len(records), chunk):
                connection.execute(insert(table), records[start : start + chunk])


def copy_rows(connection: Connection, table: Table, records: list[Row]) -> None:
    """Write rows of one shape with PostgreSQL's COPY (several times faster than inserts), each value through its
    column type's bind processing as an insert would."""
    from psycopg import sql

    if not records:
        return
    names = list(records[0])
    if any(len(record) != len(names) for record in records):
        raise ValueError(f"rows of {table.name} differ in their columns")
    dialect = connection.dialect
    columns = [(name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in names]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, names))
    )
    driver = connection.connection.driver_connection
    if driver is None:
        raise RuntimeError("the connection to PostgreSQL is closed")
    with driver.cursor().copy(statement) as copy:
        for record in records:
            copy.write_row([record[name] if process is None else process(record[name]) for name, process in columns])


def column_defaults(model: type[SQLModel]) -> Row:
    """The declared defaults of a table's optional fields, leaving autoincrement keys to the database."""
    return {
        name: field.get_default(call_default_factory=True)
        for name, field in model.model_fields.items()
        if not field.is_required() and not (name == "id" and field.default is None)
    }
