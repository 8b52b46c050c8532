"""Throttling on real servers: failed keys are limited per address and per key prefix across processes sharing the
database, a forged `X-Forwarded-For` changes nothing, and a valid key is never locked out by others' failures."""

import secrets

import httpx
import pytest

from tests.conftest import copy_trained
from tests.faults.server import Server

pytestmark = pytest.mark.slow


def guess(url: str, forwarded: str | None = None) -> int:
    """One request with a random wrong key; its status."""
    headers = {"Authorization": f"Bearer ym_{secrets.token_hex(4)}_{secrets.token_urlsafe(16)}"}
    if forwarded:
        headers["X-Forwarded-For"] = forwarded
    return httpx.get(f"{url}/v1/me", headers=headers).status_code


def test_guessing_is_throttled_across_processes_and_never_locks_out_a_valid_key(
    server, seeded_url, trained_dir, tmp_path
):
    server.start()
    (tmp_path / "second").mkdir()
    copy_trained(trained_dir, tmp_path / "second")
    second = Server(tmp_path / "second", seeded_url, **server.settings).start()
    try:
        admin = server.key("admin")
        codes = [guess(server.url if n % 2 else second.url, forwarded=f"198.51.100.{n}") for n in range(21)]
        assert codes == [401] * 20 + [429], "20 failures a minute from one address, counted by both processes"
        assert guess(second.url, forwarded="203.0.113.77") == 429, "a forged X-Forwarded-For is ignored"
        for url in (server.url, second.url):
            answer = httpx.get(f"{url}/v1/me", headers=admin)
            assert answer.status_code == 200 and answer.json()["role"] == "admin", answer.text
        prefix = admin["Authorization"].removeprefix("Bearer ")[:11]
        wrong = {"Authorization": f"Bearer {prefix}_not-the-secret"}
        assert httpx.get(f"{server.url}/v1/me", headers=wrong).status_code == 429
        assert httpx.get(f"{second.url}/v1/me", headers=admin).status_code == 200
    finally:
        second.kill()
