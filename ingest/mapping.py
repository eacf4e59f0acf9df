"""Column mappings: read other layouts (e.g. a Capacity Tracker download) onto the contracts.

A layout is a TOML table ``[<feed>.layouts.<name>]`` whose string entries map a header name
of the layout onto a contract column; two optional sub-tables give a ``strptime`` format for
date/time columns written another way (``formats``) and constant values for contract columns
the layout lacks (``defaults``)::

    [care_homes.layouts.capacity_tracker]
    "Location ID" = "cqc_location_id"
    "Last Updated" = "snapshot_at"
    [care_homes.layouts.capacity_tracker.formats]
    snapshot_at = "%d/%m/%Y %H:%M"

Layouts come from ``ingest/data/column_mappings.toml`` and, when set, the settings'
``feed_config_file`` (its layouts add to and replace the shipped ones). A batch uses the
layout named by the source, or else the contract itself when its header has the contract
columns, or else the first layout whose columns the header has.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.core.config import get_settings
from ingest.contracts import FEED_COLUMNS, FEED_SPECS, HEADER_COLUMNS
from ingest.readers import FileProblem, file_problem
from ingest.reasons import reason_message

EXAMPLE_FILE = Path(__file__).parent / "data" / "column_mappings.toml"
_SEPARATORS = re.compile(r"[\s\-]+")


def normalise_header(name: str) -> str:
    """Header names match ignoring case, surrounding spaces, and spaces vs underscores."""
    return _SEPARATORS.sub("_", name.strip().lower())


@dataclass(frozen=True)
class Layout:
    feed: str
    name: str
    columns: Mapping[str, str]  # normalised layout header → contract column
    formats: Mapping[str, str] = field(default_factory=dict)  # contract column → strptime
    defaults: Mapping[str, str] = field(default_factory=dict)  # contract column → value


def parse_layouts(data: Mapping[str, Any], origin: str) -> dict[str, dict[str, Layout]]:
    """The layouts in a parsed TOML document: ``{feed: {name: Layout}}``."""
    found: dict[str, dict[str, Layout]] = {}
    for feed, contract in FEED_COLUMNS.items():
        tables = data.get(feed, {}).get("layouts", {}) if isinstance(data.get(feed), dict) else {}
        for name, table in tables.items():
            columns: dict[str, str] = {}
            for header, target in table.items():
                if header in ("formats", "defaults") and isinstance(target, dict):
                    continue
                if target not in contract:
                    raise ValueError(
                        f"{origin}: layout {feed}.{name} maps '{header}' onto '{target}', "
                        f"which is not a {feed} column ({', '.join(contract)})"
                    )
                columns[normalise_header(str(header))] = str(target)
            extras = {k: dict(table.get(k, {})) for k in ("formats", "defaults")}
            for kind, values in extras.items():
                unknown = sorted(set(values) - set(contract))
                if unknown:
                    raise ValueError(
                        f"{origin}: layout {feed}.{name} {kind} name unknown column(s) "
                        + ", ".join(unknown)
                    )
            found.setdefault(feed, {})[name] = Layout(
                feed,
                name,
                columns,
                {k: str(v) for k, v in extras["formats"].items()},
                {k: str(v) for k, v in extras["defaults"].items()},
            )
    return found


def load_layouts(extra_file: Path | None = None) -> dict[str, dict[str, Layout]]:
    """The shipped layouts plus those of ``extra_file`` (default: settings.feed_config_file)."""
    files = [EXAMPLE_FILE]
    configured = extra_file if extra_file is not None else get_settings().feed_config_file
    if configured is not None and Path(configured).is_file():
        files.append(Path(configured))
    layouts: dict[str, dict[str, Layout]] = {}
    for file in files:
        with file.open("rb") as fh:
            parsed = parse_layouts(tomllib.load(fh), str(file))
        for feed, named in parsed.items():
            layouts.setdefault(feed, {}).update(named)
    return layouts


@dataclass
class HeaderBinding:
    """How the columns of one batch's header land on the contract."""

    feed: str
    layout: Layout | None
    positions: list[tuple[int, str]]  # CSV: header index → contract column
    keys: dict[str, str]  # JSON: source key → contract column
    defaults: dict[str, str]
    header_fields: int
    unknown: list[str] = field(default_factory=list)

    @property
    def formats(self) -> Mapping[str, str]:
        return self.layout.formats if self.layout else {}

    def from_fields(self, fields: Sequence[str]) -> dict[str, Any]:
        """A CSV row (fields in header order) as contract column → value."""
        record: dict[str, Any] = dict(self.defaults)
        for index, column in self.positions:
            record[column] = fields[index]
        return record

    def from_object(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON object as contract column → value (keys not in the contract are noted)."""
        record: dict[str, Any] = dict(self.defaults)
        keys = self.keys
        for key, value in obj.items():
            column = keys.get(key)
            if column is None:
                column = _match(self.feed, self.layout, key)
                if column is None:
                    if key not in self.unknown:
                        self.unknown.append(key)
                    continue
                keys[key] = column
            record[column] = value
        return record


def _match(feed: str, layout: Layout | None, header: str) -> str | None:
    norm = normalise_header(header)
    if layout is not None:
        mapped = layout.columns.get(norm)
        if mapped is not None:
            return mapped
    return norm if norm in FEED_COLUMNS[feed] else None


def _bind(
    feed: str, header: Sequence[str], layout: Layout | None, required: Sequence[str]
) -> tuple[HeaderBinding, list[str]]:
    """The binding of ``header`` under ``layout`` and the required columns it lacks."""
    positions: list[tuple[int, str]] = []
    keys: dict[str, str] = {}
    unknown: list[str] = []
    seen: dict[str, str] = {}
    for index, name in enumerate(header):
        column = _match(feed, layout, name)
        if column is None:
            unknown.append(name if name.strip() else f"(unnamed column {index + 1})")
            continue
        if column in seen:
            raise file_problem("duplicate_column", column=name)
        seen[column] = name
        positions.append((index, column))
        keys[name] = column
    defaults = dict(layout.defaults) if layout else {}
    missing = [c for c in required if c not in seen and c not in defaults]
    binding = HeaderBinding(feed, layout, positions, keys, defaults, len(header), unknown)
    return binding, missing


def bind_header(
    feed: str,
    header: Sequence[str],
    *,
    layout: str | None = None,
    layouts: Mapping[str, Mapping[str, Layout]] | None = None,
    required: Sequence[str] | None = None,
) -> HeaderBinding:
    """Bind a batch header to the contract (or a layout); raise FileProblem when it can't.

    ``required`` defaults to every contract column a header must have (CSV); JSON passes the
    columns whose value is required, since a JSON object may leave out a key whose value is
    empty.
    """
    need = list(required) if required is not None else list(HEADER_COLUMNS[feed])
    known = (layouts if layouts is not None else load_layouts()).get(feed, {})
    if layout is not None:
        if layout not in known:
            raise file_problem(
                "unknown_layout", layout=layout, feed=feed, layouts=", ".join(known) or "none"
            )
        binding, missing = _bind(feed, header, known[layout], need)
    else:
        binding, missing = _bind(feed, header, None, need)
        if missing:
            for candidate in known.values():
                attempt, still_missing = _bind(feed, header, candidate, need)
                if not still_missing:
                    binding, missing = attempt, []
                    break
    if missing:
        raise _missing_columns(feed, binding, missing)
    misspelt = _misspellings(feed, binding.unknown, set(FEED_COLUMNS[feed]) - set(need))
    if misspelt:
        raise _missing_columns(feed, binding, [c for _, c in misspelt])
    return binding


def _misspellings(feed: str, unknown: Sequence[str], candidates: set[str]) -> list[tuple[str, str]]:
    """(unknown header, contract column) pairs that look like the same name misspelt."""
    pairs = []
    for name in unknown:
        close = difflib.get_close_matches(normalise_header(name), sorted(candidates), 1, 0.8)
        if close:
            pairs.append((name, close[0]))
    return pairs


def _missing_columns(feed: str, binding: HeaderBinding, missing: Sequence[str]) -> FileProblem:
    hints = []
    for column in missing:
        close = difflib.get_close_matches(
            column, [normalise_header(u) for u in binding.unknown], 1, 0.6
        )
        if close:
            original = next(u for u in binding.unknown if normalise_header(u) == close[0])
            hints.append(f"'{original}' looks like a misspelling of '{column}'")
    suggestion = f" ({'; '.join(hints)})" if hints else ""
    message = reason_message(
        "missing_column",
        missing=", ".join(f"'{c}'" for c in missing),
        suggestion=suggestion,
        feed=feed,
        columns=", ".join(FEED_COLUMNS[feed]),
    )
    return FileProblem("missing_column", message, line_number=1, column=missing[0])


def required_value_columns(feed: str) -> list[str]:
    """The contract columns whose value may not be empty."""
    return [c.name for c in FEED_SPECS[feed] if c.required]
