"""The cost model: every expected cost of a plan, priced from the rates stored in the twin.

Each price is a pure function of named rates; the rates in force are one evidence record (`rates:v...`), so a claim
about a penalty, a premium or the effect of notifying a customer is verified like any other number.
"""

from collections.abc import Sequence

from pydantic import BaseModel, Field

from tools.evidence import Evidence, Source
from twin.models import CostRate
from twin.rates import DEFAULT_RATES, KM_PER_MILE

TRUCKLOAD_KG = 20_000.0  # payload of a 53 ft dry van under the US 80,000 lb gross weight limit
SERVICE_PARTS = {
    "routine": "parts_usd_routine",
    "inspection": "parts_usd_inspection",
    "work_order": "parts_usd_work_order",
    "removal": "parts_usd_removal",
}


class Rate(BaseModel):
    """One rate in force: its value, unit, version and source."""

    key: str
    value: float = Field(ge=0)
    unit: str
    version: int
    source: str


class Rates(BaseModel):
    """The rates in force, by key; a rate never stored takes its documented default (version 0)."""

    rates: dict[str, Rate]

    @classmethod
    def of(cls, stored: Sequence[CostRate]) -> "Rates":
        """The rates from stored rows (anything with key, value, unit, version, source), defaults filling the gaps."""
        found = {row.key: Rate.model_validate(row, from_attributes=True) for row in stored}
        defaults = {rate.key: Rate(**rate.model_dump(), version=0) for rate in DEFAULT_RATES}
        return cls(rates={**defaults, **found})

    def __getitem__(self, key: str) -> float:
        """A rate's value."""
        return self.rates[key].value

    @property
    def version(self) -> str:
        """A short name of this set of rates: the sum of the versions in force (it grows with every edit)."""
        return str(sum(rate.version for rate in self.rates.values()))

    def evidence(self, keys: list[str]) -> Evidence:
        """The named rates as one evidence record, with their units and sources."""
        used = {key: self.rates[key] for key in sorted(set(keys))}
        return Evidence(
            id=f"rates:v{self.version}:{'+'.join(sorted(used))[:80]}",
            source=Source(tool="cost_model", model="rates", version=self.version),
            inputs={
                key: {"unit": rate.unit, "version": rate.version, "source": rate.source} for key, rate in used.items()
            },
            facts={key: rate.value for key, rate in used.items()},
        )


def late_penalty(rates: Rates, tier: str) -> float:
    """USD of one late delivery to a customer of the tier."""
    return rates[f"late_penalty_usd_{tier}"]


def notify(rates: Rates) -> float:
    """USD of telling a customer about a late shipment."""
    return rates["notify_usd"]


def expected_late_penalty(rates: Rates, p_late: float, tier: str, notified: bool) -> float:
    """The expected penalty of a shipment late with probability `p_late`; a customer told early bears less."""
    share = rates["notified_penalty_share"] if notified else 1.0
    return round(p_late * late_penalty(rates, tier) * share, 2)


def expedite_shipment(rates: Rates, miles: float) -> float:
    """USD of expediting a shipment's remaining trip of `miles`."""
    return round(rates["expedite_base_usd"] + rates["expedite_usd_per_mile"] * miles, 2)


def carrier_move(rate_per_mile: float, miles: float) -> float:
    """USD of a contract carrier load of `miles` at its lane rate."""
    return round(rate_per_mile * miles, 2)


def spot_move(rates: Rates, contract_usd: float) -> float:
    """USD of buying on the spot market what would cost `contract_usd` under contract."""
    return round(contract_usd * (1 + rates["spot_premium_share"]), 2)


def own_fleet(rates: Rates, miles: float, driver_hours: float) -> float:
    """USD of running own trucks `miles` with `driver_hours` of driving (never negative)."""
    return round(
        max(0.0, miles) * KM_PER_MILE * rates["own_fleet_usd_per_km"]
        + max(0.0, driver_hours) * rates["driver_usd_per_hour"],
        2,
    )


def tender_stops(rates: Rates, rate_per_mile: float, round_trip_miles: list[float]) -> float:
    """USD of handing stops to a local carrier: each stop's round trip at its rate plus the per-stop fee."""
    return round(sum(rate_per_mile * miles + rates["tender_stop_fee_usd"] for miles in round_trip_miles), 2)


def workshop_visit(rates: Rates, service: str, hours: float) -> float:
    """USD of a planned workshop visit: technician hours at the labour rate plus the service's parts."""
    return round(hours * rates["workshop_labour_usd_per_hour"] + rates[SERVICE_PARTS[service]], 2)


def breakdown(rates: Rates, deliveries_per_day: float) -> float:
    """USD of one breakdown: tow, corrective premium and the deliveries lost while the truck is down."""
    return round(
        rates["breakdown_tow_usd"]
        + rates["breakdown_premium_usd"]
        + rates["breakdown_downtime_days"] * deliveries_per_day * rates["delivery_rebook_usd"],
        2,
    )


def lost_deliveries(rates: Rates, deliveries: float) -> float:
    """USD of deliveries a truck in the workshop cannot run (rebooked or handed over)."""
    return round(deliveries * rates["delivery_rebook_usd"], 2)


def stockout(rates: Rates, units: float, margin: float) -> float:
    """USD of `units` not sold: the lost margin plus the penalty per unit short."""
    return round(max(0.0, units) * (margin + rates["stockout_penalty_usd_per_unit"]), 2)


def holding(rates: Rates, units: float, unit_cost: float, days: float) -> float:
    """USD of holding `units` for `days`."""
    return round(max(0.0, units) * holding_per_unit(rates, unit_cost, days), 2)


def holding_per_unit(rates: Rates, unit_cost: float, days: float) -> float:
    """USD of holding one unit for `days`, unrounded."""
    return unit_cost * rates["holding_share_per_year"] * days / 365


def transfer_per_unit(rates: Rates, rate_per_mile: float, miles: float, weight_kg: float, truckload_kg: float) -> float:
    """USD per unit moved between DCs: its share of a truckload by weight plus handling at both ends."""
    return round(rate_per_mile * miles * weight_kg / truckload_kg + rates["handling_usd_per_unit"], 4)


def days_held(qty: float, daily_demand: float) -> float:
    """Average days the units of an order wait on the shelf: half the days the demand takes to sell them."""
    return qty / (2 * daily_demand) if daily_demand > 0 else 0.0


def purchase(rates: Rates, qty: float, unit_cost: float, expedited: bool, holding_days: float) -> float:
    """USD of a supplier order beyond the goods themselves (they keep their value at cost): handling per unit, the
    expedite premium on an emergency order, and holding while the units wait to be sold."""
    premium = qty * unit_cost * rates["expedite_purchase_premium_share"] if expedited else 0.0
    return round(
        max(0.0, qty) * rates["handling_usd_per_unit"] + premium + holding(rates, qty, unit_cost, holding_days), 2
    )


def late_loads(rates: Rates, loads: float) -> float:
    """USD of loads delivered late or held."""
    return round(max(0.0, loads) * rates["late_load_penalty_usd"], 2)
