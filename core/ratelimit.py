"""Fixed-window rate limits on a shared atomic counter (the Django cache: Redis in production).

Each window has its own counter key that expires with it, so nobody is ever locked out for longer
than one window. ``cache.add`` + ``cache.incr`` are atomic on Redis and on the local-memory cache.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from django.core.cache import cache


def clock() -> float:
    return time.time()


@dataclass(frozen=True)
class Rate:
    count: int
    seconds: int

    @classmethod
    def parse(cls, value: str) -> Rate:
        """``"5/900"``: five hits per 900-second window."""
        count, _, seconds = value.partition("/")
        return cls(int(count), int(seconds or 60))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window ends (0 when allowed)


def hit(scope: str, identity: str, rate: Rate) -> Verdict:
    """Count one hit of ``identity`` in ``scope``; refused once the window's count exceeds the rate."""
    now = clock()
    window = int(now // rate.seconds)
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}:{window}"
    cache.add(key, 0, timeout=rate.seconds + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=rate.seconds + 5)
        count = 1
    if count <= rate.count:
        return Verdict(True, 0)
    return Verdict(False, max(int((window + 1) * rate.seconds - now) + 1, 1))


def hit_all(checks: list[tuple[str, str, Rate]]) -> Verdict:
    """Count a hit in every scope (the same work whatever the outcome); refused if any refuses."""
    verdicts = [hit(scope, identity, rate) for scope, identity, rate in checks]
    refused = [v for v in verdicts if not v.allowed]
    if refused:
        return Verdict(False, max(v.retry_after for v in refused))
    return Verdict(True, 0)
