"""Per-key rate limits and throttled failed authentication: 429 with Retry-After."""

import pytest

from api.throttle import RateLimiter


def test_token_bucket_refills_evenly():
    now = [0.0]
    limiter = RateLimiter(60, clock=lambda: now[0])
    assert [limiter.take("k") for _ in range(60)] == [0.0] * 60
    assert limiter.take("k") == pytest.approx(1.0) and limiter.take("other") == 0.0
    now[0] = 1.0
    assert limiter.take("k") == 0.0 and limiter.take("k") == pytest.approx(1.0)


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
