"""Reads that may go to a PostgreSQL streaming replica (``DATABASE_REPLICA_URL``), and how old their data is.

Only code that asks for it reads from the replica: the failure reports, their CSV exports and the
detection scan's counting open a ``replica_reads()`` block. Everything else — writes, reads that
lead to a write, the admin, the customers' pages — uses the primary (``default``). Inside a block
the router still sends a read to the primary when:

- the request (or the block) has written: it must see its own write (read-your-writes). A response
  to a request that wrote sets a short-lived cookie (``RMA_REPLICA_PIN_SECONDS``), so the next page
  the same person opens (a report after a change in the admin) reads the primary too;
- a transaction was opened inside the block: what is read there is about to be written;
- the replica did not answer, or is further behind than ``RMA_REPLICA_MAX_LAG_SECONDS``, when the
  block began: the block then reads the primary, and says so.

``replica_reads()`` yields a ``Freshness``: where the block reads and the moment its data describe
(the primary: now; the replica: now minus its replay lag, from ``pg_last_xact_replay_timestamp()``).
Reports show it as "as of" (SPEC §10).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

log = logging.getLogger(__name__)

REPLICA = "replica"  # the alias settings give DATABASE_REPLICA_URL
PIN_COOKIE = "rma_read_primary"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

# The replica's replay lag in seconds: 0 when it has replayed all it has received (an idle primary
# sends nothing, and the last replayed transaction then only looks old), else the age of the last
# transaction it replayed; NULL when it has replayed none since it started. 0 on a primary.
LAG_SQL = """
SELECT now(),
       CASE WHEN NOT pg_is_in_recovery() THEN 0
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp())
       END
"""


@dataclass(frozen=True)
class Freshness:
    """Where a block of reads went and the moment its data describe."""

    alias: str
    as_of: dt.datetime
    lag_seconds: float  # 0 on the primary
    note: str = ""  # why the primary was read although a replica is configured

    @property
    def source(self) -> str:
        return "replica" if self.alias != DEFAULT_DB_ALIAS else "primary"

    def as_dict(self) -> dict[str, Any]:
        return {
            "read_from": self.source,
            "data_as_of": self.as_of.isoformat(),
            "replica_lag_seconds": round(self.lag_seconds, 3),
        }

    def headers(self) -> dict[str, str]:
        return {
            "X-Data-As-Of": self.as_of.isoformat(),
            "X-Read-From": self.source,
            "X-Replica-Lag-Seconds": f"{self.lag_seconds:.3f}",
        }


@dataclass
class _Request:
    pinned: bool  # an unsafe method, or the pin cookie
    wrote: bool = False


@dataclass
class _Block:
    alias: str
    depth: int  # the primary's open atomic blocks when this block began
    wrote: bool = False
    parent: _Block | None = field(default=None, repr=False)


_request: ContextVar[_Request | None] = ContextVar("rma_replica_request", default=None)
_block: ContextVar[_Block | None] = ContextVar("rma_replica_block", default=None)


def replica_alias() -> str:
    """The configured replica's alias, or "" when reads all go to the primary."""
    alias = getattr(settings, "RMA_READ_REPLICA", "")
    return alias if alias and alias in settings.DATABASES else ""


def _pinned() -> bool:
    request = _request.get()
    return request is not None and (request.pinned or request.wrote)


def _atomic_depth() -> int:
    return len(connections[DEFAULT_DB_ALIAS].atomic_blocks)


def _lag(alias: str) -> tuple[dt.datetime, float | None]:
    connection = connections[alias]
    if connection.vendor != "postgresql":  # a test mirror of an embedded database: the primary itself
        return timezone.now(), 0.0
    with connection.cursor() as cursor:
        cursor.execute(LAG_SQL)
        now, lag = cursor.fetchone()
    return now, None if lag is None else float(lag)


def freshness(alias: str) -> Freshness:
    """How old the data read from ``alias`` are, now."""
    if alias == DEFAULT_DB_ALIAS:
        return Freshness(DEFAULT_DB_ALIAS, timezone.now(), 0.0)
    now, lag = _lag(alias)
    return Freshness(alias, now - dt.timedelta(seconds=lag or 0.0), lag or 0.0)


def _choose() -> Freshness:
    alias = replica_alias()
    if not alias:
        return freshness(DEFAULT_DB_ALIAS)
    if _pinned():
        return _primary("this request wrote, or followed a write")
    if (block := _block.get()) is not None and block.alias == DEFAULT_DB_ALIAS:
        return _primary("an enclosing block reads the primary")
    try:
        now, lag = _lag(alias)
    except DatabaseError as exc:
        log.warning("replica %s does not answer, reading the primary: %s", alias, exc)
        connections[alias].close()
        return _primary("the replica did not answer")
    limit = settings.RMA_REPLICA_MAX_LAG_SECONDS
    if lag is None or lag > limit:
        log.warning("replica %s is %s s behind (limit %s s), reading the primary", alias, lag, limit)
        return _primary("the replica was too far behind")
    return Freshness(alias, now - dt.timedelta(seconds=lag), lag)


def _primary(note: str) -> Freshness:
    return Freshness(DEFAULT_DB_ALIAS, timezone.now(), 0.0, note)


@contextlib.contextmanager
def replica_reads() -> Iterator[Freshness]:
    """Reads inside go to the replica when one is configured and may be used (module docstring)."""
    chosen = _choose()
    token = _block.set(_Block(chosen.alias, _atomic_depth(), parent=_block.get()))
    try:
        yield chosen
    finally:
        _block.reset(token)


def read_alias() -> str:
    """Where a read made now goes: what the router answers for any model."""
    block = _block.get()
    if block is None or block.alias == DEFAULT_DB_ALIAS or block.wrote or _pinned():
        return DEFAULT_DB_ALIAS
    if _atomic_depth() > block.depth:
        return DEFAULT_DB_ALIAS
    return block.alias


def _wrote() -> None:
    if (request := _request.get()) is not None:
        request.wrote = True
    block = _block.get()
    while block is not None:
        block.wrote = True
        block = block.parent


class ReplicaRouter:
    """``DATABASE_ROUTERS``: writes always to the primary; reads as ``read_alias()``; no migration on the replica."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return read_alias()

    def db_for_write(self, model: type, **hints: Any) -> str:
        _wrote()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the primary's rows

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None


class PrimaryAfterWriteMiddleware:
    """A request with an unsafe method, or within ``RMA_REPLICA_PIN_SECONDS`` of one that wrote, reads the primary."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        state = _Request(pinned=request.method not in SAFE_METHODS or PIN_COOKIE in request.COOKIES)
        token = _request.set(state)
        try:
            response = self.get_response(request)
        finally:
            _request.reset(token)
        if state.wrote and replica_alias():
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.RMA_REPLICA_PIN_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
