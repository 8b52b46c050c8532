"""Model features in the words planners use: the one glossary every justification, answer and eval reads
(docs/glossary.md shows the same table)."""

import re

GLOSSARY = {
    "lane": "lane",
    "origin": "origin DC",
    "dest_region": "destination region",
    "carrier": "carrier",
    "distance_miles": "distance",
    "units": "units shipped",
    "weight_kg": "weight",
    "planned_transit_hours": "planned transit time",
    "slack_hours": "time margin at dispatch",
    "slack_left_hours": "time left before the promise",
    "scan_delay_minutes": "delay reported by scans",
    "weather": "weather on the lane",
    "congestion": "congestion on the lane",
    "ship_dow": "day of the week shipped",
    "ship_hour": "hour shipped",
    "engine_temp_c": "engine temperature",
    "oil_pressure_kpa": "oil pressure",
    "vibration_mm_s": "vibration",
    "fault_codes": "fault codes",
    "miles_since_service": "miles since the last service",
    "odometer_miles": "odometer",
    "age_years": "truck age",
    "horizon": "days ahead",
    "weekday": "day of the week",
    "month": "month",
    "day_of_year": "time of year",
    "day_of_month": "day of the month",
    "holiday": "holiday",
    "event": "local event",
    "occasion_prev_day": "occasion the day before",
    "occasion_next_day": "occasion the day after",
    "promo": "promotion",
    "price_ratio": "price against usual",
    "same_weekday_last": "same weekday last week against usual",
    "same_weekday_mean_4": "same weekday over four weeks against usual",
    "last_year": "same day last year against usual",
    "last_year_week": "same week last year against usual",
    "last_year_ahead": "the weeks after, last year, against usual",
    "year_growth": "growth over last year",
    "log_level": "usual daily demand (log)",
    "std_28": "demand swings over four weeks against usual",
    "zero_share_28": "share of days without sales over four weeks",
    "sku": "SKU",
    "location": "DC",
}
UNITS = {  # the unit a feature's value is read in, written after it
    "distance_miles": "miles",
    "units": "units",
    "weight_kg": "kg",
    "planned_transit_hours": "hours",
    "slack_hours": "hours",
    "slack_left_hours": "hours",
    "scan_delay_minutes": "minutes",
    "engine_temp_c": "°C",
    "oil_pressure_kpa": "kPa",
    "vibration_mm_s": "mm/s",
    "miles_since_service": "miles",
    "odometer_miles": "miles",
    "age_years": "years",
}
_LAG = re.compile(r"^lag_(\d+)$")
_DERIVED = re.compile(r"^(?P<base>.+?)_(?P<kind>slope|mean|drift|max|min|std)(?P<days>\d*)$")
_DERIVED_WORDS = {"slope": "trend", "mean": "average", "drift": "drift", "max": "peak", "min": "low", "std": "swings"}
_MEAN = re.compile(r"^mean_(\d+)$")


SPANS = {1: "a day", 7: "a week", 14: "two weeks", 28: "four weeks", 56: "eight weeks", 112: "sixteen weeks"}
DAYS_BEFORE = {0: "on the latest day", 1: "the day before the latest"} | {
    k: f"{word} days before the latest" for k, word in enumerate(("two", "three", "four", "five", "six"), start=2)
}


def _span(days: int) -> str:
    """A span of days in words, so answers carry no figure the evidence lacks (e.g. 7 -> "a week")."""
    return SPANS.get(days, "recent days")


def feature_words(name: str) -> str:
    """A model feature in planner words (e.g. "slack_left_hours" -> "time left before the promise"; "lag_0", the
    demand of the last day the model saw over the usual level -> "demand on the latest day against usual")."""
    if name in GLOSSARY:
        return GLOSSARY[name]
    if match := _LAG.match(name):
        return f"demand {DAYS_BEFORE.get(int(match[1]), 'on recent days')} against usual"
    if match := _MEAN.match(name):
        return f"average demand over {_span(int(match[1]))} against usual"
    if (match := _DERIVED.match(name)) and match["base"] in GLOSSARY:
        days = f" over {_span(int(match['days']))}" if match["days"] else ""
        return f"{GLOSSARY[match['base']]} {_DERIVED_WORDS[match['kind']]}{days}"
    return name.replace("_", " ")


def feature_value(name: str, value: str) -> str:
    """A feature and its value as a planner reads them (e.g. "time left before the promise 1.15 hours")."""
    unit = UNITS.get(name)
    return f"{feature_words(name)} {value} {unit}" if unit else f"{feature_words(name)} {value}"
