"""Rate limits with the `limits` library: requests per API key, and failed authentications per key prefix and per
client address, counted in a storage every API process shares (the app's database, or `YM_RATE_LIMIT_STORAGE`)."""

import ipaddress
import math
import time
from typing import ClassVar

from fastapi import HTTPException, Request, status
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from twin.settings import Settings


class DatabaseStorage(Storage):
    """A `limits` storage of fixed-window counters in the app's database (table `ratecounter`), so that every API
    process counts against the same limits."""

    STORAGE_SCHEME: ClassVar[list[str]] = ["yardmaster+database"]

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:
        """What the database driver raises."""
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add to the counter in one statement, starting a new window when the last one ended; the new count."""
        now = time.time()
        with self.engine.begin() as connection:
            return connection.execute(
                text(
                    "INSERT INTO ratecounter (name, count, expires_at) VALUES (:name, :amount, :until) "
                    "ON CONFLICT (name) DO UPDATE SET "
                    "count = CASE WHEN ratecounter.expires_at <= :now THEN :amount "
                    "ELSE ratecounter.count + :amount END, "
                    "expires_at = CASE WHEN ratecounter.expires_at <= :now THEN :until "
                    "ELSE ratecounter.expires_at END "
                    "RETURNING count"
                ),
                {"name": key, "amount": amount, "until": now + expiry, "now": now},
            ).scalar_one()

    def get(self, key: str) -> int:
        """The count in the current window (0 once it ended)."""
        with self.engine.connect() as connection:
            count = connection.execute(
                text("SELECT count FROM ratecounter WHERE name = :name AND expires_at > :now"),
                {"name": key, "now": time.time()},
            ).scalar()
        return count or 0

    def get_expiry(self, key: str) -> float:
        """When the current window ends (now when there is none)."""
        with self.engine.connect() as connection:
            until = connection.execute(
                text("SELECT expires_at FROM ratecounter WHERE name = :name"), {"name": key}
            ).scalar()
        return max(until or 0.0, time.time())

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        """Forget every counter; how many there were."""
        with self.engine.begin() as connection:
            return connection.execute(text("DELETE FROM ratecounter")).rowcount

    def clear(self, key: str) -> None:
        """Forget one counter."""
        with self.engine.begin() as connection:
            connection.execute(text("DELETE FROM ratecounter WHERE name = :name"), {"name": key})


def key_prefix(key: str) -> str:
    """The public part of a key (`ym_<8 hex id>`), which failures against one key are counted under."""
    return key[:11]


class Throttle:
    """The API's limits: per-key requests, and failed authentications per key prefix and per client address. A
    valid key is never refused for others' failures: only failed attempts count, and only they are refused."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        shared = storage_from_string(settings.rate_limit_storage) if settings.rate_limit_storage else None
        self.failures = FixedWindowRateLimiter(shared or DatabaseStorage(engine))
        self.requests = FixedWindowRateLimiter(shared or MemoryStorage())  # per process unless a shared storage
        self.failure_limit = RateLimitItemPerMinute(settings.auth_failures_per_minute)
        self.request_limit = RateLimitItemPerMinute(settings.rate_limit_per_minute)
        self.proxies = [ipaddress.ip_network(proxy, strict=False) for proxy in settings.trusted_proxies]

    def _wait(self, limiter: FixedWindowRateLimiter, item: RateLimitItemPerMinute, name: str) -> float:
        """Seconds until the window of a counter that went over its limit ends."""
        return max(1.0, limiter.get_window_stats(item, name).reset_time - time.time())

    def failed(self, address: str, key: str) -> float:
        """Count a failed authentication; 0 while within the limits, else the seconds to wait."""
        waits = [
            self._wait(self.failures, self.failure_limit, name)
            for name in (f"address:{address}", f"prefix:{key_prefix(key)}")
            if not self.failures.hit(self.failure_limit, name)
        ]
        return max(waits, default=0.0)

    def request(self, key_id: str) -> float:
        """Count a request of a valid key; 0 while within its limit, else the seconds to wait."""
        if self.requests.hit(self.request_limit, f"key:{key_id}"):
            return 0.0
        return self._wait(self.requests, self.request_limit, f"key:{key_id}")

    def _trusted(self, address: str) -> bool:
        """Whether the address is one of the configured proxies."""
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.proxies)

    def client(self, request: Request) -> str:
        """The client's address: the peer's, or, behind a trusted proxy, the nearest untrusted `X-Forwarded-For`
        hop (the header is ignored unless `YM_TRUSTED_PROXIES` names the peer)."""
        address = request.client.host if request.client else "unknown"
        if not self._trusted(address):
            return address
        hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
        return next((hop for hop in reversed(hops) if not self._trusted(hop)), address)


def too_many(message: str, wait_s: float) -> HTTPException:
    """A 429 with `Retry-After` in whole seconds."""
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, message, headers={"Retry-After": str(math.ceil(wait_s))})
