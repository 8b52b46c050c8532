"""The console's plans panel and trade-off editor in a real headless Chromium: the plan in force listed beside the
inbox and approved from it; an architect changes a trade-off weight (a bad lane named next to its field), a viewer
only reads it."""

import pytest

from tests.web.conftest import PHONE, Console, shoot

pytestmark = pytest.mark.slow


def test_the_plans_panel_lists_the_plan_in_force_and_a_planner_approves_it(open_page, console: Console):
    waits = console.call("PUT", "/v1/policies/plan_tenders", role="architect", json={"autonomy_level": 2})
    assert waits.status_code == 200, waits.text
    today = console.call("GET", "/v1/plans", role="viewer").json()["day"]
    made = console.call(
        "POST", "/v1/exceptions", role="integrator", json={"type": "tender_plan", "refs": {"day": today}}
    )
    assert made.status_code == 201 and made.json()["status"] == "pending_approval", made.text
    decision_id = made.json()["decision_id"]

    page = open_page("planner")
    card = page.locator(f'#plans article.plan[data-id="{decision_id}"]')
    card.wait_for()
    text = card.inner_text()
    assert "Tender plan" in text and "pending approval" in text and f"for {today}" in text
    assert "Trade-off: any tier on any lane v0" in text and "Objective: lowest expected total" in text
    card.locator("summary").click()
    shoot(page, "inbox-plans")
    assert card.locator("ul.alternatives li").count() == len(made.json()["alternatives"])
    card.locator(f'button[data-plan-verdict="{decision_id}"]').click()
    page.fill("#plan-verdict-reason", "Tenders agreed with the carriers")
    card.locator("button[data-verdict=approve]").click()
    page.wait_for_selector(f'#plans article.plan[data-id="{decision_id}"] .status-executed')
    assert console.call("GET", f"/v1/decisions/{decision_id}").json()["status"] == "executed"


def test_an_architect_changes_a_trade_off_weight_and_a_viewer_cannot(open_page, console: Console):
    page = open_page("architect")
    page.goto(f"{console.url}/#/tradeoff")
    page.wait_for_selector("h1:text-is('Trade-off')")
    page.select_option("#tradeoff-tier", "gold")
    page.fill("#tradeoff-lane", "DAL-NOWHERE")
    page.fill("#tradeoff-on_time", "4")
    page.fill("#tradeoff-reason", "favour on-time over cost for gold customers")
    page.click(".tradeoff-form button[type=submit]")
    page.wait_for_selector("#tradeoff-lane-error:has-text('is not a lane of the network')")
    shoot(page, "tradeoff-field-error")
    assert console.call("GET", "/v1/tradeoff", role="viewer").json() == []
    page.fill("#tradeoff-lane", "*")
    page.click(".tradeoff-form button[type=submit]")
    page.wait_for_selector("button[data-edit='gold|*']")
    [rule] = console.call("GET", "/v1/tradeoff", role="viewer").json()
    assert (rule["tier"], rule["lane"], rule["on_time"], rule["version"], rule["set_by"]) == (
        "gold",
        "*",
        4.0,
        1,
        "web-architect",
    )

    viewer = open_page("viewer", PHONE)
    viewer.goto(f"{console.url}/#/tradeoff")
    viewer.wait_for_selector("table tbody tr:has-text('web-architect')")
    shoot(viewer, "tradeoff-viewer")
    assert viewer.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    assert viewer.locator(".tradeoff-form").count() == 0 and viewer.locator("button[data-edit]").count() == 0
    status = viewer.evaluate(
        """async () => (await fetch("/v1/tradeoff", {method: "PUT",
        headers: {Authorization: `Bearer ${sessionStorage.getItem("yardmaster.key")}`, "Content-Type": "application/json"},
        body: JSON.stringify({tier: "gold", on_time: 9, reason: "forged"})})).status"""
    )
    assert status == 403
    assert console.call("GET", "/v1/tradeoff", role="viewer").json()[0]["on_time"] == 4.0
