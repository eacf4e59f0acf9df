"""Property-based tests (hypothesis) of the row models, the readers and the loader.

Any input gives a valid row or a problem, never an exception; a valid row is within the
bounds of DESIGN §3; a value at a bound is kept as sent and one past it is refused; any bytes
read as CSV or JSON give rows or a file problem; and no problem, nor any value a reader
hands on, holds a character a database cannot store. Deterministic (``derandomize``) and
modest (``max_examples``) so CI is stable.
"""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ingest.contracts import FEED_COLUMNS, ValidationContext, validate_row
from ingest.contracts.text import UNCLEAN, UNSTORABLE
from ingest.loader import load_batch
from ingest.readers import FileProblem, HashingStream, open_table
from ingest.reasons import REASONS
from models import IngestRun, QuarantinedRow
from tests.hostile.corpus import FEEDS, good_row, json_body

NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
CONTEXT = ValidationContext(
    now=NOW, tz=ZoneInfo("Europe/London"), future_tolerance=timedelta(minutes=15)
)
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)  # the default bound, written out
SETTINGS = settings(max_examples=150, derandomize=True, deadline=None)

# values a hostile sender might put in any column: text of any code point (lone surrogates,
# NUL and other controls included), numbers of any size, nested JSON, and the edges
_EDGES = st.sampled_from(
    [
        "0001-01-01T00:00+01:00",
        "9999-12-31T23:59-01:00",
        "1900-01-01",
        "1e300",
        "1e308",
        "-0",
        "99999999999999999999999",
        "²",
        "٣",
        "NaN",
        "inf",
        "\x00",
        "\ud800",
        "9" * 5000,
    ]
)
HOSTILE = st.one_of(
    st.text(max_size=40),
    _EDGES,
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
)


def _record(feed: str, data: st.DataObject) -> dict[str, Any]:
    """A good row of ``feed`` with some of its columns replaced by hostile values."""
    record: dict[str, Any] = good_row(feed, "prop", 1)
    for column in data.draw(st.lists(st.sampled_from(FEED_COLUMNS[feed]), max_size=4)):
        record[column] = data.draw(HOSTILE)
    return record


def _storable(text: str | None) -> bool:
    return text is None or UNSTORABLE.search(text) is None


@SETTINGS
@given(feed=st.sampled_from(FEEDS), data=st.data())
def test_any_row_is_valid_within_its_bounds_or_has_problems(feed: str, data: Any) -> None:
    outcome = validate_row(feed, _record(feed, data), CONTEXT)
    if outcome.row is None:
        assert outcome.rejections
        for problem in outcome.rejections:
            assert problem.code in REASONS, problem  # a reason a person can act on
            assert _storable(problem.message) and _storable(problem.value), problem
        return
    row = outcome.row.model_dump()
    for name, value in row.items():
        if isinstance(value, datetime):
            assert EARLIEST <= value <= NOW + timedelta(minutes=15), (name, value)
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int):
            limit = 130 if name == "age" else 10_000 if name != "pathway" else 3
            assert 0 <= value <= limit, (name, value)
        elif isinstance(value, float):
            assert math.isfinite(value) and 0 <= value <= 100_000, (name, value)
        elif isinstance(value, str):
            assert UNCLEAN.search(value) is None and len(value) <= 200, (name, value)
    if feed == "patients":
        end = row["discharged_at"] or row["snapshot_at"]
        assert end - row["admitted_at"] <= timedelta(days=1826)  # 5 years of 365.25 days


@SETTINGS
@given(
    count=st.integers(min_value=0, max_value=10_000),
    hours=st.floats(min_value=0, max_value=100_000),
    at=st.datetimes(min_value=datetime(1990, 1, 2), max_value=datetime(2025, 1, 14)),
)
def test_values_within_the_bounds_round_trip(count: int, hours: float, at: datetime) -> None:
    beds = dict(good_row("beds", "prop", 1), core_beds_open=str(count), snapshot_at=at.isoformat())
    row = validate_row("beds", beds, CONTEXT).row
    assert row is not None and row.core_beds_open == count  # type: ignore[attr-defined]
    # naive times are London time: the same wall-clock time back in London
    london = row.snapshot_at.astimezone(CONTEXT.tz).replace(tzinfo=None)  # type: ignore[attr-defined]
    assert london == at or at.fold  # an hour that happens twice in October may read as either
    domiciliary = dict(good_row("domiciliary", "prop", 1), hours_available_per_week=repr(hours))
    kept = validate_row("domiciliary", domiciliary, CONTEXT).row
    assert kept is not None and kept.hours_available_per_week == hours  # type: ignore[attr-defined]


@SETTINGS
@given(over=st.integers(min_value=1, max_value=10**30))
def test_values_past_the_bounds_are_refused(over: int) -> None:
    beds = dict(good_row("beds", "prop", 1), beds_occupied=str(10_000 + over))
    (problem,) = validate_row("beds", beds, CONTEXT).rejections
    assert (problem.code, problem.column) == ("implausible_number", "beds_occupied")
    patients = dict(good_row("patients", "prop", 1), age=str(130 + over))
    (problem,) = validate_row("patients", patients, CONTEXT).rejections
    assert (problem.code, problem.column) == ("not_allowed", "age")


def _read_all(body: bytes, fmt: str) -> list[Any]:
    """Every row the reader gives, or the FileProblem it raises."""
    try:
        table = open_table(HashingStream(io.BytesIO(body)), fmt)  # type: ignore[arg-type]
        return [table.header, *(row for _, row in table)]
    except FileProblem as problem:
        assert problem.code in REASONS and _storable(problem.message)
        return []


def _values(rows: list[Any]) -> list[Any]:
    found: list[Any] = []
    for row in rows:
        found += list(row.items()) if isinstance(row, dict) else list(row)
    return [v for pair in found for v in (pair if isinstance(pair, tuple) else (pair,))]


@SETTINGS
@given(body=st.one_of(st.binary(max_size=300), st.text(max_size=200).map(str.encode)))
def test_any_bytes_read_as_csv_or_json_give_rows_or_a_file_problem(body: bytes) -> None:
    for fmt in ("csv", "json"):
        for value in _values(_read_all(body, fmt)):
            if isinstance(value, str):  # what a reader hands on can be stored (or is refused)
                assert _storable(value), value


JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=8,
)


@SETTINGS
@given(items=st.lists(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=4), max_size=4))
def test_any_json_list_of_objects_is_read_with_storable_keys_and_values(
    items: list[dict[str, Any]],
) -> None:
    body = json.dumps(items).encode()  # ASCII: surrogates and NUL arrive as escapes
    rows = _read_all(body, "json")
    assert rows, "a JSON list of objects is never a file problem"
    assert len(rows) == len(items) + 1  # the header, then one row per object
    for value in _values(rows):
        if isinstance(value, str):
            assert _storable(value), value


@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(feed=st.sampled_from(FEEDS), data=st.data())
def test_any_batch_loads_with_rows_in_equal_to_loaded_plus_quarantined(
    engine: Engine, feed: str, data: Any
) -> None:
    """Through the loader, on both databases: a good row and a hostile one, as JSON."""
    good = good_row(feed, f"propload{feed}", 1)
    body = json_body([good, _record(feed, data)])
    summary = load_batch(feed, body, fmt="json", engine=engine)
    assert summary.status in ("succeeded", "duplicate"), summary.error
    with Session(engine) as session:
        run = session.get(IngestRun, summary.run_id)
        assert run is not None and run.status == summary.status
        if summary.status == "succeeded":
            assert run.rows_in == 2 == run.rows_loaded + run.rows_quarantined
            entries = session.scalar(
                select(func.count()).where(QuarantinedRow.ingest_run_id == run.id)
            )
            assert entries == run.rows_quarantined
