"""Fixed-window rate limits on a shared atomic counter (the Django cache: Redis in production).

Each window has its own counter key that expires with it, so nobody is ever locked out for longer
than one window. ``cache.add`` + ``cache.incr`` are atomic on Redis and on the local-memory cache.

Limits that guard a secret (a password, the e-mail address that opens a return) count failures
only: ``attempt_start`` counts the attempt before it is tried (so a burst of parallel guesses is
counted too), and ``Attempt.succeeded`` gives the count back when it was right.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from dataclasses import dataclass, field

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


def _count(scope: str, identity: str, rate: Rate) -> tuple[str, Verdict]:
    """Add one to ``identity``'s counter in ``scope``; its key, and whether the count is within the rate."""
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
        return key, Verdict(True, 0)
    return key, Verdict(False, max(int((window + 1) * rate.seconds - now) + 1, 1))


def _uncount(key: str) -> None:
    with contextlib.suppress(ValueError):  # the window has ended, and its counter with it
        cache.decr(key)


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
