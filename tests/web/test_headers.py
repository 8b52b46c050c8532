"""Browser hardening in Chromium: every console view loads under the enforced CSP without a violation, and the API
docs render from vendored files with every non-loopback request cut."""

from urllib.parse import urlsplit

import httpx

from tests.api.desk_api import CAPACITY_LOSS
from tests.web.conftest import Console
from tests.web.test_console import VIEWS

WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def test_every_response_carries_the_hardening_headers(console: Console):
    for path in ("/", "/web/js/app.js", "/v1/me", "/docs", "/redoc", "/openapi.json", "/healthz"):
        answer = httpx.get(console.url + path, headers={"Authorization": f"Bearer {console.keys['viewer']}"})
        policy = answer.headers["content-security-policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy, path
        assert "script-src 'self';" in policy and "unsafe-eval" not in policy
        assert "unsafe-inline" not in policy or path == "/redoc", "only ReDoc's page allows inline styles"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["referrer-policy"] == "no-referrer"


def test_every_view_loads_under_the_csp_without_a_violation(open_page, console: Console):
    page = open_page("planner")
    page.add_init_script(WATCH_CSP)
    decision_id = console.pending(CAPACITY_LOSS)
    views = {**VIEWS, "decision": (f"#/decisions/{decision_id}", f"Decision {decision_id}")}
    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else 0)
    page.reload()
    page.wait_for_selector("#nav:not([hidden])")
    for hash_, title in views.values():
        page.goto(f"{console.url}/{hash_}")
        page.wait_for_selector(f"#view h1:text-is('{title}')")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__violations") == [], hash_
    assert refused == []


def test_the_api_docs_render_with_the_network_cut(browser, console: Console):
    context = browser.new_context()
    outside: list[str] = []

    def only_loopback(route) -> None:
        """Let loopback requests through; cut (and note) any other."""
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    context.add_init_script(WATCH_CSP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{console.url}/docs")
    page.wait_for_selector(".swagger-ui .opblock-summary-path", timeout=60_000)
    assert page.locator(".swagger-ui .opblock").count() > 30
    assert page.evaluate("window.__violations") == []
    page.goto(f"{console.url}/redoc")
    page.wait_for_selector("#redoc h1", timeout=60_000)
    assert "Yardmaster" in page.inner_text("#redoc h1")
    assert page.evaluate("window.__violations") == []
    context.close()
    assert outside == [] and errors == []
