"""The hostile corpus (tests/hostile/corpus.py) through the CLI, the drop folder and the API,
on both databases: for each file, no traceback and no 5xx; the good rows kept; the hostile
row quarantined with its line, column and reason; rows in = loaded + quarantined (a failed
file counts the rows read before its problem); and the next good file of the feed loads.

One store per feed, route and backend: the files of a feed go through it one after another
(each followed by its clean file), so a file that poisoned the feed would fail the next one.
Each route takes every file-level file and a third of the row-level ones, dealt out in turn,
so every file of the corpus goes through at least one route (CI time).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from ingest.sources.folder import inbox, scan_feed
from models import (
    BedSnapshot,
    CareHomeSnapshot,
    DomiciliarySnapshot,
    IngestNotice,
    IngestRun,
    QuarantinedRow,
)
from models.spells import SpellState
from tests.hostile.corpus import FEEDS, PHRASES, Case, header_cases, hostile_cases, next_good_file
from tests.security_helpers import bearer, build_secure_app

Files = list[tuple[str, bytes]]  # (file name, body), delivered in this order
Deliver = Callable[[str, Files], list[int]]  # (feed, files) → their run ids
KEPT = {
    "beds": BedSnapshot,
    "care_homes": CareHomeSnapshot,
    "domiciliary": DomiciliarySnapshot,
    "patients": SpellState,
}


def _by_cli(tmp_path: Path) -> Deliver:
    runner = CliRunner()

    def deliver(feed: str, files: Files) -> list[int]:
        paths = []
        for file_name, body in files:
            paths.append(tmp_path / "cli" / file_name)
            paths[-1].parent.mkdir(parents=True, exist_ok=True)
            paths[-1].write_bytes(body)
        result = runner.invoke(cli, ["ingest", feed, *map(str, paths)])  # one command, in order
        assert "Traceback" not in result.output
        assert result.exit_code in (0, 1), (result.exit_code, result.output[-500:])
        lines = [ln for ln in result.output.splitlines() if ln.startswith("{")]
        return [int(json.loads(ln)["run_id"]) for ln in lines]

    return deliver


def _by_folder(tmp_path: Path) -> Deliver:
    feeds_dir = tmp_path / "feeds"

    def deliver(feed: str, files: Files) -> list[int]:
        folder = inbox(feeds_dir, feed)
        folder.mkdir(parents=True, exist_ok=True)
        for file_name, body in files:  # the names sort in delivery order
            (folder / file_name).write_bytes(body)
        result = scan_feed(feeds_dir, feed, settle_seconds=0)
        assert result.left_in_inbox == [] and list(folder.iterdir()) == []
        return [summary.run_id for summary in result.summaries]

    return deliver


def _by_api(tmp_path: Path) -> Deliver:
    client = TestClient(build_secure_app(), raise_server_exceptions=False)
    headers = bearer("feed")

    def deliver(feed: str, files: Files) -> list[int]:
        run_ids = []
        for file_name, body in files:
            kind = "application/json" if file_name.endswith(".json") else "text/csv"
            response = client.post(
                f"/api/v1/feeds/{feed}/batches",
                content=body,
                headers={**headers, "content-type": kind},
            )
            assert response.status_code in (201, 422), (response.status_code, response.text[:300])
            run_ids.append(int(response.json()["run_id"]))
        return run_ids

    return deliver


ROUTES = {"cli": _by_cli, "folder": _by_folder, "api": _by_api}


def _cases(feed: str, route: str) -> list[Case]:
    """Every file-level and header file through every route; the row-level files dealt out
    in turn, so each goes through one route and each route takes a third of them (CI time)."""
    row_level = [c for c in hostile_cases(feed) if not c.file_level]
    file_level = [c for c in hostile_cases(feed) if c.file_level]
    turn = list(ROUTES).index(route)
    return row_level[turn :: len(ROUTES)] + file_level + header_cases(feed)


def _check(session: Session, case: Case, run_id: int) -> None:
    session.expire_all()
    run = session.get(IngestRun, run_id)
    assert run is not None
    counts = (run.rows_in, run.rows_loaded, run.rows_quarantined)
    assert run.rows_in == run.rows_loaded + run.rows_quarantined, counts
    kept = session.scalar(
        select(func.count())
        .select_from(KEPT[case.feed])
        .where(KEPT[case.feed].ingest_run_id == run_id)
    )
    entries = session.execute(
        select(QuarantinedRow.line_number, QuarantinedRow.column, QuarantinedRow.reason).where(
            QuarantinedRow.ingest_run_id == run_id
        )
    ).all()
    if case.file_level:
        # the rows read before the problem, all counted as rejected; one entry with the reason
        assert (run.status, counts) == ("failed", (case.rows_in, 0, case.rows_in)), counts
        assert kept == 0
        ((_, _, reason),) = entries
        assert PHRASES[case.reason] in reason, reason
        return
    if not case.reason:  # a header name with a NUL or a surrogate: ignored, and warned about
        assert (run.status, counts, kept) == ("succeeded", (3, 3, 0), 3)
        warned = session.scalars(
            select(IngestNotice.message).where(IngestNotice.ingest_run_id == run_id)
        ).all()
        assert any("\\u0000" in m or "\\ud800" in m for m in warned), warned
        return
    # 3 rows: the 2 good ones kept, the hostile one (CSV line 3, JSON item 2) quarantined
    assert (run.status, counts, kept) == ("succeeded", (3, 2, 1), 2), (run.error, counts, kept)
    ((line, column, reason),) = entries
    assert (line, column) == (3 if case.fmt == "csv" else 2, case.column), (line, column, reason)
    assert PHRASES[case.reason] in reason, reason


@pytest.mark.parametrize("feed", FEEDS)
@pytest.mark.parametrize("route", ROUTES)
def test_hostile_files_lose_nothing(
    engine: Engine,
    session: Session,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    route: str,
    feed: str,
) -> None:
    deliver = ROUTES[route](tmp_path)
    cases = _cases(feed, route)
    failures = []
    with caplog.at_level(logging.WARNING):
        for case in cases:
            try:
                files = [
                    (case.file_name, case.body),
                    (f"{case.name}_next.csv", next_good_file(feed, case.name)),
                ]
                hostile, after = deliver(feed, files)
                _check(session, case, hostile)
                run = session.get(IngestRun, after)
                assert run is not None
                assert (run.status, run.rows_in, run.rows_loaded) == ("succeeded", 2, 2), (
                    "the next good file",
                    run.status,
                    run.error,
                )
            except AssertionError as exc:
                failures.append(f"{case.name}: {exc}")
    assert not failures, "\n".join(failures)
    assert not [r.getMessage() for r in caplog.records if r.exc_info]  # no traceback logged


def test_the_corpus_has_at_least_80_files_of_each_kind_across_the_feeds() -> None:
    cases = [c for feed in FEEDS for c in hostile_cases(feed) + header_cases(feed)]
    names = {c.name for c in cases}
    assert len(names) == len(cases)  # each file its own
    assert len(cases) >= 80
    assert {(c.feed, c.fmt) for c in cases} == {(f, fmt) for f in FEEDS for fmt in ("csv", "json")}
