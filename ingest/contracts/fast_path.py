"""Checking a row: the contract's parsers called directly for a row that passes, the model
(and its problems) for one that does not — the same outcome, at a fraction of the cost."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError

from ingest.contracts.columns import OPTIONAL_COLUMNS
from ingest.contracts.parsers import ValidationContext
from ingest.contracts.problems import RowOutcome, problem, problems_of
from ingest.contracts.rows import FEED_MODELS, FeedRow, PatientRow, patient_rules


class _FieldInfo:
    """What a parser reads of pydantic's ``ValidationInfo``: the context and the column."""

    __slots__ = ("context", "field_name")

    def __init__(self, context: ValidationContext, field_name: str) -> None:
        self.context = context
        self.field_name = field_name


# columns whose values rarely repeat within a batch: not worth remembering
_UNIQUE_COLUMNS = frozenset(
    {"spell_id", "local_patient_id", "nhs_number", "admitted_at", "discharged_at", "home_name"}
)
_MEMO_LIMIT = 20_000  # distinct values of a column remembered per batch, at most


class FastPath:
    """The contract's own parsers called directly, for a row of text values that passes.

    Each column's parser is the one the model runs (its ``BeforeValidator``), called without
    pydantic's machinery; the row is then built with the parsed values and checked by the
    model's cross-column rules. Any problem (a value that fails, a value that is not text, a
    column missing, a rule broken) returns None and the caller validates the row through the
    model, so a rejected row gets exactly the model's problems. Values of the columns that
    repeat (the snapshot time, codes, dates) are parsed once per batch (``context.memo``).
    """

    def __init__(self, model: type[FeedRow]) -> None:
        self.model = model
        self.fields: list[tuple[str, Callable[..., Any], bool]] = []
        feed = next((f for f, m in FEED_MODELS.items() if m is model), "")
        self.optional = OPTIONAL_COLUMNS.get(feed, frozenset())
        for name, info in model.model_fields.items():
            checks = [m.func for m in info.metadata if isinstance(m, BeforeValidator)]
            assert len(checks) == 1, f"{model.__name__}.{name}: one BeforeValidator expected"
            self.fields.append((name, checks[0], name not in _UNIQUE_COLUMNS))
        self.names = frozenset(model.model_fields)
        decorators = model.__pydantic_decorators__
        rules = [*decorators.model_validators, *decorators.field_validators]
        # the fast path knows the patients row's rules only: any other model is validated whole
        self.usable = (model is PatientRow or not rules) and not model.__private_attributes__

    def __call__(self, record: Mapping[str, Any], context: ValidationContext) -> FeedRow | None:
        if not self.usable:
            return None
        plan = context.memo.get(self.model.__name__)
        if plan is None:
            # per column: its parser, what it reads of the context, its remembered values
            plan = context.memo[self.model.__name__] = [
                (name, check, _FieldInfo(context, name), {} if remember else None)
                for name, check, remember in self.fields
            ]
        values: dict[str, Any] = {}
        try:
            optional = self.optional
            for name, check, info, seen in plan:
                # a column the header may leave out is empty when it does
                text = record.get(name, "") if name in optional else record[name]
                if text.__class__ is not str:
                    return None
                if seen is None:
                    values[name] = check(text, info)
                    continue
                value = seen.get(text, seen)
                if value is seen:
                    value = check(text, info)
                    if len(seen) < _MEMO_LIMIT:
                        seen[text] = value
                values[name] = value
        except (KeyError, PydanticCustomError):
            return None
        # what model_construct does for these models (no extras, no private attributes),
        # without its per-field bookkeeping
        row = self.model.__new__(self.model)
        _set_attribute(row, "__dict__", values)
        _set_attribute(row, "__pydantic_fields_set__", set(self.names))
        _set_attribute(row, "__pydantic_extra__", None)
        _set_attribute(row, "__pydantic_private__", None)
        if self.model is PatientRow:
            try:
                patient_rules(row, context)  # type: ignore[arg-type]
            except PydanticCustomError:
                return None
        return row


_set_attribute = object.__setattr__
FAST_PATHS = {feed: FastPath(model) for feed, model in FEED_MODELS.items()}


def validate_row(feed: str, record: Mapping[str, Any], context: ValidationContext) -> RowOutcome:
    """Check one row of ``feed`` (contract column → value) against its contract."""
    model = FEED_MODELS[feed]
    row = FAST_PATHS[feed](record, context)
    if row is None:
        try:
            row = model.model_validate(record, context=context)
        except ValidationError as exc:
            return RowOutcome(None, problems_of(feed, record, exc), [])
    warnings = [
        problem(feed, code, column, getattr(row, column) if column else None, **ctx)
        for code, column, ctx in row.data_quality_warnings()
    ]
    return RowOutcome(row, [], warnings)
