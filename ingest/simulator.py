"""The live demo: the synthetic system carries on in real time, writing feed files into the
drop folders every interval, which the folder scan then loads like any other delivery."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from pathlib import Path

from app.config import Settings
from ingest.sources import folder

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[Path, object] = {}


def state_file(settings: Settings) -> Path:
    return settings.demo_dir / "state.pkl"


def tick(settings: Settings, now: datetime | None = None) -> str | None:
    """Advance the simulated system to now, drop its feed files, and load them."""
    from sample_data.generator import LiveSimulator

    path = state_file(settings)
    if not path.exists():
        log.warning("no simulator state at %s: run `homeward demo` first", path)
        return None
    with _lock:
        simulator = _cache.get(path)
        if simulator is None:
            simulator = LiveSimulator.load(path)
            _cache[path] = simulator
        assert isinstance(simulator, LiveSimulator)
        written = simulator.tick(now or datetime.now(UTC), settings.feeds_dir / "inbox")
        simulator.save(path)
    result = folder.scan_all(settings.feeds_dir, settle_seconds=0)
    return f"simulator wrote {len(written)} files; loaded {len(result.summaries)}"
