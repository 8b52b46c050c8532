"""How figures read in answers: thousands separators, units, plurals, percentages, and planner words for model
features (the glossary in docs/glossary.md)."""

import re

# Model feature names in the words planners use; docs/glossary.md lists the same.
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
    "same_weekday_last": "same weekday last week",
    "same_weekday_mean_4": "same weekday over four weeks",
    "last_year": "same day last year",
    "last_year_week": "same week last year",
    "last_year_ahead": "the weeks after, last year",
    "year_growth": "growth over last year",
    "log_level": "usual daily demand",
    "std_28": "demand swings over four weeks",
    "zero_share_28": "days without sales over four weeks",
}
_LAG = re.compile(r"^lag_(\d+)$")
_DERIVED = re.compile(r"^(?P<base>.+?)_(?P<kind>slope|mean|drift|max|min|std)(?P<days>\d*)$")
_DERIVED_WORDS = {"slope": "trend", "mean": "average", "drift": "drift", "max": "peak", "min": "low", "std": "swings"}
_MEAN = re.compile(r"^mean_(\d+)$")


SPANS = {1: "a day", 7: "a week", 14: "two weeks", 28: "four weeks", 56: "eight weeks", 112: "sixteen weeks"}


def _span(days: int) -> str:
    """A span of days in words, so answers carry no figure the evidence lacks (e.g. 7 -> "a week")."""
    return SPANS.get(days, "recent days")


def feature_words(name: str) -> str:
    """A model feature in planner words (e.g. "slack_left_hours" -> "time left before the promise")."""
    if name in GLOSSARY:
        return GLOSSARY[name]
    if match := _LAG.match(name):
        return f"demand {_span(int(match[1]))} ago"
    if match := _MEAN.match(name):
        return f"average demand over {_span(int(match[1]))}"
    if (match := _DERIVED.match(name)) and match["base"] in GLOSSARY:
        days = f" over {_span(int(match['days']))}" if match["days"] else ""
        return f"{GLOSSARY[match['base']]} {_DERIVED_WORDS[match['kind']]}{days}"
    return name.replace("_", " ")


def number(value: float | int, decimals: int | None = None) -> str:
    """A figure with thousands separators and its own decimals, at most two (e.g. 21551.56 -> "21,551.56")."""
    if decimals is None:
        decimals = 0 if float(value).is_integer() else min(2, len(repr(float(value)).split(".")[1]))
    return f"{value:,.{decimals}f}"


def usd(value: float) -> str:
    """An amount of money, e.g. "21,551.56 USD"."""
    return f"{value:,.2f} USD" if not float(value).is_integer() else f"{value:,.0f} USD"


def percent(share: float) -> str:
    """A share between 0 and 1 as a whole percentage, e.g. 0.25 -> "25%"."""
    return f"{round(share * 100)}%"


def plural(count: float | int, noun: str, plural_form: str | None = None) -> str:
    """A count with its noun, singular for exactly one (e.g. "1 load", "2 loads", "1 hour", "1,204 units")."""
    word = noun if count == 1 else (plural_form or noun + "s")
    return f"{number(count)} {word}"


def year(value: int) -> str:
    """A model year, without a thousands separator."""
    return str(int(value))
