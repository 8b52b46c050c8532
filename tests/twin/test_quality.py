"""The data-quality gate's reasons: read from validation error types, and lateness against the twin's clock."""

from datetime import UTC, datetime

from twin import quality

CLOCK = datetime(2026, 11, 2, 8, tzinfo=UTC)


def test_each_validation_error_has_a_reason():
    assert quality.reason_of("missing", None) == "null"
    assert quality.reason_of("string_type", None) == "null"
    assert quality.reason_of("greater_than_equal", -5) == "range"
    assert quality.reason_of("string_too_long", "x" * 200) == "range"
    assert quality.reason_of("literal_error", "teleport") == "schema"
    assert quality.reason_of("union_tag_invalid", "weather") == "schema"
    assert quality.reason_of("extra_forbidden", 1) == "schema"
    assert quality.reason_of("late", "2026-10-01") == "late"


def test_a_record_is_late_only_past_the_age_limit_before_the_twin_clock():
    assert quality.too_old(datetime(2026, 10, 30, 8, tzinfo=UTC), CLOCK, 72) is None
    late = quality.too_old(datetime(2026, 10, 30, 7, 59, tzinfo=UTC), CLOCK, 72)
    assert late == "2026-10-30T07:59:00+00:00 is more than 72 hours before the twin's clock 2026-11-02T08:00:00+00:00"
    assert quality.too_old(datetime(2020, 1, 1, tzinfo=UTC), None, 72) is None
