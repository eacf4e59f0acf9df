"""The kernel's hooks: a writer announces, a reader listens, and neither imports the other.

``ingest`` calls :func:`announce_data_changed` when a run ends; the metrics cache subscribes
with :func:`on_data_changed` so this process reads the data version afresh at once.
:func:`on_reset` hooks are what :func:`app.core.db.reset_caches` runs besides forgetting the
engine (tests switch databases with it).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

Listener = Callable[[], None]

_lock = threading.Lock()
_data_changed: list[Listener] = []
_reset: list[Listener] = []


def _subscribe(listeners: list[Listener], listener: Listener) -> Listener:
    with _lock:
        if listener not in listeners:
            listeners.append(listener)
    return listener


def on_data_changed(listener: Listener) -> Listener:
    """Call ``listener`` whenever this process has written new data (usable as a decorator)."""
    return _subscribe(_data_changed, listener)


def on_reset(listener: Listener) -> Listener:
    """Call ``listener`` when the process-wide caches are reset (usable as a decorator)."""
    return _subscribe(_reset, listener)


def _run(listeners: list[Listener]) -> None:
    with _lock:
        current = list(listeners)
    for listener in current:
        listener()


def announce_data_changed() -> None:
    """This process has written new data: every listener hears it before this returns."""
    _run(_data_changed)


def announce_reset() -> None:
    """Every cache derived from the store is to be forgotten."""
    _run(_reset)
