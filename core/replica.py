"""Read replicas (issue 19): which reads the replica (`REPLICA_DATABASE_URL`) may serve.

The router cannot see the request, so a unit of work says that its reads may come from the
replica: a view marked `@replica_reads` (its GET and HEAD; a streamed body too), or the
reading part of a task inside `with replica_reading(since=...)`. Inside such a unit a read goes
to the "replica" alias, and to the primary ("default") when

- no replica is configured (no "replica" alias in DATABASES);
- the user wrote within READ_YOUR_WRITES_SECONDS (every POST, PUT, PATCH or DELETE a signed-in
  user sends is noted in the cache by `ReadYourWritesMiddleware`: Redis, shared by every web
  process; a cache that does not answer counts as a recent write);
- a transaction is open on the primary (`transaction.atomic()`: it must read what it wrote);
- inside `primary_reading()`;
- the replica lags more than REPLICA_MAX_LAG_SECONDS or does not answer (measured at most every
  REPLICA_CHECK_SECONDS in each process): the site keeps working on the primary;
- a task's `since` (the instant its job was asked for) is later than what the replica has
  replayed.

Writes and migrations always go to the primary.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.http.response import HttpResponseBase

from core import cache as degrading_cache
from core import clock

logger = logging.getLogger(__name__)

REPLICA = "replica"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")
WRITE_KEY = "carecase:wrote:{}"

# How far the replica is behind the primary, in seconds: 0 when it has replayed everything it
# received (an idle primary sends nothing, and the last replayed transaction may be old);
# 0 on a database that is not a standby (the test mirror is the primary itself).
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
END
"""


@dataclasses.dataclass(frozen=True)
class _Unit:
    """A unit of work whose reads the replica may serve, once it has replayed `since`."""

    since: datetime.datetime | None = None


_unit: ContextVar[_Unit | None] = ContextVar("carecase_replica_unit", default=None)


@dataclasses.dataclass
class Measurement:
    """The replica's lag as last measured in this process (None: it did not answer)."""

    lag: float | None
    at: datetime.datetime
    monotonic: float


_last: dict[str, Measurement] = {}


def configured() -> bool:
    return REPLICA in settings.DATABASES


def measure() -> Measurement:
    """Ask the replica now how far behind it is; remembered for the router."""
    lag: float | None
    try:
        connection = connections[REPLICA]
        with connection.cursor() as cursor:
            cursor.execute(LAG_SQL if connection.vendor == "postgresql" else "SELECT 0")
            row = cursor.fetchone()
        lag = float(row[0] or 0) if row else 0.0
    except Exception:  # not only DatabaseError: whatever keeps it from answering
        logger.warning("The read replica does not answer: reads go to the primary")
        with suppress(Exception):  # it is already unusable; the primary serves
            connections[REPLICA].close()
        lag = None
    measured = Measurement(lag=lag, at=clock.now(), monotonic=time.monotonic())
    _last[REPLICA] = measured
    return measured


def forget() -> None:
    """Forget the last measurement (the next read measures again)."""
    _last.pop(REPLICA, None)


def _measurement() -> Measurement:
    last = _last.get(REPLICA)
    if last is None or time.monotonic() - last.monotonic >= settings.REPLICA_CHECK_SECONDS:
        return measure()
    return last


def state(measured: Measurement) -> str:
    """ "ok", "lagging" (over REPLICA_MAX_LAG_SECONDS) or "down" (no answer)."""
    if measured.lag is None:
        return "down"
    return "lagging" if measured.lag > settings.REPLICA_MAX_LAG_SECONDS else "ok"


def usable(since: datetime.datetime | None = None) -> bool:
    """The replica answers, lags no more than allowed and has replayed what was committed by
    `since`."""
    measured = _measurement()
    if measured.lag is None or state(measured) != "ok":
        return False
    replayed = measured.at - datetime.timedelta(seconds=measured.lag)
    return since is None or replayed >= since


# --- Read-your-writes ----------------------------------------------------------------------


def note_write(user_id: Any) -> None:
    """The user just wrote: their reads stay on the primary for READ_YOUR_WRITES_SECONDS."""
    seconds = settings.READ_YOUR_WRITES_SECONDS
    try:
        cache.set(WRITE_KEY.format(user_id), clock.now().timestamp(), timeout=seconds + 1)
    except Exception:
        logger.warning("The cache did not take a write mark: reads may miss the write")


def wrote_recently(user_id: Any) -> bool:
    try:
        at = cache.get(WRITE_KEY.format(user_id))
    except Exception:
        return True  # no answer: the primary is always right
    if at is None:
        # A miss, or the degrading cache not answering (core.cache): then the primary.
        return degrading_cache.failed()
    return clock.now().timestamp() - float(at) < settings.READ_YOUR_WRITES_SECONDS


class ReadYourWritesMiddleware:
    """Notes every write request of a signed-in user (an API request's user too: DRF sets it
    on the request when it authenticates a token), when a replica is configured."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if request.method not in SAFE_METHODS and configured():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                note_write(user.pk)
        return response


# --- Units of work -------------------------------------------------------------------------


@contextmanager
def replica_reading(*, user: Any = None, since: datetime.datetime | None = None) -> Iterator[None]:
    """Reads inside may come from the replica: not for a user who wrote recently, and only
    once the replica has replayed `since` (a task: when its job was asked for)."""
    eligible = configured() and not (
        user is not None and user.is_authenticated and wrote_recently(user.pk)
    )
    token = _unit.set(_Unit(since=since) if eligible else None)
    try:
        yield
    finally:
        _unit.reset(token)


@contextmanager
def primary_reading() -> Iterator[None]:
    """Reads inside go to the primary (a re-read of what this unit just wrote)."""
    token = _unit.set(None)
    try:
        yield
    finally:
        _unit.reset(token)


def _streamed(content: Iterable[Any], unit: _Unit | None) -> Iterator[Any]:
    """A streamed body read in the view's unit: the server iterates it after the view."""
    iterator = iter(content)
    while True:
        token = _unit.set(unit)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            _unit.reset(token)
        yield chunk


def replica_reads(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose GET and HEAD may read from the replica (dashboards, statistics,
    lists, export pages and downloads). Other methods read from the primary."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with replica_reading(user=getattr(request, "user", None)):
            response = view(request, *args, **kwargs)
            unit = _unit.get()
        # A generated body (the roster's CSV) reads as it is sent; a file's does not.
        if (
            unit is not None
            and isinstance(response, StreamingHttpResponse)
            and not isinstance(response, FileResponse)
            and not response.is_async
        ):
            content = cast(Iterable[bytes], response.streaming_content)
            response.streaming_content = _streamed(content, unit)
        return response

    return wrapped


# --- The router (settings.DATABASE_ROUTERS) ------------------------------------------------


class ReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        unit = _unit.get()
        if (
            unit is None
            or not configured()
            or connections[DEFAULT_DB_ALIAS].in_atomic_block
            or not usable(unit.since)
        ):
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
