"""A cache of metric results, invalidated by the next ingest run (bench finding 8).

The numbers change only when a batch lands, yet every request used to recompute them from
the store. ``cached(session, function, **params)`` answers from memory when the same
function was asked the same thing since the last ingest run, and computes otherwise.

The key is ``(function, parameters, data version, database)``:

- the **data version** is read from the store on every call, one small query over the
  newest rows of ``ingest_runs`` (:func:`data_version`). A batch's rows commit in the same
  transaction as its run's ``finished_at`` (``ingest.loader``), so any run that finishes — in
  this process, in the separate scheduler, in another web worker — changes the version and
  so every key. The version is read *before* the computation: a result is never filed under
  a version newer than the data it was computed from (at worst it is newer than its key).
- an answer about **now** (``at`` absent, a trend's default ``end``, the freshness of the
  feeds) depends on the clock too: it is kept ``HOMEWARD_METRICS_CACHE_SECONDS`` (30 s).
  An answer about a given moment or period is kept until the data change, it is evicted, or
  ``MAX_AGE_SECONDS`` (15 minutes, a backstop) pass.

Bounded (least recently used first out: ``HOMEWARD_METRICS_CACHE_SIZE`` entries — 0 turns
the cache off — and ``HOMEWARD_METRICS_CACHE_MB`` of cached JSON), thread safe (sync routes
and Dash callbacks run in threads), and a key being computed is computed once: concurrent
callers of a cold key wait for the first one's result instead of all hitting the store.
A refusal (``InvalidParameter``, ``NotFound``) or an error is never kept.

Cached values are shared between requests: callers must not mutate them. The API caches the
serialised JSON (:func:`cached_json`), which FastAPI would otherwise re-validate and
re-serialise on every hit. Patient-level reads are still audited on every request: the cache
holds the computation, never the decision to show it.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, TypeVar, cast

from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from app.core import events
from models.actions import ActionChange
from models.ingest import IngestRun

T = TypeVar("T")

DEFAULT_SIZE = 256
DEFAULT_NOW_SECONDS = 30.0
DEFAULT_MAX_BYTES = 256 * 2**20

# The version: the newest run's id (a run started) and, over the newest VERSION_WINDOW runs,
# how many have finished and the latest finished_at (a run ended: its rows became visible
# in the transaction that set its finished_at). Counting the finished runs catches two runs
# ending out of order; the latest finished_at a store whose runs were deleted and reloaded
# (SQLite may reuse ids). It reads the newest rows by primary key, so its cost does not grow
# with the years of runs kept. A run that started VERSION_WINDOW runs ago and finishes now
# would be missed; MAX_AGE_SECONDS bounds the damage of that (and of any write made outside
# an ingest run). Plain SQL: it runs on every call; its values are compared, not read.
VERSION_WINDOW = 256
MAX_AGE_SECONDS = 15 * 60.0
_RUNS = IngestRun.__tablename__
# Actions are marked on the trend charts (app.metrics.actions): every change to an action
# writes an action_changes row (app.actions.store), so its newest id (read by primary key)
# is part of the version too.
_ACTION_CHANGES = ActionChange.__tablename__
_VERSION_SQL = (
    f"SELECT max(id), count(finished_at), max(finished_at), "
    f"(SELECT max(id) FROM {_ACTION_CHANGES}) FROM {_RUNS} "
    f"WHERE id > (SELECT max(id) FROM {_RUNS}) - {VERSION_WINDOW}"
)

DataVersion = tuple[Any, ...]


def data_version(session: Session) -> DataVersion:
    """What the store's data are now: changes with every ingest run that starts or ends, and
    with every change to an action."""
    row = session.connection().exec_driver_sql(_VERSION_SQL).one()
    return tuple(row)


# The version as last read, per database, for HOMEWARD_METRICS_VERSION_SECONDS: under load
# most requests then answer without a query at all. A run that finishes in this process
# (ingest.loader announces it through app.core.events; data_changed listens) is seen at once;
# one that finishes in another process (the scheduler, another web worker) within that second.
_versions: dict[str, tuple[float, int, DataVersion]] = {}
_generation = 0
_versions_lock = threading.Lock()


@events.on_data_changed
def data_changed() -> None:
    """An ingest run of this process ended: read the data version afresh on the next call."""
    global _generation
    with _versions_lock:
        _generation += 1
        _versions.clear()


def current_version(
    session: Session, *, clock: Callable[[], float] = time.monotonic
) -> DataVersion:
    """:func:`data_version`, re-read at most every ``HOMEWARD_METRICS_VERSION_SECONDS``."""
    from app.core.config import get_settings

    seconds = get_settings().metrics_version_seconds
    if seconds <= 0:
        return data_version(session)
    database, now = _database_of(session), clock()
    with _versions_lock:
        known = _versions.get(database)
        generation = _generation
    if known is not None and known[0] > now and known[1] == generation:
        return known[2]
    version = data_version(session)
    with _versions_lock:
        if generation == _generation:  # no run ended while it was being read
            _versions[database] = (now + seconds, generation, version)
    return version


@dataclass
class _Entry:
    value: Any
    expires: float  # monotonic deadline
    size: int  # bytes of serialised JSON held (0 for objects, which are not weighed)


def _size_of(value: Any) -> int:
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, tuple):
        return sum(len(v) for v in value if isinstance(v, bytes))
    return 0


@dataclass
class _Computing:
    lock: threading.Lock = field(default_factory=threading.Lock)
    waiting: int = 0


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    computations: int = 0
    entries: int = 0
    json_bytes: int = 0


class MetricsCache:
    """An LRU map of results with per-entry expiry and one computation per key at a time."""

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_SIZE,
        now_seconds: float = DEFAULT_NOW_SECONDS,
        max_age_seconds: float = MAX_AGE_SECONDS,
        max_bytes: int = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._bytes = 0
        self.now_seconds = now_seconds
        self.max_age_seconds = max_age_seconds
        self.clock = clock
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._computing: dict[Hashable, _Computing] = {}
        self._lock = threading.Lock()
        self._stats = CacheStats()

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def _lookup(self, key: Hashable, now: float) -> _Entry | None:
        """The live entry of ``key`` (call with ``self._lock`` held)."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        if now >= entry.expires:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    def get_or_compute(self, key: Hashable, compute: Callable[[], T], *, now_bound: bool) -> T:
        """The value of ``key``, computing it with ``compute`` if absent or expired.

        ``now_bound``: the value depends on the clock, so it expires after ``now_seconds``
        (never kept when that is 0); any other value after ``max_age_seconds``.
        """
        if not self.enabled or (now_bound and self.now_seconds <= 0):
            return compute()
        with self._lock:
            entry = self._lookup(key, self.clock())
            if entry is not None:
                self._stats.hits += 1
                return cast(T, entry.value)
            self._stats.misses += 1
            computing = self._computing.setdefault(key, _Computing())
            computing.waiting += 1
        try:
            with computing.lock:  # one computation per key; the others wait for it
                with self._lock:
                    entry = self._lookup(key, self.clock())
                if entry is not None:
                    return cast(T, entry.value)
                value = compute()
                with self._lock:
                    self._stats.computations += 1
                    now = self.clock()
                    ttl = self.now_seconds if now_bound else self.max_age_seconds
                    if key in self._entries:
                        self._drop(key)
                    entry = _Entry(value, now + ttl, _size_of(value))
                    self._entries[key] = entry
                    self._bytes += entry.size
                    self._evict(now)
                return value
        finally:
            with self._lock:
                computing.waiting -= 1
                if computing.waiting == 0 and self._computing.get(key) is computing:
                    del self._computing[key]

    def _drop(self, key: Hashable) -> None:
        self._bytes -= self._entries.pop(key).size

    def _over(self) -> bool:
        return len(self._entries) > self.max_entries or self._bytes > self.max_bytes

    def _evict(self, now: float) -> None:
        """Drop expired entries, then the least recently used over the bounds (lock held).
        The newest entry stays even when it alone is over ``max_bytes``."""
        if self._over():
            for key in [k for k, e in self._entries.items() if now >= e.expires]:
                self._drop(key)
        while self._over() and len(self._entries) > 1:
            self._drop(next(iter(self._entries)))

    def pending(self, key: Hashable) -> int:
        """How many callers are computing or waiting for ``key`` now."""
        with self._lock:
            computing = self._computing.get(key)
            return computing.waiting if computing else 0

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(
                self._stats.hits,
                self._stats.misses,
                self._stats.computations,
                len(self._entries),
                self._bytes,
            )


_cache: MetricsCache | None = None
_cache_lock = threading.Lock()


def get_cache() -> MetricsCache:
    """The process-wide cache, sized from the settings on first use."""
    global _cache
    if _cache is None:
        with _cache_lock:
            if _cache is None:
                from app.core.config import get_settings

                settings = get_settings()
                _cache = MetricsCache(
                    max_entries=settings.metrics_cache_size,
                    now_seconds=settings.metrics_cache_seconds,
                    max_bytes=settings.metrics_cache_mb * 2**20,
                )
    return _cache


@events.on_reset
def reset_cache(cache: MetricsCache | None = None) -> None:
    """Forget every result and the sizing (tests; ``app.core.db.reset_caches`` calls this).
    ``cache``: use this one from now on (tests inject a clock this way)."""
    global _cache
    with _cache_lock:
        if _cache is not None:
            _cache.clear()
        _cache = cache
    data_changed()


def _frozen(value: Any) -> Hashable:
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, list | tuple | set | frozenset):
        items = [_frozen(v) for v in value]
        return tuple(sorted(items, key=repr) if isinstance(value, set | frozenset) else items)
    if isinstance(value, datetime):
        # the same instant written with two offsets is one key; a naive value (local time)
        # stays apart from an aware one
        if value.tzinfo is None or value.utcoffset() is None:
            return ("local", value)
        return ("instant", value.astimezone(UTC))
    return cast(Hashable, value)


def _database_of(session: Session) -> str:
    bind = session.get_bind()
    return bind.engine.url.render_as_string(hide_password=True)


def make_key(
    session: Session, what: Hashable, params: Mapping[str, Any], version: DataVersion
) -> Hashable:
    """``what`` is the function itself (or a tuple naming its form): functions hash by
    identity, so two functions of one name never share entries."""
    return (what, _frozen(params), version, _database_of(session))


def is_now(params: Mapping[str, Any], *names: str) -> bool:
    """Whether a call is about now: any of the moment parameters ``names`` is absent."""
    return any(params.get(name) is None for name in names)


def cached(
    session: Session,
    function: Callable[..., T],
    /,
    *,
    now_bound: bool,
    **params: Any,
) -> T:
    """``function(session, **params)``, from the cache when the data have not changed since.

    ``now_bound``: the result depends on the clock (``at`` absent, freshness): kept for
    ``HOMEWARD_METRICS_CACHE_SECONDS`` only.
    """
    cache = get_cache()
    if not cache.enabled:
        return function(session, **params)
    key = make_key(session, function, params, current_version(session))
    return cache.get_or_compute(key, lambda: function(session, **params), now_bound=now_bound)


@lru_cache(maxsize=64)
def _adapter(response_type: Any) -> TypeAdapter[Any]:
    return TypeAdapter(response_type)


def to_json(value: Any, response_type: Any) -> bytes:
    """``value`` as the JSON FastAPI writes for a ``response_model`` of ``response_type``."""
    return _adapter(response_type).dump_json(value, by_alias=True)


def cached_json(
    session: Session,
    function: Callable[..., Any],
    response_type: Any,
    /,
    *,
    now_bound: bool,
    keep: Callable[[Any], Any] | None = None,
    **params: Any,
) -> tuple[bytes, Any]:
    """``function(session, **params)`` serialised as ``response_type`` JSON, from the cache
    when the data have not changed. Returns the bytes and ``keep(result)`` (None without
    ``keep``): a route that needs a number of the result, such as how many patients an
    audited read returned, keeps that number, not the whole result next to its JSON."""

    def compute() -> tuple[bytes, Any]:
        result = function(session, **params)
        return to_json(result, response_type), keep(result) if keep else None

    cache = get_cache()
    if not cache.enabled:
        return compute()
    key = make_key(session, ("json", function, response_type), params, current_version(session))
    return cache.get_or_compute(key, compute, now_bound=now_bound)
