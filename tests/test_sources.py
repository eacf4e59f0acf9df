"""Sources: the drop folder, the scheduled HTTP pull (down, hanging, conditional) and the
POST API, each ending in the same loader."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import reset_caches
from app.core.feed_config import HttpSource
from app.main import create_app
from app.metrics.freshness import feed_status
from ingest.sources import folder, http
from models import BedSnapshot, IngestRun
from tests.security_helpers import bearer, sign_in

HEADER = (
    "snapshot_at,site_code,ward_code,ward_name,bed_base,core_beds_open,"
    "escalation_beds_open,beds_occupied,beds_closed\n"
)
BEDS = HEADER + (
    "2026-11-20T08:00:00+00:00,RXA01,W01,Ward 1,general_acute,28,2,29,0\n"
    "2026-11-20T08:00:00+00:00,RXA01,W02,Ward 2,general_acute,24,0,22,1\n"
)
MISSING_COLUMN = (
    HEADER.replace(",beds_closed", "")
    + "2026-11-20T08:00:00+00:00,RXA01,W01,W,general_acute,1,0,1\n"
)


def _beds_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(BedSnapshot)) or 0


def test_drop_folder_loads_and_moves_files(engine: Engine, session: Session) -> None:
    feeds_dir = get_settings().feeds_dir
    folder.ensure_folders(feeds_dir)
    good = folder.inbox(feeds_dir, "beds") / "beds_20261120T0800Z.csv"
    bad = folder.inbox(feeds_dir, "beds") / "beds_20261120T0900Z.csv"
    good.write_text(BEDS)
    bad.write_text(MISSING_COLUMN)
    result = folder.scan_feed(feeds_dir, "beds", settle_seconds=0)
    assert [s.status for s in result.summaries] == ["succeeded", "failed"]
    assert list(folder.inbox(feeds_dir, "beds").iterdir()) == []
    ok_run, bad_run = (s.run_id for s in result.summaries)
    assert (feeds_dir / "processed" / "beds" / f"run{ok_run:07d}_{good.name}").is_file()
    assert (feeds_dir / "failed" / "beds" / f"run{bad_run:07d}_{bad.name}").is_file()
    assert _beds_count(session) == 2
    # the same file dropped again: a duplicate run, nothing changes
    good2 = folder.inbox(feeds_dir, "beds") / "beds_again.csv"
    good2.write_text(BEDS)
    again = folder.scan_feed(feeds_dir, "beds", settle_seconds=0)
    assert [s.status for s in again.summaries] == ["duplicate"]
    assert _beds_count(session) == 2


def test_drop_folder_waits_for_files_to_settle(engine: Engine) -> None:
    feeds_dir = get_settings().feeds_dir
    folder.ensure_folders(feeds_dir)
    fresh = folder.inbox(feeds_dir, "beds") / "beds_x.csv"
    fresh.write_text(BEDS)
    (folder.inbox(feeds_dir, "beds") / "beds_y.csv.tmp").write_text(BEDS)
    assert folder.pending_files(feeds_dir, "beds", settle_seconds=60) == []
    assert [p.name for p in folder.pending_files(feeds_dir, "beds", settle_seconds=0)] == [
        "beds_x.csv"
    ]


def test_database_unavailable_leaves_the_file_in_the_inbox(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds_dir = get_settings().feeds_dir
    folder.ensure_folders(feeds_dir)
    path = folder.inbox(feeds_dir, "beds") / "beds_20261120T0800Z.csv"
    path.write_text(BEDS)
    monkeypatch.setenv("HOMEWARD_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    reset_caches()
    result = folder.scan_feed(feeds_dir, "beds", settle_seconds=0)
    assert result.summaries == []
    assert result.left_in_inbox == [path]
    assert path.is_file()


class _Feed(BaseHTTPRequestHandler):
    body = BEDS.encode()
    etag = '"v1"'
    hold: threading.Event | None = None  # set: the answer waits until the test releases it
    status = 200
    requests: list[dict[str, str | None]] = []

    def do_GET(self) -> None:
        type(self).requests.append({"if-none-match": self.headers.get("If-None-Match")})
        if self.hold is not None:
            self.hold.wait(timeout=30)
        if self.status != 200:
            self.send_response(self.status)
            self.end_headers()
            return
        if self.headers.get("If-None-Match") == self.etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/csv")
        self.send_header("ETag", self.etag)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def feed_server() -> Iterator[tuple[str, type[_Feed]]]:
    handler = type("Handler", (_Feed,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/beds.csv", handler
    server.shutdown()
    server.server_close()


def _source(url: str, **kw: object) -> HttpSource:
    return HttpSource.model_validate(
        {
            "name": "trust-a-beds",
            "feed": "beds",
            "url": url,
            "timeout_seconds": 1,
            "retries": 1,
            "backoff_seconds": 0,
            **kw,
        }
    )


def test_http_pull_loads_then_uses_etag(
    engine: Engine, session: Session, feed_server: tuple[str, type[_Feed]]
) -> None:
    url, handler = feed_server
    first = http.pull(_source(url))
    assert first.status == "loaded" and first.summary and first.summary.status == "succeeded"
    assert _beds_count(session) == 2
    second = http.pull(_source(url))
    assert second.status == "not_modified"
    assert handler.requests[-1]["if-none-match"] == '"v1"'
    assert session.scalar(select(func.count()).select_from(IngestRun)) == 1


def test_http_source_down_records_a_failed_run(engine: Engine, session: Session) -> None:
    result = http.pull(_source("http://127.0.0.1:9/beds.csv"))
    assert result.status == "failed"
    run = session.scalars(select(IngestRun)).one()
    assert (run.status, run.source, run.source_name) == ("failed", "http", "trust-a-beds")
    assert "failed after 2 tries" in (run.error or "")
    states = {(s.feed, s.source): s.state for s in feed_status(session, by_source=True)}
    assert states[("beds", "http")] == "failing"


def test_http_source_that_hangs_times_out(
    engine: Engine, session: Session, feed_server: tuple[str, type[_Feed]]
) -> None:
    url, handler = feed_server
    handler.hold = threading.Event()
    try:
        result = http.pull(_source(url, timeout_seconds=0.5, retries=0))
        # the server holds its answer until released below: a pull that waited for it,
        # rather than giving up on its own timeout, would have got the file and loaded it
        assert result.status == "failed"
        assert "timed out after 0.5 s" in (result.error or "")
        assert len(handler.requests) == 1  # retries=0: one try
        assert _beds_count(session) == 0
    finally:
        handler.hold.set()


def test_http_server_error_is_retried_then_fails(
    engine: Engine, feed_server: tuple[str, type[_Feed]]
) -> None:
    url, handler = feed_server
    handler.status = 503
    result = http.pull(_source(url, retries=2))
    assert result.status == "failed"
    assert len(handler.requests) == 3  # the first try and two retries
    assert "HTTP 503" in (result.error or "")


def test_post_batch_api(engine: Engine, session: Session) -> None:
    app = create_app(with_dashboard=False)
    client = TestClient(app, headers=bearer("feed"))  # a machine client delivering batches
    reader = TestClient(app)
    sign_in(reader, "admin")  # runs and rejected rows are read by a person
    response = client.post(
        "/api/v1/feeds/beds/batches", content=BEDS, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["rows_in"], body["rows_loaded"]) == ("succeeded", 2, 2)
    again = client.post(
        "/api/v1/feeds/beds/batches", content=BEDS, headers={"Content-Type": "text/csv"}
    )
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    upload = client.post(
        "/api/v1/feeds/beds/batches",
        files={"file": ("beds.csv", MISSING_COLUMN, "text/csv")},
    )
    assert upload.status_code == 422 and upload.json()["status"] == "failed"
    run = reader.get(f"/api/v1/feeds/runs/{body['run_id']}").json()
    assert run["rows_loaded"] == 2 and run["feed"] == "beds"
    runs = reader.get("/api/v1/feeds/runs", params={"feed": "beds"}).json()
    assert [r["status"] for r in runs] == ["failed", "duplicate", "succeeded"]
    rejected = reader.get(f"/api/v1/feeds/runs/{upload.json()['run_id']}/rejected").json()
    assert rejected["total"] >= 1 and "beds_closed" in rejected["rows"][0]["reason"]
    assert reader.get("/api/v1/feeds/runs/999999").status_code == 404
    assert client.post("/api/v1/feeds/nonsense/batches", content="x").status_code in (403, 422)
    # a feed token reads back the runs it delivered (these three); anonymous gets nothing
    own = client.get("/api/v1/feeds/runs")
    assert [r["status"] for r in own.json()] == ["failed", "duplicate", "succeeded"]
    assert TestClient(app).get("/api/v1/feeds/runs").status_code == 401
    status = reader.get("/api/v1/feeds/status").json()
    assert {f["feed"] for f in status["feeds"]} == {"beds", "care_homes", "domiciliary", "patients"}


def test_post_batch_database_down_is_503(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(create_app(with_dashboard=False), headers=bearer("feed"))
    monkeypatch.setenv("HOMEWARD_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    reset_caches()
    response = client.post(
        "/api/v1/feeds/beds/batches", content=BEDS, headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 503
    assert "unavailable" in response.json()["detail"]
    assert client.get("/api/v1/health").status_code == 503


def test_unknown_api_path_is_json_404(engine: Engine) -> None:
    client = TestClient(create_app(with_dashboard=False))
    sign_in(client, "analyst")
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["detail"] == "No API endpoint /api/v1/nothing-here"


def test_cli_ingest_prints_the_run(engine: Engine, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    path = tmp_path / "beds.csv"
    path.write_text(BEDS)
    result = CliRunner().invoke(cli, ["ingest", "beds", str(path)])
    assert result.exit_code == 0, result.output
    assert '"status": "succeeded"' in result.output and '"rows_loaded": 2' in result.output
    bad = tmp_path / "bad.csv"
    bad.write_text(MISSING_COLUMN)
    assert CliRunner().invoke(cli, ["ingest", "beds", str(bad)]).exit_code == 1
