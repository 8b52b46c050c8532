"""Per-key request rate limits and throttling of failed authentications (token buckets in the API process)."""

import math
import threading
import time

from fastapi import HTTPException, status

MAX_TRACKED = 100_000


class RateLimiter:
    """Token buckets per name: `per_minute` tokens refilled evenly, bursts up to the same number."""

    def __init__(self, per_minute: int, clock=time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def _level(self, name: str, now: float) -> float:
        """The bucket's tokens now."""
        tokens, at = self.buckets.get(name, (self.capacity, now))
        return min(self.capacity, tokens + (now - at) * self.rate)

    def take(self, name: str) -> float:
        """Take one token; 0 when allowed, else the seconds until one is available again."""
        with self.lock:
            now = self.clock()
            tokens = self._level(name, now)
            if tokens < 1:
                return (1 - tokens) / self.rate
            if len(self.buckets) >= MAX_TRACKED and name not in self.buckets:
                self.buckets.clear()
            self.buckets[name] = (tokens - 1, now)
            return 0.0

    def wait(self, name: str) -> float:
        """Seconds until the bucket has a token (0 when it has one now), without taking it."""
        with self.lock:
            tokens = self._level(name, self.clock())
            return 0.0 if tokens >= 1 else (1 - tokens) / self.rate


def too_many(message: str, wait_s: float) -> HTTPException:
    """A 429 with `Retry-After` in whole seconds."""
    return HTTPException(status.HTTP_429_TOO_MANY_REQUESTS, message, headers={"Retry-After": str(math.ceil(wait_s))})
