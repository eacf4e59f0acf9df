"""The contract columns as docs/feeds.md and the messages describe them, read off the models.

Each row model's field carries what the column holds and an example (``about``), the kind
of value or the values allowed (``kind``/``allowed``, on the annotated types), and whether
it may be empty (the field has a default): the column tables are built from that, so they
cannot drift from the checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic.fields import FieldInfo

from ingest.contracts.rows import FEED_MODELS


@dataclass(frozen=True)
class ColumnSpec:
    """One contract column: what it holds, for the messages and for docs/feeds.md."""

    name: str
    type: str
    required: bool
    description: str
    example: str


def _type_label(info: FieldInfo, required: bool) -> str:
    """The "Type / allowed values" of docs/feeds.md: a kind, or the values allowed."""
    extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
    allowed, kind = extra.get("allowed"), extra.get("kind")
    if isinstance(allowed, list):
        values = [str(v) for v in allowed]
        return " / ".join(values if required else [*values, "empty"])
    if isinstance(kind, str):
        return kind if required else f"{kind} or empty"
    raise TypeError("no kind of value or allowed values on the field")


def column_spec(name: str, info: FieldInfo) -> ColumnSpec:
    """The column of a row model's field ``name``."""
    if info.description is None or not info.examples:
        raise TypeError(f"{name}: no description or example on the field")
    required = info.is_required()
    try:
        label = _type_label(info, required)
    except TypeError as exc:
        raise TypeError(f"{name}: {exc}") from exc
    return ColumnSpec(name, label, required, info.description, str(info.examples[0]))


FEED_SPECS: dict[str, tuple[ColumnSpec, ...]] = {
    feed: tuple(column_spec(name, info) for name, info in model.model_fields.items())
    for feed, model in FEED_MODELS.items()
}
# Columns a header may leave out (the value is then empty): added to the contract later, so
# feeds written before them keep loading.
OPTIONAL_COLUMNS: dict[str, frozenset[str]] = {
    "patients": frozenset({"contributing_reason_codes"}),
}
# Every other contract column must be in the header (in any order); optional ones may be empty.
FEED_COLUMNS: dict[str, tuple[str, ...]] = {
    feed: tuple(c.name for c in specs) for feed, specs in FEED_SPECS.items()
}
#: the columns a header must have
HEADER_COLUMNS: dict[str, tuple[str, ...]] = {
    feed: tuple(c for c in columns if c not in OPTIONAL_COLUMNS.get(feed, ()))
    for feed, columns in FEED_COLUMNS.items()
}
_SPEC_BY_NAME = {feed: {c.name: c for c in specs} for feed, specs in FEED_SPECS.items()}


def spec_of(feed: str, column: str | None) -> ColumnSpec | None:
    """The column ``column`` of ``feed``'s contract, None for an unknown one."""
    return _SPEC_BY_NAME.get(feed, {}).get(column or "")
