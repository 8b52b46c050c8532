"""The console's models view in a real headless Chromium: each model's monitoring history drawn as line charts with
the limits crossed, recommended autonomy beside the configured level in the policies view, and an architect's
promotion and rollback (a viewer sees no button)."""

import pytest

from tests.conftest import register_copy
from tests.twin.performance_history import Measured, keep_performance
from tests.web.conftest import Console, shoot
from tools import late_risk

pytestmark = pytest.mark.slow
LATE = late_risk.MODEL_NAME


def keep_history(console: Console, version: str) -> None:
    """Three days of late-risk performance, the last past the calibration limit."""
    keep_performance(
        console.database_url,
        LATE,
        version,
        [
            Measured(
                days_back=back,
                rows=320,
                metrics={"roc_auc": 0.97, "calibration_error": calibration},
                breaches=["calibration error 0.210 above 0.1"] if calibration > 0.1 else [],
            )
            for back, calibration in ((2, 0.02), (1, 0.04), (0, 0.21))
        ],
    )


def test_an_architect_reads_the_history_promotes_and_rolls_back_and_a_viewer_only_reads(open_page, console: Console):
    models_dir = console.data_dir / "models"
    trained = console.call("GET", f"/v1/models/{LATE}", role="viewer").json()["active_version"]
    copy = register_copy(models_dir, LATE, "webcopy00001")
    keep_history(console, trained)

    page = open_page("architect")
    page.goto(f"{console.url}/#/models")
    card = page.locator(f"#model-{LATE}")
    card.locator("figure.line-chart").first.wait_for()
    assert "calibration error by day: 0.21 (2026-11-02)" in card.inner_text()
    assert "Latest performance: calibration error 0.210 above 0.1" in card.inner_text()
    assert card.locator("figure.line-chart circle").count() == 6  # AUC and calibration, three days each
    shoot(page, "models")
    assert console.call("GET", f"/v1/models/{LATE}", role="viewer").json()["active_version"] == copy  # the newest
    card.locator(f"button[data-promote='{trained}']").click()
    card.locator(f"button[data-rollback='{LATE}']").wait_for()
    assert console.call("GET", f"/v1/models/{LATE}", role="viewer").json()["active_version"] == trained
    page.locator(f"#model-{LATE} button[data-rollback='{LATE}']").click()
    page.wait_for_selector(f"#model-{LATE} p:has-text('In force: {copy}')")

    page.goto(f"{console.url}/#/policies")
    recommended = page.locator("#policy-recommendations")
    recommended.locator("tbody tr").first.wait_for()
    row = recommended.locator("tr:has-text('expedite shipment @ *')")
    assert "(raise)" not in row.inner_text()  # set to recommend by the fixture, and held there by the model
    assert "xgb-late-risk on 2026-11-02: calibration error 0.210 above 0.1" in row.inner_text()

    viewer = open_page("viewer")
    viewer.goto(f"{console.url}/#/models")
    viewer.locator(f"#model-{LATE} figure.line-chart").first.wait_for()
    assert viewer.locator("button[data-promote], button[data-rollback]").count() == 0
