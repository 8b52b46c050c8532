"""The fixed parts of the reference network: DCs, carriers, SKU categories, holidays."""

import math
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class DcSpec:
    """A distribution centre of the reference network."""

    code: str
    city: str
    region: str
    lat: float
    lon: float
    bays: int
    technician_hours_per_day: float


DCS = (
    DcSpec("DC-DAL", "Dallas", "DAL", 32.7767, -96.7970, 2, 16.0),
    DcSpec("DC-HOU", "Houston", "HOU", 29.7604, -95.3698, 2, 16.0),
    DcSpec("DC-ATL", "Atlanta", "ATL", 33.7490, -84.3880, 2, 16.0),
    DcSpec("DC-CHI", "Chicago", "CHI", 41.8781, -87.6298, 3, 24.0),
    DcSpec("DC-LAX", "Los Angeles", "LAX", 34.0522, -118.2437, 3, 24.0),
)
REGIONS = tuple(dc.region for dc in DCS)
DC_BY_REGION = {dc.region: dc for dc in DCS}


@dataclass(frozen=True)
class CarrierSpec:
    """A carrier: cost, weekly capacity, emissions and how reliable it is at heart."""

    code: str
    name: str
    cost_per_mile: float
    capacity_per_week: int
    co2_kg_per_mile: float
    reliability: float  # base on-time propensity, 0..1
    regions: tuple[str, ...]  # regions it serves (both ends of a lane)


CARRIERS = (
    CarrierSpec("CAR-SWIFTLINE", "Swiftline Freight", 2.35, 90, 1.55, 0.93, REGIONS),
    CarrierSpec("CAR-REDRIVER", "Red River Logistics", 1.95, 70, 1.70, 0.84, ("DAL", "HOU", "ATL", "CHI")),
    CarrierSpec("CAR-BLUEGRID", "BlueGrid Transport", 2.10, 80, 1.35, 0.90, REGIONS),
    CarrierSpec("CAR-PRAIRIE", "Prairie Haulers", 1.80, 50, 1.80, 0.78, ("DAL", "CHI", "LAX")),
    CarrierSpec("CAR-COASTAL", "Coastal Carriers", 2.20, 60, 1.50, 0.88, ("HOU", "ATL", "LAX")),
    CarrierSpec("CAR-METRO", "Metro Express", 2.60, 120, 1.20, 0.91, REGIONS),
)
LOCAL_ONLY_CARRIERS = ("CAR-METRO",)

CATEGORIES = {
    # name: (base daily units range, weekend factor, summer amplitude, holiday lift, unit cost range)
    "grocery": ((14, 40), 1.25, 0.10, 1.8, (2.0, 9.0)),
    "household": ((8, 24), 1.15, 0.05, 1.4, (4.0, 20.0)),
    "electronics": ((3, 10), 1.35, -0.10, 2.6, (40.0, 300.0)),
    "apparel": ((5, 16), 1.40, 0.20, 2.0, (10.0, 60.0)),
    "hardware": ((4, 12), 1.20, 0.30, 1.3, (8.0, 90.0)),
}

STANDARD_LEAD_DAYS = 3  # SOP-STOCK-01: a regular replenishment order lands 3 days after it is placed
SupplierSpec = tuple[str, str, int, int]  # supplier code, name, regular and expedited lead days
SUPPLIERS: dict[str, SupplierSpec] = {
    # category: the supplier every SKU of the category is bought from (SOP-STOCK-01: regular orders land in 3 days)
    "grocery": ("SUP-FRESHWAY", "Freshway Foods", STANDARD_LEAD_DAYS, 1),
    "household": ("SUP-HOMEBASE", "Homebase Supply", STANDARD_LEAD_DAYS, 1),
    "electronics": ("SUP-VOLTEC", "Voltec Distribution", STANDARD_LEAD_DAYS, 2),
    "apparel": ("SUP-THREADLINE", "Threadline Apparel", STANDARD_LEAD_DAYS, 2),
    "hardware": ("SUP-IRONWORKS", "Ironworks Wholesale", STANDARD_LEAD_DAYS, 2),
}

HOLIDAYS = {
    (1, 1): "New Year's Day",
    (5, 25): "Memorial Day",
    (7, 4): "Independence Day",
    (9, 7): "Labor Day",
    (11, 26): "Thanksgiving",
    (11, 27): "Black Friday",
    (12, 24): "Christmas Eve",
    (12, 25): "Christmas Day",
    (12, 31): "New Year's Eve",
}
EVENTS = {(2, 8): "Super Bowl", (8, 15): "Back to School", (10, 31): "Halloween", (2, 14): "Valentine's Day"}

TIER_SLACK_HOURS = {"gold": (2.0, 14.0), "silver": (4.0, 22.0), "standard": (6.0, 34.0)}


def holiday_on(day: date) -> str | None:
    """The holiday of a day in the reference calendar, if any."""
    return HOLIDAYS.get((day.month, day.day))


def event_on(day: date) -> str | None:
    """The retail event of a day in the reference calendar, if any."""
    return EVENTS.get((day.month, day.day))


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in miles."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 3958.8 * 2 * math.asin(math.sqrt(a))


def road_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Road distance estimate: great-circle times a circuity factor of 1.2."""
    return round(1.2 * haversine_miles(lat1, lon1, lat2, lon2), 1)
