"""The data-quality gate of ingestion: why a record was refused (schema, range, null, late, duplicate, unknown
reference), read from validation errors or found against the twin."""

from datetime import datetime, timedelta
from typing import Literal, get_args

Reason = Literal["schema", "range", "null", "late", "duplicate", "reference"]
REASONS: tuple[str, ...] = get_args(Reason)
RANGE_ERRORS = frozenset(
    {
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "too_long",
        "too_short",
        "string_too_long",
        "string_too_short",
        "finite_number",
        "int_range",
        "multiple_of",
    }
)


def reason_of(error_type: str, value: object) -> Reason:
    """The reason of one validation error: its own when it names one, `null` for a missing or null value, `range`
    for a value out of bounds, else `schema` (a wrong type, an unknown field or kind)."""
    if error_type in REASONS:
        return error_type  # pyright: ignore[reportReturnType]  # one of the Literal's values, checked above
    if error_type == "missing" or value is None:
        return "null"
    return "range" if error_type in RANGE_ERRORS else "schema"


def too_old(moment: datetime, clock: datetime | None, max_age_h: float) -> str | None:
    """Why a record dated `moment` is late against the twin's clock, None when it is not (or no clock is set)."""
    if clock is None or moment >= clock - timedelta(hours=max_age_h):
        return None
    return f"{moment.isoformat()} is more than {max_age_h:g} hours before the twin's clock {clock.isoformat()}"
