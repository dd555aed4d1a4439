"""Fixed-window rate limits on a shared atomic counter (the Django cache: Redis in production).

Each window has its own counter key that expires with it, so nobody is ever locked out for longer
than one window. ``cache.add`` + ``cache.incr`` are atomic on Redis and on the local-memory cache.

Limits that guard a secret (a password, the e-mail address that opens a return) count failures
only: ``attempt_start`` counts the attempt before it is tried (so a burst of parallel guesses is
counted too), and ``Attempt.succeeded`` gives the count back when it was right.

When the cache does not answer (Redis down), counts go to the database (``core.RateCounter``, one
upsert a count) for ``RMA_CACHE_RETRY_SECONDS`` before the cache is tried again: the page answers
and the limit still holds for every process. Counts made in one store are not carried to the other,
so across a switch a window may allow up to twice its count once.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import F

logger = logging.getLogger(__name__)

# Keys counted in the database (while the cache was down) carry this prefix in an ``Attempt``.
DATABASE_PREFIX = "db|"
# Each count in the database deletes the expired rows now and then.
DATABASE_PURGE_CHANCE = 0.01
_cache_down_until = 0.0


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


def _cache_count(key: str, rate: Rate) -> int:
    cache.add(key, 0, timeout=rate.seconds + 5)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.add(key, 1, timeout=rate.seconds + 5)
        return 1


def _database_count(key: str, window_end: float) -> int:
    """Add one to ``key``'s row in ``core.RateCounter`` in one atomic statement (an upsert); the new count."""
    from core.models import RateCounter

    table = connection.ops.quote_name(RateCounter._meta.db_table)
    expires_at = datetime.fromtimestamp(window_end + 5, tz=UTC)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "
            f"ON CONFLICT (key) DO UPDATE SET count = {table}.count + 1 RETURNING count",
            [key, connection.ops.adapt_datetimefield_value(expires_at)],
        )
        count = cursor.fetchone()[0]
    if random.random() < DATABASE_PURGE_CHANCE:
        RateCounter.objects.filter(expires_at__lt=datetime.fromtimestamp(clock(), tz=UTC)).delete()
    return count


def _database_uncount(key: str) -> None:
    from core.models import RateCounter

    RateCounter.objects.filter(key=key, count__gt=0).update(count=F("count") - 1)


def cache_usable() -> bool:
    """False for a while after the cache failed: counts go to the database without waiting on it again."""
    return time.monotonic() >= _cache_down_until


def _cache_failed(error: Exception) -> None:
    global _cache_down_until
    _cache_down_until = time.monotonic() + settings.RMA_CACHE_RETRY_SECONDS
    logger.warning("The cache did not answer (%s: %s); rate limits count in the database", type(error).__name__, error)


def _count(scope: str, identity: str, rate: Rate) -> tuple[str, Verdict]:
    """Add one to ``identity``'s counter in ``scope``; its key, and whether the count is within the rate.

    The counter is the cache's; when the cache does not answer, the database's (``core.RateCounter``),
    so the limit still holds across processes. The key returned says which one counted.
    """
    now = clock()
    window = int(now // rate.seconds)
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"ratelimit:{scope}:{digest}:{window}"
    count = None
    if cache_usable():
        try:
            count = _cache_count(key, rate)
        except Exception as error:  # a cache that is down is an answer: count elsewhere, never a 500
            _cache_failed(error)
    if count is None:
        count = _database_count(key, (window + 1) * rate.seconds)
        key = DATABASE_PREFIX + key
    if count <= rate.count:
        return key, Verdict(True, 0)
    return key, Verdict(False, max(int((window + 1) * rate.seconds - now) + 1, 1))


def _uncount(key: str) -> None:
    if key.startswith(DATABASE_PREFIX):
        _database_uncount(key.removeprefix(DATABASE_PREFIX))
        return
    try:
        cache.decr(key)
    except ValueError:  # the window has ended, and its counter with it
        pass
    except Exception as error:  # the cache went down since: the failure stays counted, which is safe
        _cache_failed(error)


def hit(scope: str, identity: str, rate: Rate) -> Verdict:
    """Count one hit of ``identity`` in ``scope``; refused once the window's count exceeds the rate."""
    return _count(scope, identity, rate)[1]


@dataclass
class Attempt:
    """An attempt counted against its limits; ``succeeded`` takes it back off every counter."""

    verdict: Verdict
    keys: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    def succeeded(self) -> None:
        for key in self.keys:
            _uncount(key)
        self.keys = []


def attempt_start(checks: list[tuple[str, str, Rate]]) -> Attempt:
    """Count an attempt in each scope in turn, narrowest first; stop at the first that refuses.

    A refused attempt is not counted anywhere (nothing was tried), so hammering a narrow limit that
    already refuses never fills the wider ones after it: a stranger at one address adds at most the
    narrow limit's count per window to a wide per-account ceiling.
    """
    keys: list[str] = []
    for scope, identity, rate in checks:
        key, verdict = _count(scope, identity, rate)
        if not verdict.allowed:
            _uncount(key)
            for counted in keys:
                _uncount(counted)
            return Attempt(verdict)
        keys.append(key)
    return Attempt(Verdict(True, 0), keys)


def guess_attempt_start(
    scope: str, identity: str, address: str, *, per_identity_and_address: str, per_address: str, per_identity: str
) -> Attempt:
    """Count one try at guessing a secret of ``identity`` (a password, a return's e-mail) from ``address``.

    Three limits: the identity from this address (what a stranger failing on purpose fills, locking out
    only their own address); this address, whatever the identity; and the identity from every address
    together, a higher ceiling that one address cannot reach alone. Only failures stay counted.
    """
    return attempt_start(
        [
            (f"{scope}-identity-ip", f"{identity}\x00{address}", Rate.parse(per_identity_and_address)),
            (f"{scope}-ip", address, Rate.parse(per_address)),
            (f"{scope}-identity", identity, Rate.parse(per_identity)),
        ]
    )
