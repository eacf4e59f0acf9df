"""The value parsers of the contracts, and the clock and tolerances a batch is checked against.

Each parser takes a received value (text from CSV, or a JSON scalar) and returns the parsed
value or raises a ``PydanticCustomError`` whose type is a reason code of
:mod:`ingest.reasons`. The annotated types at the end wrap a parser as the model field's
``BeforeValidator`` and name the kind of value for the docs (``json_schema_extra``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, ValidationInfo
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError

from app.core.config import Settings, get_settings
from app.domain import nhs_number
from app.domain.reason_catalogue import reason_catalogue
from app.domain.vocabularies import PATHWAYS

_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f"})
_SITE_CODE = re.compile(r"[A-Z0-9]{3,12}")
_CQC_ID = re.compile(r"1-\d{1,17}")
_COUNCIL_CODE = re.compile(r"[ENWS]\d{8}")
MAX_AGE = 130


# --- the validation context: what a row is checked against --------------------------------


@dataclass(frozen=True)
class ValidationContext:
    """The clock, time zone and tolerances a batch is checked against."""

    now: datetime
    tz: ZoneInfo
    future_tolerance: timedelta
    # column → strptime format, for layouts whose dates are not ISO 8601 (column mappings)
    formats: Mapping[str, str] = field(default_factory=dict)
    # per model, each column's text → parsed value, for the values a batch repeats (see
    # ingest.contracts.fast_path): a parse depends only on the text and this context, so it
    # is done once
    memo: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        now: datetime | None = None,
        formats: Mapping[str, str] | None = None,
    ) -> ValidationContext:
        s = settings or get_settings()
        return cls(
            now=(now or datetime.now(UTC)).astimezone(UTC),
            tz=s.tz,
            future_tolerance=timedelta(minutes=s.future_tolerance_minutes),
            formats=dict(formats or {}),
        )


def context_of(info: ValidationInfo) -> ValidationContext:
    """The batch's context passed to ``model_validate`` (or one from the settings)."""
    ctx = info.context
    if isinstance(ctx, ValidationContext):
        return ctx
    return ValidationContext.from_settings()


def fail(code: str, **context: Any) -> PydanticCustomError:
    """The error of reason ``code``; ``context`` fills the message's placeholders."""
    return PydanticCustomError(code, code, context)


# --- value parsers ------------------------------------------------------------------------

Parser = Callable[[Any, ValidationInfo], Any]


def _scalar_text(value: Any) -> str:
    if value.__class__ is str:
        return str(value)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict | list):
        raise fail("not_scalar", found="object" if isinstance(value, dict) else "list")
    return str(value)


# The wrappers hand the parsers text already stripped (or a JSON scalar): CSV fields are
# nearly always plain ``str``, so that case is the fast path.
def _required(parse: Parser) -> Parser:
    def check(value: Any, info: ValidationInfo) -> Any:
        if value.__class__ is str:
            value = value.strip()
            if not value:
                raise fail("required")
        elif value is None:
            raise fail("required")
        return parse(value, info)

    return check


def _optional(parse: Parser) -> Parser:
    def check(value: Any, info: ValidationInfo) -> Any:
        if value.__class__ is str:
            value = value.strip()
            if not value:
                return None
        elif value is None:
            return None
        return parse(value, info)

    return check


def _parse_timestamp(value: Any, info: ValidationInfo) -> datetime:
    ctx = context_of(info)
    text = _scalar_text(value)
    fmt = ctx.formats.get(info.field_name or "")
    try:
        parsed = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        raise fail("not_timestamp")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ctx.tz)
    parsed = parsed.astimezone(UTC)
    ahead = parsed - ctx.now
    if ahead > ctx.future_tolerance:
        raise fail(
            "future_timestamp",
            minutes=int(ahead.total_seconds() // 60),
            tolerance=int(ctx.future_tolerance.total_seconds() // 60),
        )
    return parsed


def _parse_date(value: Any, info: ValidationInfo) -> date:
    text = _scalar_text(value)
    fmt = context_of(info).formats.get(info.field_name or "")
    try:
        return datetime.strptime(text, fmt).date() if fmt else date.fromisoformat(text)
    except ValueError:
        raise fail("not_date")


def _parse_count(value: Any, info: ValidationInfo) -> int:
    if isinstance(value, bool):
        raise fail("not_integer")
    if isinstance(value, int):
        number = value
    else:
        text = _scalar_text(value)
        try:
            number = int(text)
        except ValueError:
            try:
                as_float = float(text)
            except ValueError:
                raise fail("not_integer")
            if not as_float.is_integer():
                raise fail("not_integer")
            number = int(as_float)
    if number < 0:
        raise fail("negative")
    return number


def _parse_age(value: Any, info: ValidationInfo) -> int:
    age = _parse_count(value, info)
    if age > MAX_AGE:
        raise fail("not_allowed", allowed=f"0 to {MAX_AGE}")
    return age


def _parse_number(value: Any, info: ValidationInfo) -> float:
    if isinstance(value, bool):
        raise fail("not_number")
    try:
        number = float(value) if isinstance(value, int | float) else float(_scalar_text(value))
    except ValueError:
        raise fail("not_number")
    if number != number or number in (float("inf"), float("-inf")):
        raise fail("not_number")
    if number < 0:
        raise fail("negative")
    return number


def _parse_boolean(value: Any, info: ValidationInfo) -> bool:
    if isinstance(value, bool):
        return value
    text = _scalar_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise fail("not_boolean")


def _text(max_length: int) -> Parser:
    def parse(value: Any, info: ValidationInfo) -> str:
        text = _scalar_text(value)
        if len(text) > max_length:
            raise fail("too_long", length=len(text), max_length=max_length)
        return text

    return parse


def choice(options: tuple[str, ...]) -> Parser:
    """The parser of a column holding one of ``options`` (case and separators relaxed)."""
    listed = ", ".join(options)

    def parse(value: Any, info: ValidationInfo) -> str:
        text = _scalar_text(value).lower().replace(" ", "_").replace("-", "_")
        if text not in options:
            raise fail("not_allowed", allowed=listed)
        return text

    return parse


def _parse_pathway(value: Any, info: ValidationInfo) -> int:
    text = _scalar_text(value).upper().removeprefix("P")
    if text not in PATHWAYS:
        raise fail("not_allowed", allowed=", ".join(PATHWAYS) + " or empty")
    return int(text)


def _pattern(regex: re.Pattern[str], code: str, upper: bool) -> Parser:
    def parse(value: Any, info: ValidationInfo) -> str:
        text = _scalar_text(value)
        if upper:
            text = text.upper()
        if not regex.fullmatch(text):
            raise fail(code)
        return text

    return parse


def _parse_nhs_number(value: Any, info: ValidationInfo) -> str:
    digits = nhs_number.normalise(_scalar_text(value))
    if not nhs_number.is_valid(digits):
        raise fail("bad_nhs_number")
    return digits


@lru_cache
def catalogue_codes() -> dict[str, str]:
    """Upper-cased code → the catalogue's own spelling of it."""
    return {code.upper(): code for code in reason_catalogue()}


def _parse_reason_code(value: Any, info: ValidationInfo) -> str:
    code = catalogue_codes().get(_scalar_text(value).upper())
    if code is None:
        raise fail("unknown_reason_code")
    return code


# --- the annotated types the row models' fields are made of --------------------------------


def required(parse: Parser) -> BeforeValidator:
    """The field's check: ``parse`` a value that may not be empty."""
    return BeforeValidator(_required(parse))


def optional(parse: Parser) -> BeforeValidator:
    """The field's check: an empty value is None, any other is ``parse``-d."""
    return BeforeValidator(_optional(parse))


def kind(name: str) -> FieldInfo:
    """The kind of value a column holds, in the words of docs/feeds.md ("timestamp")."""
    return Field(json_schema_extra={"kind": name})


def allowed(options: tuple[str, ...]) -> FieldInfo:
    """The values a column allows, listed in docs/feeds.md."""
    return Field(json_schema_extra={"allowed": list(options)})


Timestamp = Annotated[datetime, required(_parse_timestamp), kind("timestamp")]
OptionalTimestamp = Annotated[datetime | None, optional(_parse_timestamp), kind("timestamp")]
OptionalDate = Annotated[date | None, optional(_parse_date), kind("date")]
Count = Annotated[int, required(_parse_count), kind("whole number ≥ 0")]
Age = Annotated[int, required(_parse_age), kind(f"whole number 0–{MAX_AGE}")]
Number = Annotated[float, required(_parse_number), kind("number ≥ 0")]
Boolean = Annotated[bool, required(_parse_boolean), kind("true / false")]
SiteCode = Annotated[
    str, required(_pattern(_SITE_CODE, "bad_site_code", upper=True)), kind("ODS site code")
]
CqcLocationId = Annotated[
    str, required(_pattern(_CQC_ID, "bad_cqc_id", upper=False)), kind("CQC location id")
]
CouncilCode = Annotated[
    str,
    required(_pattern(_COUNCIL_CODE, "bad_council_code", upper=True)),
    kind("ONS council code"),
]
OptionalCouncilCode = Annotated[
    str | None,
    optional(_pattern(_COUNCIL_CODE, "bad_council_code", upper=True)),
    kind("ONS council code"),
]
OptionalNhsNumber = Annotated[str | None, optional(_parse_nhs_number), kind("NHS number")]
OptionalPathway = Annotated[int | None, optional(_parse_pathway), allowed(PATHWAYS)]
OptionalReasonCode = Annotated[str | None, optional(_parse_reason_code), kind("catalogue code")]
Text32 = Annotated[str, required(_text(32)), kind("text (≤32)")]
Text40 = Annotated[str, required(_text(40)), kind("text (≤40)")]
Text64 = Annotated[str, required(_text(64)), kind("text (≤64)")]
Text80 = Annotated[str, required(_text(80)), kind("text (≤80)")]
Text200 = Annotated[str, required(_text(200)), kind("text (≤200)")]
