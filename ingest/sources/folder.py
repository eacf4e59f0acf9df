"""Drop folders: ``<feeds_dir>/inbox/<feed>/`` → ``processed/<feed>/`` or ``failed/<feed>/``.

A file is picked up once it has not changed for ``settle_seconds`` (writers should write to a
temporary name and rename; files starting with ``.`` or ending in ``.tmp``/``.part`` are
ignored). Each file is one batch; it moves out of the inbox named with its run id. When the
database is unavailable the file stays in the inbox for the next scan.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.loader import DatabaseUnavailable, RunSummary, load_batch
from models import FEEDS

log = logging.getLogger(__name__)
IGNORED_SUFFIXES = (".tmp", ".part", ".partial", ".swp")


@dataclass
class ScanResult:
    summaries: list[RunSummary] = field(default_factory=list)
    left_in_inbox: list[Path] = field(default_factory=list)


def inbox(feeds_dir: Path, feed: str) -> Path:
    return feeds_dir / "inbox" / feed


def ensure_folders(feeds_dir: Path) -> None:
    """Create inbox/, processed/ and failed/ for every feed."""
    for feed in FEEDS:
        for kind in ("inbox", "processed", "failed"):
            (feeds_dir / kind / feed).mkdir(parents=True, exist_ok=True)


def pending_files(feeds_dir: Path, feed: str, settle_seconds: float = 1.0) -> list[Path]:
    """Files ready to load, oldest name first (feed files are named by their time)."""
    folder = inbox(feeds_dir, feed)
    if not folder.is_dir():
        return []
    now = time.time()
    ready = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name.startswith(".") or path.suffix in IGNORED_SUFFIXES:
            continue
        if now - path.stat().st_mtime < settle_seconds:
            continue
        ready.append(path)
    return ready


def _format_of(path: Path) -> str | None:
    suffix = path.suffix.lower()
    return {".csv": "csv", ".json": "json"}.get(suffix)


def scan_feed(
    feeds_dir: Path, feed: str, *, settle_seconds: float = 1.0, limit: int | None = None
) -> ScanResult:
    """Load every settled file waiting in one feed's inbox."""
    result = ScanResult()
    for path in pending_files(feeds_dir, feed, settle_seconds)[:limit]:
        try:
            summary = load_batch(
                feed,
                path,
                source_kind="folder",
                source_name=str(inbox(feeds_dir, feed)),
                file_name=path.name,
                fmt=_format_of(path),  # type: ignore[arg-type]
            )
        except DatabaseUnavailable as exc:
            log.warning("database unavailable; %s stays in the inbox: %s", path.name, exc)
            result.left_in_inbox.append(path)
            break  # the next files would fail the same way; keep their order for next time
        target_kind = "failed" if summary.status == "failed" else "processed"
        target = feeds_dir / target_kind / feed / f"run{summary.run_id:07d}_{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(path), target)
        log.info(
            "%s %s: %s, %d in, %d loaded, %d quarantined",
            feed,
            path.name,
            summary.status,
            summary.rows_in,
            summary.rows_loaded,
            summary.rows_quarantined,
        )
        result.summaries.append(summary)
    return result


def scan_all(feeds_dir: Path, *, settle_seconds: float = 1.0) -> ScanResult:
    """Scan every feed's inbox once."""
    total = ScanResult()
    for feed in FEEDS:
        part = scan_feed(feeds_dir, feed, settle_seconds=settle_seconds)
        total.summaries += part.summaries
        total.left_in_inbox += part.left_in_inbox
    return total
