"""The feeds page and its read model on hand-made runs: filters by feed and result, failed and
abandoned runs marked, long errors clipped with the whole text on demand, file names, and the
spell id of a quarantined patients row for the coordinator only (audited)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import plotly.utils
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.scopes import parse_scope
from app.metrics import feed_runs
from app.security import principal as principal_module
from app.security.principal import Principal
from app.security.roles import Role
from models import IngestRun, QuarantinedRow
from models.security import AuditEvent

NOW = datetime.now(UTC).replace(microsecond=0)
LONG_ERROR = "the file has no header row: " + "column x is missing; " * 30


def _run(session: Session, *, feed: str, status: str, name: str, **values: Any) -> int:
    run = IngestRun(
        feed=feed,
        source="folder",
        source_name="drop folder",
        file_name=name,
        status=status,
        started_at=NOW - timedelta(minutes=5),
        **values,
    )
    session.add(run)
    session.commit()
    return run.id


@pytest.fixture
def runs(session: Session) -> dict[str, int]:
    ids = {
        "loaded": _run(session, feed="beds", status="succeeded", name="beds_1.csv"),
        "failed": _run(
            session, feed="patients", status="failed", name="patients_1.csv", error=LONG_ERROR
        ),
        "swept": _run(
            session,
            feed="beds",
            status="failed",
            name="beds_2.csv",
            abandoned_at=NOW - timedelta(minutes=1),
            error="abandoned",
        ),
        "unswept": _run(
            session,
            feed="care_homes",
            status="running",
            name="care_homes_1.csv",
            lease_expires_at=NOW - timedelta(minutes=2),
        ),
        "live": _run(
            session,
            feed="patients",
            status="running",
            name="patients_2.csv",
            lease_expires_at=NOW + timedelta(minutes=2),
        ),
        "duplicate": _run(session, feed="beds", status="duplicate", name="beds_1.csv"),
    }
    session.add_all(
        [
            QuarantinedRow(
                ingest_run_id=ids["loaded"],
                line_number=3,
                column="age",
                value="200",
                reason="age 200 is above 130",
                raw=json.dumps({"spell_id": "SP-0042", "age": "200"}),
            ),
            QuarantinedRow(
                ingest_run_id=ids["loaded"],
                line_number=4,
                column="spell_id",
                value=None,
                reason="spell_id is required",
                raw=json.dumps({"spell_id": "", "age": "70"}),
            ),
        ]
    )
    session.commit()
    return ids


def _ids(session: Session, **filters: Any) -> set[int]:
    return {run.id for run in feed_runs.list_runs(session, now=NOW, **filters)}


def test_runs_filter_by_result_with_abandoned_apart_from_failed(
    session: Session, runs: dict[str, int]
) -> None:
    assert _ids(session, status="abandoned") == {runs["swept"], runs["unswept"]}
    assert _ids(session, status="failed") == {runs["failed"]}
    assert _ids(session, status="running") == {runs["live"]}
    assert _ids(session, status="succeeded") == {runs["loaded"]}
    assert _ids(session, status="duplicate") == {runs["duplicate"]}
    assert _ids(session, feed="beds") == {runs["loaded"], runs["swept"], runs["duplicate"]}
    assert _ids(session, feed="beds", status="abandoned") == {runs["swept"]}
    assert len(_ids(session)) == 6


def test_spell_ids_of_quarantined_rows_only_when_asked(
    session: Session, runs: dict[str, int]
) -> None:
    _total, redacted = feed_runs.rejected_rows(session, run_id=runs["loaded"])
    assert [(r.spell_id, r.value, r.raw) for r in redacted] == [(None, None, None)] * 2
    _total, spells = feed_runs.rejected_rows(session, run_id=runs["loaded"], spell_ids=True)
    assert [r.spell_id for r in spells] == ["SP-0042", None]  # an empty spell_id is none
    assert [r.value for r in spells] == [None, None]  # the values stay redacted
    _total, full = feed_runs.rejected_rows(session, run_id=runs["loaded"], redacted=False)
    assert [r.spell_id for r in full] == ["SP-0042", None]


@pytest.fixture(scope="module")
def feeds() -> Any:
    """The feeds page module (a page registers itself with a Dash app: build one first)."""
    import importlib

    from fastapi import FastAPI

    from dashboards.app import create_dash

    create_dash(FastAPI())
    return importlib.import_module("dashboards.pages.feeds")


def _text(component: Any) -> str:
    return json.dumps(component, cls=plotly.utils.PlotlyJSONEncoder)


@pytest.fixture
def as_role() -> Iterator[Any]:
    tokens = []

    def become(role: Role, *, scope: str = "system", person: bool = True) -> None:
        tokens.append(
            principal_module._current.set(
                Principal(
                    name=f"test-{role.value}",
                    role=role,
                    via="session",
                    user_id=7 if person else None,
                    scope=parse_scope(scope),
                )
            )
        )

    yield become
    for token in reversed(tokens):
        principal_module._current.reset(token)


def _audits(session: Session) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == "patient_read")))


def test_the_coordinator_sees_the_spell_id_and_the_read_is_audited(
    session: Session, runs: dict[str, int], as_role: Any, feeds: Any
) -> None:
    as_role(Role.COORDINATOR)
    table = _text(feeds._rejected_table(runs["loaded"]))
    assert '"Spell"' in table and "SP-0042" in table
    assert "200" not in table.replace("age 200 is above 130", "")  # not the value received
    (event,) = _audits(session)
    assert event.actor == "test-coordinator" and event.patients == 1


@pytest.mark.parametrize(
    ("role", "scope"),
    [(Role.ANALYST, "system"), (Role.ADMIN, "system"), (Role.COORDINATOR, "council:E06000015")],
)
def test_others_see_no_spell_id(
    session: Session, runs: dict[str, int], as_role: Any, role: Role, scope: str, feeds: Any
) -> None:
    as_role(role, scope=scope)
    table = _text(feeds._rejected_table(runs["loaded"]))
    assert "SP-0042" not in table and '"Spell"' not in table
    assert "age 200 is above 130" in table  # the reason is for everyone
    assert _audits(session) == []


def test_runs_table_marks_failed_and_abandoned_rows_and_clips_long_errors(
    session: Session, runs: dict[str, int], feeds: Any
) -> None:
    table = feeds._runs_table(feeds.ALL, feeds.ALL)
    rows = {row.children[0].children: row for row in table.children[2].children}
    assert rows[runs["failed"]].className == "hw-run-failed"
    assert rows[runs["swept"]].className == "hw-run-abandoned"
    assert rows[runs["unswept"]].className == "hw-run-abandoned"
    assert rows[runs["loaded"]].className is None
    failed = _text(rows[runs["failed"]])
    assert "patients_1.csv" in failed  # the file name is shown
    error_cell = rows[runs["failed"]].children[-1].children
    assert type(error_cell).__name__ == "Details"
    summary, full = error_cell.children
    assert len(summary.children) <= feeds.ERROR_PREVIEW_CHARS + 1
    assert summary.children.endswith("…")
    assert full.children == LONG_ERROR  # the whole text, on demand


def test_runs_table_filters_by_feed_and_result(
    session: Session, runs: dict[str, int], feeds: Any
) -> None:
    table = feeds.refresh_runs("beds", "abandoned")
    (row,) = table.children[2].children
    assert row.children[0].children == runs["swept"]
    assert "beds" in table.children[0].children and "Abandoned" in table.children[0].children
    empty = feeds.refresh_runs("domiciliary", feeds.ALL)
    assert "no run matches" in _text(empty)
