"""Streaming readers and column mappings (no database)."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from ingest import readers
from ingest.contracts import FEED_COLUMNS
from ingest.mapping import bind_header, load_layouts, parse_layouts, required_value_columns
from ingest.readers import CsvTable, FileProblem, HashingStream, JsonTable


def stream(data: bytes) -> HashingStream:
    return HashingStream(io.BytesIO(data))


def test_csv_rows_carry_the_line_they_start_on_and_the_hash_covers_every_byte() -> None:
    data = b'a,b\n1,"two\nlines"\n\n3,4\r\n5,6'
    s = stream(data)
    table = CsvTable(s)
    assert table.header == ["a", "b"]
    assert list(table) == [(2, ["1", "two\nlines"]), (5, ["3", "4"]), (6, ["5", "6"])]
    assert s.sha256 == hashlib.sha256(data).hexdigest()
    assert s.bytes_read == len(data)


def test_a_multibyte_character_split_across_chunks_decodes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "CHUNK_BYTES", 3)
    data = "name\nCafé Ward\n".encode()
    assert list(CsvTable(stream(data))) == [(2, ["Café Ward"])]


def test_not_utf8_reports_line_and_byte_and_a_bom_is_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(readers, "CHUNK_BYTES", 4)  # the bad byte lies in a later chunk
    data = b"\xef\xbb\xbfname\nok\nbad \x92 quote\n"
    table = CsvTable(stream(data))
    assert table.header == ["name"]
    with pytest.raises(FileProblem) as caught:
        list(table)
    assert caught.value.code == "file_not_utf8"
    assert caught.value.line_number == 3
    assert "line 3, byte 16 is 0x92 ('’' in Windows-1252)" in caught.value.message


def test_json_items_are_parsed_incrementally_across_chunks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(readers, "CHUNK_BYTES", 7)
    items = [{"a": i, "text": "x" * i, "nested": "[1, {2}]"} for i in range(40)]
    data = json.dumps(items, indent=2).encode()
    s = stream(data)
    table = JsonTable(s)
    assert table.header == ["a", "text", "nested"]
    got = list(table)
    assert [pos for pos, _ in got] == list(range(1, 41))
    assert [obj for _, obj in got] == items
    assert s.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        (b"", "file_empty", "the file is empty"),
        (b"  \n", "file_empty", "the file is empty"),
        (b'"rows"', "json_not_list", "the body is a JSON string, not a list"),
        (b"[[1]]", "json_not_list", "item 1 is a JSON list"),
        (b'[{"a": 1}, null]', "json_not_list", "item 2 is a JSON null"),
        (b'[{"a": 1} {"a": 2}]', "json_invalid", "expected ',' or ']' between items"),
        (b'[{"a": 1}] x', "json_invalid", "unexpected 'x' after the end of the list"),
        (b'[{"a": 1},\n {"a": }]', "json_invalid", "line 2, column 8 (item 2)"),
        (b'[{"a": 1}', "json_invalid", "the body ends before the list is closed"),
    ],
)
def test_json_file_problems(body: bytes, code: str, words: str) -> None:
    with pytest.raises(FileProblem) as caught:
        list(JsonTable(stream(body)))
    assert caught.value.code == code
    assert words in caught.value.message


def test_header_names_match_ignoring_case_and_spacing() -> None:
    header = [c.upper().replace("_", " ") for c in FEED_COLUMNS["beds"]]
    binding = bind_header("beds", header, layouts={})
    assert [c for _, c in binding.positions] == list(FEED_COLUMNS["beds"])


def test_a_duplicated_header_column_is_refused() -> None:
    with pytest.raises(FileProblem, match="column 'Ward_Code' appears more than once"):
        bind_header("beds", [*FEED_COLUMNS["beds"], "Ward_Code"], layouts={})


def test_json_may_leave_out_optional_keys_but_not_misspell_them() -> None:
    required = required_value_columns("patients")
    assert "discharge_ready_date" not in required
    binding = bind_header("patients", required, layouts={}, required=required)
    assert binding.unknown == []
    with pytest.raises(FileProblem) as caught:
        bind_header("patients", [*required, "discharge_ready_dat"], layouts={}, required=required)
    assert "'discharge_ready_dat' looks like a misspelling of 'discharge_ready_date'" in (
        caught.value.message
    )


def test_layouts_from_a_configured_file_add_to_the_shipped_ones(tmp_path: Path) -> None:
    config = tmp_path / "feeds.toml"
    config.write_text(
        "[feeds.beds]\nlabel = 'Beds'\n\n"  # the lead's own tables are left alone
        "[beds.layouts.trust_b]\n"
        "'Census Time' = 'snapshot_at'\n'Site' = 'site_code'\n'Ward' = 'ward_code'\n"
        "'Ward Name' = 'ward_name'\n'Core' = 'core_beds_open'\n'Escalation' = "
        "'escalation_beds_open'\n'Occupied' = 'beds_occupied'\n'Closed' = 'beds_closed'\n"
        "[beds.layouts.trust_b.defaults]\nbed_base = 'general_acute'\n"
    )
    layouts = load_layouts(config)
    assert set(layouts["beds"]) == {"trust_b"}
    assert "capacity_tracker" in layouts["care_homes"]
    header = [
        "Census Time",
        "Site",
        "Ward",
        "Ward Name",
        "Core",
        "Escalation",
        "Occupied",
        "Closed",
    ]
    binding = bind_header("beds", header, layouts=layouts)
    assert binding.layout is not None and binding.layout.name == "trust_b"
    record = binding.from_fields(["2025-01-15T08:00", "RXA01", "W1", "W", "1", "0", "1", "0"])
    assert record["bed_base"] == "general_acute" and record["ward_code"] == "W1"


def test_a_layout_mapping_onto_no_contract_column_is_refused() -> None:
    with pytest.raises(ValueError, match="'Beds' onto 'beds', which is not a beds column"):
        parse_layouts({"beds": {"layouts": {"x": {"Beds": "beds"}}}}, "test.toml")


def test_a_binary_file_is_not_csv() -> None:
    data = b"name\n" + b"x" * 200_000 + b"\n"  # one field beyond the csv module's limit
    with pytest.raises(FileProblem) as caught:
        list(CsvTable(stream(data)))
    assert caught.value.code == "file_not_csv"
    assert caught.value.message.startswith("line 2: the file is not readable CSV")
