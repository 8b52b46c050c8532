"""The console's attribution view in headless Chromium over a hand-built rollout: each effect drawn with its interval,
the decisions table, and a bad filter shown next to its field."""

import pytest

from tests.agents.rollout_twin import LANES_PER_SITE, build
from tests.api.conftest import issue_key
from tests.web.conftest import DESKTOP, PHONE, serving, shoot

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_forest_plot_draws_every_effect_with_its_interval(browser, empty_url, tmp_path, size):
    build(empty_url, seed=1, planted=-0.10)
    key = issue_key(empty_url, "viewer").key
    with serving(empty_url, tmp_path) as url:
        context = browser.new_context(viewport=size)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url + "/")
        page.fill("#api-key", key)
        page.click("#login-form button[type=submit]")
        page.click("#nav a[data-view=attribution]")
        page.wait_for_selector("#view h1:text-is('Attribution')")
        page.wait_for_selector("svg.forest")
        figure = page.locator("figure.forest-figure")
        assert figure.count() == 1 and "On-time delivery" in figure.locator("figcaption").inner_text()
        # two rows (the expedites and the rollout), each with its estimate against shadow and against baseline
        assert figure.locator("svg circle title").count() == 4
        assert figure.locator("svg line[stroke]").count() == 4, "every estimate has its interval drawn"
        rows = page.locator("table:has(caption:text('What fired and what was done')) tbody tr")
        assert rows.count() == 1 and f"shadowed {LANES_PER_SITE}" in rows.first.inner_text()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 1, f"the view is {overflow} px wider than a {size['width']} px window"
        shoot(page, "attribution")
        page.fill("#attribution-site", "DC-NOPE")
        page.click(".attribution-filters button[type=submit]")
        page.wait_for_selector("#attribution-site-error:has-text('DC-NOPE')")
        context.close()
        assert not errors, errors
