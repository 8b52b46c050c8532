"""The decision page in a real headless Chromium: the verdict form only for a role that may decide the decision (an
architect for one that governs a model, a planner otherwise), else a line saying who decides it."""

import pytest

from tests.agents.monitoring_fixtures import LATE, miscalibrated
from tests.web.conftest import Console

pytestmark = pytest.mark.slow


def open_decision(page, console: Console, decision_id: str) -> None:
    """Go to the decision's page and wait until it is drawn."""
    page.goto(f"{console.url}/#/decisions/{decision_id}")
    page.wait_for_selector(f"h1:has-text('{decision_id}')")


def governance_pending(console: Console) -> str:
    """A model-drift decision waiting for an architect: a miscalibrated late-risk version is put in force, then
    reported; its id."""
    bad = miscalibrated(console.data_dir / "models", "miscal000020")
    promoted = console.call("POST", f"/v1/models/{LATE}/promote", role="architect", json={"version": bad})
    assert promoted.status_code == 200, promoted.text
    return console.pending({"type": "model_drift", "refs": {"model": LATE}})


def test_the_verdict_form_shows_only_to_a_role_that_decides_the_decision(open_page, console: Console):
    governing = governance_pending(console)
    ordinary = console.pending({"type": "late_shipment", "refs": {"shipment_id": "SHP-009227"}, "severity": "high"})

    planner = open_page("planner")
    open_decision(planner, console, governing)
    assert planner.inner_text("#read-only") == "Your role can read this decision; architect or admin decides it."
    assert planner.locator("button[data-verdict]").count() == 0
    assert "for architect or admin" in planner.inner_text("ol.path")
    open_decision(planner, console, ordinary)
    planner.wait_for_selector("button[data-verdict=approve]")
    assert planner.locator("#read-only").count() == 0

    architect = open_page("architect")
    open_decision(architect, console, ordinary)
    assert architect.inner_text("#read-only") == "Your role can read this decision; planner or admin decides it."
    assert architect.locator("button[data-verdict]").count() == 0
    architect.goto(f"{console.url}/#/inbox?d={governing}")
    architect.wait_for_selector("#inbox-detail button[data-verdict=approve]")
    open_decision(architect, console, governing)
    architect.fill("#verdict-reason", "Calibration is off since the promotion")
    architect.click("button[data-verdict=approve]")
    architect.wait_for_selector("#audit :text('verdict: approve')")
    assert "web-architect" in architect.inner_text("#audit")
    assert console.call("GET", f"/v1/decisions/{governing}").json()["status"] == "executed"
