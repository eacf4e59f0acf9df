"""docs/feeds.md lists every rejection reason, every contract column and every catalogue code."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Annotated

import pytest

from app.domain.reason_catalogue import reason_catalogue
from ingest.contracts import (
    FEED_SPECS,
    HEADER_COLUMNS,
    ColumnSpec,
    FeedRow,
    ValidationContext,
    validate_row,
)
from ingest.contracts.columns import column_spec
from ingest.contracts.parsers import OptionalPathway, OptionalReasonCode, Timestamp
from ingest.contracts.rows import about
from ingest.reasons import REASONS

DOC = (Path(__file__).resolve().parent.parent / "docs" / "feeds.md").read_text(encoding="utf-8")


def test_every_reason_is_documented_with_what_to_do() -> None:
    for reason in REASONS.values():
        assert f"| `{reason.code}` |" in DOC, reason.code
        assert reason.what_to_do in DOC, reason.code


def test_every_contract_column_and_catalogue_code_is_documented() -> None:
    for feed, specs in FEED_SPECS.items():
        assert f"### {feed}" in DOC
        for column in specs:
            assert f"| `{column.name}` | {column.type} |" in DOC, (feed, column.name)
    for code in reason_catalogue():
        assert f"| `{code}` |" in DOC, code


def test_the_csv_examples_in_the_doc_are_valid() -> None:
    context = ValidationContext.from_settings()
    blocks = DOC.split("```csv\n")[1:]
    assert len(blocks) == 4
    for block in blocks:
        rows = list(csv.DictReader(io.StringIO(block.split("```")[0])))
        feed = next(  # an example may leave out the columns a header may leave out
            f
            for f, specs in FEED_SPECS.items()
            if list(rows[0]) in ([c.name for c in specs], list(HEADER_COLUMNS[f]))
        )
        for row in rows:
            outcome = validate_row(feed, row, context)
            assert outcome.rejections == [], (feed, outcome.rejections)


def test_the_generated_tables_in_the_doc_are_current() -> None:
    """Regenerate with: python -m ingest.reasons docs/feeds.md"""
    from ingest.reasons import render_doc

    assert render_doc(DOC) == DOC


def test_a_column_is_documented_from_its_model_field() -> None:
    class Sample(FeedRow):
        seen_at: Annotated[Timestamp, about("when it was seen", "2025-01-15T08:00")]
        code: Annotated[OptionalReasonCode, about("the code", "P1_HOMECARE")] = None
        pathway: Annotated[OptionalPathway, about("the pathway", "1")] = None
        undocumented: Timestamp
        unlabelled: Annotated[str, about("a note", "text")]

    fields = Sample.model_fields
    # a named kind: "timestamp", with "or empty" when the field has a default
    assert column_spec("seen_at", fields["seen_at"]) == ColumnSpec(
        "seen_at", "timestamp", True, "when it was seen", "2025-01-15T08:00"
    )
    assert column_spec("code", fields["code"]) == ColumnSpec(
        "code", "catalogue code or empty", False, "the code", "P1_HOMECARE"
    )
    # allowed values: the four pathways listed, then "empty"
    assert column_spec("pathway", fields["pathway"]) == ColumnSpec(
        "pathway", "0 / 1 / 2 / 3 / empty", False, "the pathway", "1"
    )
    with pytest.raises(TypeError, match="undocumented: no description or example"):
        column_spec("undocumented", fields["undocumented"])
    with pytest.raises(TypeError, match="unlabelled: no kind of value"):
        column_spec("unlabelled", fields["unlabelled"])
