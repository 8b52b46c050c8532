"""Attribution on a hand-built rollout (the desk on the lanes out of Dallas, shadow on those out of Houston): the 95%
interval of the effect on on-time delivery covers the planted effect, and zero when none is planted; decisions,
statuses and outcomes per trigger and action type; the periods and the filters."""

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from agents import attribution
from tests.agents.rollout_twin import GO_LIVE, LANES_PER_SITE, build
from twin.db import make_engine, session_scope
from twin.kpis import BadFilter

PLANTED = -0.10  # the desk cuts the late rate by 10 points: on-time delivery up 10 points


@pytest.fixture
def rollout(empty_url: str, request) -> Iterator[Session]:
    """A rollout twin of the parametrised seed and planted effect."""
    seed, planted = request.param
    build(empty_url, seed, planted)
    engine = make_engine(empty_url)
    with session_scope(engine) as session:
        yield session
    engine.dispose()


def expedites(report: attribution.AttributionReport) -> attribution.ActionAttribution:
    """The expedite row of the late-shipment trigger."""
    (trigger,) = report.triggers
    (row,) = trigger.actions
    return row


@pytest.mark.parametrize("rollout", [(1, PLANTED), (2, PLANTED), (3, PLANTED)], indirect=True)
def test_the_interval_against_shadow_covers_the_planted_effect(rollout: Session):
    report = attribution.report(rollout)
    (on_time,) = expedites(report).effects
    assert on_time.kpi == "on_time_delivery" and on_time.higher_is_better
    shadow = on_time.against_shadow
    assert shadow.method == "difference_in_differences"
    assert (shadow.treated_units, shadow.control_units) == (LANES_PER_SITE, LANES_PER_SITE)
    assert shadow.covers(-PLANTED), shadow
    assert shadow.low is not None and shadow.low > 0, "a 10-point gain on 12 lanes is told apart from none"
    (whole,) = report.rollout
    assert whole.against_shadow.covers(-PLANTED), whole.against_shadow


@pytest.mark.parametrize("rollout", [(4, 0.0), (5, 0.0), (6, 0.0)], indirect=True)
def test_with_no_effect_planted_the_interval_covers_zero(rollout: Session):
    (on_time,) = expedites(attribution.report(rollout)).effects
    assert on_time.against_shadow.covers(0.0), on_time.against_shadow
    shadow, baseline = on_time.against_shadow, on_time.against_baseline
    assert baseline.method == "before_after" and baseline.high is not None and baseline.high < 0, (
        "the season's drift shows against the baseline, which the shadow lanes take out"
    )
    rates = (shadow.treated_before, shadow.treated_after, shadow.control_before, shadow.control_after)
    treated_before, treated_after, control_before, control_after = (r for r in rates if r is not None)
    assert baseline.estimate == pytest.approx(treated_after - treated_before, abs=1e-5)
    assert shadow.estimate == pytest.approx(
        (treated_after - treated_before) - (control_after - control_before), abs=1e-5
    )


@pytest.mark.parametrize("rollout", [(1, PLANTED)], indirect=True)
def test_what_fired_what_was_done_and_the_outcomes(rollout: Session):
    report = attribution.report(rollout)
    assert report.periods.went_live == GO_LIVE
    assert (report.periods.measured.start, report.periods.measured.days) == (GO_LIVE, 28)
    assert report.periods.baseline.end.isoformat() == "2026-10-04" and report.periods.baseline.days == 28
    (trigger,) = report.triggers
    assert trigger.trigger == "late_shipment" and trigger.fired == 2 * LANES_PER_SITE
    row = expedites(report)
    assert row.action_type == "expedite_shipment"
    assert row.by_status == {"executed": LANES_PER_SITE, "shadowed": LANES_PER_SITE}
    assert row.outcomes == {"unchecked": LANES_PER_SITE}
    assert sum(row.shadow_outcomes.values()) == LANES_PER_SITE
    assert set(row.shadow_outcomes) <= {"achieved", "not_achieved"}


@pytest.mark.parametrize("rollout", [(1, PLANTED)], indirect=True)
def test_filters_and_periods(rollout: Session):
    dallas = attribution.report(rollout, site="DC-DAL")
    assert expedites(dallas).by_status == {"executed": LANES_PER_SITE}
    (on_time,) = expedites(dallas).effects
    assert on_time.against_shadow.control_units == 0 and on_time.against_shadow.reason
    assert attribution.report(rollout, baseline_days=7).periods.baseline.days == 7
    with pytest.raises(BadFilter) as bad:
        attribution.report(rollout, site="DC-NOPE")
    assert bad.value.field == "site"
    with pytest.raises(BadFilter) as backwards:
        attribution.report(rollout, start=GO_LIVE, end=GO_LIVE.replace(day=1))
    assert backwards.value.field == "to"
