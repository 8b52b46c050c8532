"""Browser-test fixtures: a real API server on loopback over a seeded SQLite twin, and headless Chromium.

The tests skip, saying why, only where Debian's chromium (or the Playwright package) is missing; CI installs both.
"""

import json
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from tests.api.conftest import issue_key
from tests.conftest import Databases, copy_trained
from twin.settings import Settings

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "reports" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
# Actions that wait for a planner in these tests, so that decisions pause instead of executing.
PAUSED_ACTIONS = ("retender_loads", "book_spot", "notify_customer", "expedite_shipment", "switch_carrier")


class Console:
    """The server under test: its URL, its database and data directory, a key per role and HTTP calls as any role."""

    def __init__(self, url: str, database_url: str, data_dir: Path) -> None:
        self.url = url
        self.database_url = database_url
        self.data_dir = data_dir
        self.keys = {
            role: issue_key(database_url, role, f"web-{role}").key
            for role in ("viewer", "planner", "architect", "integrator")
        }

    def call(self, method: str, path: str, role: str = "planner", **kwargs) -> httpx.Response:
        """One API request with the role's key."""
        return httpx.request(
            method, self.url + path, headers={"Authorization": f"Bearer {self.keys[role]}"}, timeout=120, **kwargs
        )

    def pending(self, exception: dict) -> str:
        """Post an exception as the integrator; the id of the decision, which must wait for approval."""
        response = self.call("POST", "/v1/exceptions", role="integrator", json=exception)
        assert response.status_code == 201, response.text
        assert response.json()["status"] == "pending_approval", response.text
        return response.json()["decision_id"]


def _free_port() -> int:
    """A loopback port nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def console(databases: Databases, trained_dir: Path, tmp_path_factory) -> Iterator[Console]:
    """A started server on 127.0.0.1 over a private seeded SQLite twin, with paused actions set to level 2."""
    data_dir = tmp_path_factory.mktemp("console")
    copy_trained(trained_dir, data_dir)
    database_url = databases.seeded("sqlite")
    with serving(database_url, data_dir) as url:
        running = Console(url, database_url, data_dir)
        for action in PAUSED_ACTIONS:
            assert (
                running.call("PUT", f"/v1/policies/{action}", role="architect", json={"autonomy_level": 2}).status_code
                == 200
            )
        yield running


@contextmanager
def serving(database_url: str, data_dir: Path) -> Iterator[str]:
    """The API over a database, served on a free loopback port in a thread; its URL. The detector and webhook loops
    are off."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("YM_WEBHOOK_INTERVAL_S", "0")
        app = create_app(Settings(database_url=database_url, data_dir=data_dir, detect_interval_s=0))
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.started, "the API server did not start"
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Headless Debian Chromium driven by Playwright."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium; CI installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser, console: Console) -> Iterator:
    """`open_page(role, size=DESKTOP)`: a new tab logged in with a key of the role; page errors fail the test."""
    contexts, errors = [], []

    def start(role: str, size: dict = DESKTOP):
        context = browser.new_context(viewport=size)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(console.url + "/")
        page.fill("#api-key", console.keys[role])
        page.click("#login-form button[type=submit]")
        page.wait_for_selector("#nav:not([hidden])")
        return page

    yield start
    for context in contexts:
        context.close()
    assert not errors, f"errors in the page: {errors}"


def shoot(page, name: str) -> Path:
    """Save a screenshot of the page under reports/screenshots/NAME-WIDTH.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=path, full_page=True)
    return path


def record(name: str, figures: dict) -> None:
    """Write measured figures to reports/NAME.json."""
    path = SCREENSHOTS.parent / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
