"""In-process token buckets for sign-in and exports: too many requests → 429 with Retry-After.

Each web process keeps its own buckets (a deployment of N replicas allows N times the rate);
that is enough to stop password guessing and runaway export loops, which is what they are for.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


class RateLimited(Exception):
    """A request over its limit; answered 429 with ``Retry-After``."""

    def __init__(self, retry_after: float, what: str) -> None:
        super().__init__(f"too many {what}: try again in {math.ceil(retry_after)} s")
        self.retry_after = max(1, math.ceil(retry_after))
        self.what = what


@dataclass
class _Bucket:
    tokens: float
    updated: float


class TokenBucket:
    """``capacity`` requests at once, refilled at ``per_minute`` a minute, per key."""

    def __init__(
        self,
        *,
        capacity: int,
        per_minute: float,
        what: str,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.capacity = capacity
        self.rate = per_minute / 60.0
        self.what = what
        self.clock = clock
        self.max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def hit(self, key: str) -> float | None:
        """Take one token for ``key``: None if allowed, else the seconds until one is free."""
        now = self.clock()
        with self._lock:
            bucket = self._buckets.pop(key, None) or _Bucket(float(self.capacity), now)
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            self._buckets[key] = bucket  # most recently used last
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return None
            return (1 - bucket.tokens) / self.rate

    def check(self, *keys: str) -> None:
        """Take a token for every key; raise ``RateLimited`` if any is exhausted."""
        waits = [wait for key in keys if (wait := self.hit(key)) is not None]
        if waits:
            raise RateLimited(max(waits), self.what)

    def reset(self) -> None:
        with self._lock:
            self._buckets.clear()


# Sign-in: per client address and per username (so a slow guesser spread over many
# addresses is still stopped, and one noisy address cannot lock out everyone).
LOGIN_BY_CLIENT = TokenBucket(capacity=20, per_minute=10, what="sign-in attempts")
LOGIN_BY_USERNAME = TokenBucket(capacity=10, per_minute=5, what="sign-in attempts")
# Exports (CSV, report downloads): per signed-in principal.
EXPORTS = TokenBucket(capacity=10, per_minute=6, what="exports")


def reset_all() -> None:
    """Empty every bucket (tests)."""
    for bucket in (LOGIN_BY_CLIENT, LOGIN_BY_USERNAME, EXPORTS):
        bucket.reset()
