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
from ingest.contracts.text import UncleanText, first_unclean

_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f"})
_SITE_CODE = re.compile(r"[A-Z0-9]{3,12}")
_CQC_ID = re.compile(r"1-\d{1,17}", re.ASCII)
_COUNCIL_CODE = re.compile(r"[ENWS]\d{8}", re.ASCII)
_INTEGER = re.compile(r"[+-]?\d+", re.ASCII)
_MAX_DIGITS = 18  # a whole number of more digits is out of every bound (and of 64 bits)
# the documented defaults of the bounds (app.core.config), named in docs/feeds.md
MAX_AGE = 130
MAX_COUNT = 10_000
MAX_HOURS = 100_000
_LATEST_YEAR = 9998  # later years overflow when converted between time zones


# --- the validation context: what a row is checked against --------------------------------


@dataclass(frozen=True)
class Bounds:
    """The plausible values of DESIGN §3 (the settings ``HOMEWARD_EARLIEST_TIMESTAMP``, …)."""

    earliest: datetime = datetime(1990, 1, 1, tzinfo=UTC)
    max_spell: timedelta = timedelta(days=1826)  # 5 years of 365.25 days
    max_age: int = MAX_AGE
    max_count: int = MAX_COUNT
    max_hours: float = MAX_HOURS

    @classmethod
    def from_settings(cls, s: Settings) -> Bounds:
        return cls(
            earliest=datetime.combine(s.earliest_timestamp, datetime.min.time(), UTC),
            max_spell=timedelta(days=round(365.25 * s.max_spell_years)),
            max_age=s.max_age,
            max_count=s.max_count,
            max_hours=s.max_hours_per_week,
        )


@dataclass(frozen=True)
class ValidationContext:
    """The clock, time zone, tolerances and bounds a batch is checked against."""

    now: datetime
    tz: ZoneInfo
    future_tolerance: timedelta
    bounds: Bounds = field(default_factory=Bounds)
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
            bounds=Bounds.from_settings(s),
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
    if isinstance(value, UncleanText):
        raise fail("bad_characters", found=value.found)
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
        if not text.isascii():
            raise ValueError("digits other than 0-9")
        parsed = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        raise fail("not_timestamp")
    earliest = ctx.bounds.earliest
    if parsed.year < earliest.year - 1 or parsed.year > _LATEST_YEAR:
        raise _out_of_time(ctx, earliest)  # before converting: year 1 or 9999 would overflow
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ctx.tz)
    parsed = parsed.astimezone(UTC)
    if parsed < earliest:
        raise _out_of_time(ctx, earliest)
    ahead = parsed - ctx.now
    if ahead > ctx.future_tolerance:
        raise fail(
            "future_timestamp",
            minutes=int(ahead.total_seconds() // 60),
            tolerance=int(ctx.future_tolerance.total_seconds() // 60),
        )
    return parsed


def _out_of_time(ctx: ValidationContext, earliest: datetime) -> PydanticCustomError:
    latest = ctx.now + ctx.future_tolerance
    return fail(
        "implausible_time",
        earliest=earliest.date().isoformat(),
        latest=latest.astimezone(ctx.tz).isoformat(timespec="minutes"),
    )


def _parse_date(value: Any, info: ValidationInfo) -> date:
    ctx = context_of(info)
    text = _scalar_text(value)
    fmt = ctx.formats.get(info.field_name or "")
    try:
        if not text.isascii():
            raise ValueError("digits other than 0-9")
        parsed = datetime.strptime(text, fmt).date() if fmt else date.fromisoformat(text)
    except ValueError:
        raise fail("not_date")
    # a date is planned or past: no earlier than the earliest time, no later than a spell ahead
    earliest = ctx.bounds.earliest.date()
    latest = (ctx.now + ctx.bounds.max_spell).date()
    if not earliest <= parsed <= latest:
        raise fail("implausible_date", earliest=earliest.isoformat(), latest=latest.isoformat())
    return parsed


def _whole_number(value: Any) -> int:
    """A whole number from an int, a float or text of ASCII digits ("12", "12.0", "1e3")."""
    if isinstance(value, bool):
        raise fail("not_integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        as_float = value
    else:
        text = _scalar_text(value)
        if _INTEGER.fullmatch(text):
            if len(text.lstrip("+-").lstrip("0")) > _MAX_DIGITS:  # beyond any bound: don't
                return -1 if text.startswith("-") else 10**_MAX_DIGITS  # convert 4,000 digits
            return int(text)
        if not text.isascii() or "_" in text:  # int() and float() take ² and ٣ and 1_000
            raise fail("not_integer")
        try:
            as_float = float(text)
        except ValueError:
            raise fail("not_integer")
    if not as_float.is_integer():  # also nan and infinity
        raise fail("not_integer")
    return int(as_float)


def _bounded(number: int | float, maximum: int | float) -> None:
    if number < 0:
        raise fail("negative")
    if number > maximum:
        raise fail("implausible_number", maximum=f"{maximum:,}")


def _parse_count(value: Any, info: ValidationInfo) -> int:
    number = _whole_number(value)
    _bounded(number, context_of(info).bounds.max_count)
    return number


def _parse_age(value: Any, info: ValidationInfo) -> int:
    age = _whole_number(value)
    maximum = context_of(info).bounds.max_age
    if age < 0:
        raise fail("negative")
    if age > maximum:
        raise fail("not_allowed", allowed=f"0 to {maximum}")
    return age


def _parse_number(value: Any, info: ValidationInfo) -> float:
    if isinstance(value, bool):
        raise fail("not_number")
    try:
        if isinstance(value, int | float):
            number = float(value)
        else:
            text = _scalar_text(value)
            if not text.isascii() or "_" in text:
                raise ValueError("digits other than 0-9")
            number = float(text)
    except (ValueError, OverflowError):  # OverflowError: a JSON integer beyond any float
        raise fail("not_number")
    if number != number or number in (float("inf"), float("-inf")):
        raise fail("not_number")
    _bounded(number, context_of(info).bounds.max_hours)
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
        found = first_unclean(text)
        if found is not None:
            raise fail("bad_characters", found=found)
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
    if not digits.isascii() or not nhs_number.is_valid(digits):  # not ² or ٣: 0-9 only
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


#: contributing reasons kept per row, at most (DESIGN §3)
MAX_CONTRIBUTING_CODES = 8


def _parse_reason_codes(value: Any, info: ValidationInfo) -> str | None:
    """A ``;``-separated list of catalogue codes, in the catalogue's spelling, each once, in
    the order sent (None when it lists none)."""
    text = _scalar_text(value)
    codes: list[str] = []
    for item in text.split(";"):
        if not item.strip():
            continue
        code = catalogue_codes().get(item.strip().upper())
        if code is None:
            raise fail("unknown_contributing_code", listed=item.strip()[:40])
        if code not in codes:
            codes.append(code)
    if len(codes) > MAX_CONTRIBUTING_CODES:
        raise fail(
            "too_many_contributing_codes", count=len(codes), max_codes=MAX_CONTRIBUTING_CODES
        )
    return ";".join(codes) or None


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
Count = Annotated[int, required(_parse_count), kind(f"whole number 0–{MAX_COUNT:,}")]
Age = Annotated[int, required(_parse_age), kind(f"whole number 0–{MAX_AGE}")]
Number = Annotated[float, required(_parse_number), kind(f"number 0–{MAX_HOURS:,}")]
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
OptionalReasonCodes = Annotated[
    str | None, optional(_parse_reason_codes), kind("catalogue codes separated by ;")
]
Text32 = Annotated[str, required(_text(32)), kind("text (≤32)")]
Text40 = Annotated[str, required(_text(40)), kind("text (≤40)")]
Text64 = Annotated[str, required(_text(64)), kind("text (≤64)")]
Text80 = Annotated[str, required(_text(80)), kind("text (≤80)")]
Text200 = Annotated[str, required(_text(200)), kind("text (≤200)")]
