"""Per-key rate limits and throttled failed authentication: 429 with Retry-After."""

import pytest
from starlette.requests import Request

from api.throttle import DatabaseStorage, Throttle
from twin.db import make_engine
from twin.settings import Settings


def _request(peer: str, forwarded: str | None = None) -> Request:
    """A bare request from a peer address, with an optional `X-Forwarded-For`."""
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return Request({"type": "http", "client": (peer, 1234), "headers": headers})


def test_failures_are_counted_once_for_every_process_sharing_the_database(empty_url):
    engine = make_engine(empty_url)
    settings = Settings(database_url=empty_url, auth_failures_per_minute=3)
    first, second = Throttle(settings, engine), Throttle(settings, engine)  # two API processes
    assert [first.failed("10.0.0.9", f"ym_0000000{n}_x") for n in range(2)] == [0.0, 0.0]
    assert second.failed("10.0.0.9", "ym_00000009_x") == 0.0
    assert second.failed("10.0.0.9", "ym_00000008_x") >= 1, "the fourth failure from one address, in any process"
    assert first.failed("10.0.0.7", "ym_00000009_x") == 0.0, "another address, another key's second failure"
    assert first.failed("10.0.0.6", "ym_00000009_x") == 0.0
    assert first.failed("10.0.0.5", "ym_00000009_x") >= 1, "the fourth failure against one key prefix"
    storage = DatabaseStorage(engine)
    assert storage.get("LIMITER/address:10.0.0.9/3/1/minute") == 4 and storage.check()
    storage.reset()
    assert first.failed("10.0.0.9", "ym_00000001_x") == 0.0
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_forwarded_for_is_read_only_behind_a_trusted_proxy(empty_url):
    engine = make_engine(empty_url)
    direct = Throttle(Settings(database_url=empty_url), engine)
    assert direct.client(_request("127.0.0.1", "203.0.113.5")) == "127.0.0.1", "off by default: a forged header"
    proxied = Throttle(Settings(database_url=empty_url, trusted_proxies=["127.0.0.0/8"]), engine)
    assert proxied.client(_request("127.0.0.1", "198.51.100.1, 203.0.113.5")) == "203.0.113.5"
    assert proxied.client(_request("127.0.0.1", "203.0.113.5, 127.0.0.2")) == "203.0.113.5"
    assert proxied.client(_request("192.0.2.4", "203.0.113.5")) == "192.0.2.4", "not from the proxy: ignored"
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_busy_key_and_a_guessing_client_get_429(api_client, monkeypatch):
    monkeypatch.setenv("YM_RATE_LIMIT_PER_MINUTE", "5")
    monkeypatch.setenv("YM_AUTH_FAILURES_PER_MINUTE", "3")
    client = api_client("viewer")
    codes = [client.get("/v1/twin/summary").status_code for _ in range(6)]
    assert codes == [200] * 5 + [429]
    limited = client.get("/v1/twin/summary")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1

    guesser = api_client(None)
    bad = {"Authorization": "Bearer ym_00000000_guess"}
    codes = [guesser.get("/v1/twin/summary", headers=bad).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]
    assert guesser.get("/healthz").status_code == 200
