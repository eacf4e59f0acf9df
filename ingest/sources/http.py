"""Scheduled HTTP pull of a feed, with a timeout, retries with backoff and conditional requests."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from sqlalchemy.orm import Session

from app.core.db import get_sessionmaker
from app.core.feed_config import HttpSource
from ingest.loader import RunSummary, load_batch
from models import HttpSourceState, IngestRun

log = logging.getLogger(__name__)
RETRY_STATUSES = {429, 500, 502, 503, 504}


@dataclass
class PullResult:
    source: str
    status: str  # loaded | not_modified | failed
    summary: RunSummary | None = None
    error: str | None = None


def _validators(session: Session, name: str) -> HttpSourceState:
    state = session.get(HttpSourceState, name)
    if state is None:
        state = HttpSourceState(source_name=name)
        session.add(state)
    return state


def pull(source: HttpSource, *, client: httpx.Client | None = None) -> PullResult:
    """Fetch one source once (retrying transient failures) and load what it returns."""
    maker = get_sessionmaker()
    with maker() as session:
        state = _validators(session, source.name)
        headers = dict(source.headers)
        if state.etag:
            headers["If-None-Match"] = state.etag
        if state.last_modified:
            headers["If-Modified-Since"] = state.last_modified
        session.rollback()

    own_client = client is None
    client = client or httpx.Client(timeout=source.timeout_seconds, follow_redirects=True)
    error: str | None = None
    response: httpx.Response | None = None
    try:
        for attempt in range(source.retries + 1):
            try:
                response = client.get(str(source.url), headers=headers)
                if response.status_code in RETRY_STATUSES and attempt < source.retries:
                    error = f"HTTP {response.status_code}"
                else:
                    break
            except httpx.TimeoutException:
                error = f"timed out after {source.timeout_seconds:g} s"
                response = None
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
                response = None
            if attempt < source.retries:
                time.sleep(source.backoff_seconds * (2**attempt))
    finally:
        if own_client:
            client.close()

    now = datetime.now(UTC)
    if response is not None and response.status_code == 304:
        _save_validators(source.name, None, None, now, keep=True)
        return PullResult(source.name, "not_modified")
    if response is None or response.status_code >= 400:
        if response is not None:
            error = f"HTTP {response.status_code} from {source.url}"
        message = f"pull of {source.url} failed after {source.retries + 1} tries: {error}"
        log.warning(message)
        _record_failed_pull(source, message, now)
        return PullResult(source.name, "failed", error=message)

    summary = load_batch(
        source.feed,
        response.content,
        source_kind="http",
        source_name=source.name,
        file_name=str(source.url),
        fmt=source.format,
        layout=source.layout,
    )
    _save_validators(
        source.name, response.headers.get("etag"), response.headers.get("last-modified"), now
    )
    return PullResult(source.name, "loaded", summary=summary)


def _save_validators(
    name: str, etag: str | None, last_modified: str | None, now: datetime, keep: bool = False
) -> None:
    with get_sessionmaker()() as session:
        state = _validators(session, name)
        if not keep:
            state.etag = etag
            state.last_modified = last_modified
        state.last_checked_at = now
        session.commit()


def _record_failed_pull(source: HttpSource, message: str, now: datetime) -> None:
    """A failed pull is an ingest run too, so the feed's freshness shows it as failing."""
    try:
        with get_sessionmaker()() as session:
            session.add(
                IngestRun(
                    feed=source.feed,
                    source="http",
                    source_name=source.name,
                    file_name=str(source.url),
                    started_at=now,
                    finished_at=now,
                    status="failed",
                    error=message,
                )
            )
            session.commit()
    except Exception:  # the database may be the thing that is down
        log.exception("could not record the failed pull of %s", source.name)
