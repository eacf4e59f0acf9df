"""The four feed contracts (DESIGN.md §3): one Pydantic row model per feed, and the checks.

A row arrives as a dict of contract column → value (text from CSV, or JSON scalars). The
models parse and check each value; :func:`validate_row` turns what fails into problems a
person can act on (messages from :mod:`ingest.reasons`) and adds the data-quality warnings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from operator import attrgetter
from typing import Annotated, Any, Literal, NamedTuple
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, ValidationInfo
from pydantic import model_validator as _model_validator
from pydantic_core import PydanticCustomError

from app.core.config import Settings, get_settings
from app.domain import nhs_number
from app.domain.reason_catalogue import reason_catalogue
from app.domain.vocabularies import (
    ADMISSION_METHODS,
    AGENCIES,
    BED_BASES,
    CARE_TYPES,
    DAY_STATUSES,
    DISCHARGE_DESTINATIONS,
    PATHWAYS,
)
from ingest.reasons import REASONS, reason_message

_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f"})
_SITE_CODE = re.compile(r"[A-Z0-9]{3,12}")
_CQC_ID = re.compile(r"1-\d{1,17}")
_COUNCIL_CODE = re.compile(r"[ENWS]\d{8}")
_MAX_AGE = 130


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
    # _FastPath): a parse depends only on the text and this context, so it is done once
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


def _context(info: ValidationInfo) -> ValidationContext:
    ctx = info.context
    if isinstance(ctx, ValidationContext):
        return ctx
    return ValidationContext.from_settings()


def _fail(code: str, **context: Any) -> PydanticCustomError:
    return PydanticCustomError(code, code, context)


# --- value parsers ------------------------------------------------------------------------

Parser = Callable[[Any, ValidationInfo], Any]


def _scalar_text(value: Any) -> str:
    if value.__class__ is str:
        return str(value)
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict | list):
        raise _fail("not_scalar", found="object" if isinstance(value, dict) else "list")
    return str(value)


# The wrappers hand the parsers text already stripped (or a JSON scalar): CSV fields are
# nearly always plain ``str``, so that case is the fast path.
def _required(parse: Parser) -> Parser:
    def check(value: Any, info: ValidationInfo) -> Any:
        if value.__class__ is str:
            value = value.strip()
            if not value:
                raise _fail("required")
        elif value is None:
            raise _fail("required")
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
    ctx = _context(info)
    text = _scalar_text(value)
    fmt = ctx.formats.get(info.field_name or "")
    try:
        parsed = datetime.strptime(text, fmt) if fmt else datetime.fromisoformat(text)
    except ValueError:
        raise _fail("not_timestamp")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ctx.tz)
    parsed = parsed.astimezone(UTC)
    ahead = parsed - ctx.now
    if ahead > ctx.future_tolerance:
        raise _fail(
            "future_timestamp",
            minutes=int(ahead.total_seconds() // 60),
            tolerance=int(ctx.future_tolerance.total_seconds() // 60),
        )
    return parsed


def _parse_date(value: Any, info: ValidationInfo) -> date:
    text = _scalar_text(value)
    fmt = _context(info).formats.get(info.field_name or "")
    try:
        return datetime.strptime(text, fmt).date() if fmt else date.fromisoformat(text)
    except ValueError:
        raise _fail("not_date")


def _parse_count(value: Any, info: ValidationInfo) -> int:
    if isinstance(value, bool):
        raise _fail("not_integer")
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
                raise _fail("not_integer")
            if not as_float.is_integer():
                raise _fail("not_integer")
            number = int(as_float)
    if number < 0:
        raise _fail("negative")
    return number


def _parse_age(value: Any, info: ValidationInfo) -> int:
    age = _parse_count(value, info)
    if age > _MAX_AGE:
        raise _fail("not_allowed", allowed=f"0 to {_MAX_AGE}")
    return age


def _parse_number(value: Any, info: ValidationInfo) -> float:
    if isinstance(value, bool):
        raise _fail("not_number")
    try:
        number = float(value) if isinstance(value, int | float) else float(_scalar_text(value))
    except ValueError:
        raise _fail("not_number")
    if number != number or number in (float("inf"), float("-inf")):
        raise _fail("not_number")
    if number < 0:
        raise _fail("negative")
    return number


def _parse_boolean(value: Any, info: ValidationInfo) -> bool:
    if isinstance(value, bool):
        return value
    text = _scalar_text(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _fail("not_boolean")


def _text(max_length: int) -> Parser:
    def parse(value: Any, info: ValidationInfo) -> str:
        text = _scalar_text(value)
        if len(text) > max_length:
            raise _fail("too_long", length=len(text), max_length=max_length)
        return text

    return parse


def _choice(options: tuple[str, ...]) -> Parser:
    allowed = ", ".join(options)

    def parse(value: Any, info: ValidationInfo) -> str:
        text = _scalar_text(value).lower().replace(" ", "_").replace("-", "_")
        if text not in options:
            raise _fail("not_allowed", allowed=allowed)
        return text

    return parse


def _parse_pathway(value: Any, info: ValidationInfo) -> int:
    text = _scalar_text(value).upper().removeprefix("P")
    if text not in PATHWAYS:
        raise _fail("not_allowed", allowed=", ".join(PATHWAYS) + " or empty")
    return int(text)


def _pattern(regex: re.Pattern[str], code: str, upper: bool) -> Parser:
    def parse(value: Any, info: ValidationInfo) -> str:
        text = _scalar_text(value)
        if upper:
            text = text.upper()
        if not regex.fullmatch(text):
            raise _fail(code)
        return text

    return parse


def _parse_nhs_number(value: Any, info: ValidationInfo) -> str:
    digits = nhs_number.normalise(_scalar_text(value))
    if not nhs_number.is_valid(digits):
        raise _fail("bad_nhs_number")
    return digits


@lru_cache
def catalogue_codes() -> dict[str, str]:
    """Upper-cased code → the catalogue's own spelling of it."""
    return {code.upper(): code for code in reason_catalogue()}


def _parse_reason_code(value: Any, info: ValidationInfo) -> str:
    code = catalogue_codes().get(_scalar_text(value).upper())
    if code is None:
        raise _fail("unknown_reason_code")
    return code


def _req(parse: Parser) -> BeforeValidator:
    return BeforeValidator(_required(parse))


def _opt(parse: Parser) -> BeforeValidator:
    return BeforeValidator(_optional(parse))


Timestamp = Annotated[datetime, _req(_parse_timestamp)]
OptionalTimestamp = Annotated[datetime | None, _opt(_parse_timestamp)]
OptionalDate = Annotated[date | None, _opt(_parse_date)]
Count = Annotated[int, _req(_parse_count)]
SiteCode = Annotated[str, _req(_pattern(_SITE_CODE, "bad_site_code", upper=True))]
CqcLocationId = Annotated[str, _req(_pattern(_CQC_ID, "bad_cqc_id", upper=False))]
CouncilCode = Annotated[str, _req(_pattern(_COUNCIL_CODE, "bad_council_code", upper=True))]
OptionalCouncilCode = Annotated[
    str | None, _opt(_pattern(_COUNCIL_CODE, "bad_council_code", upper=True))
]
OptionalReasonCode = Annotated[str | None, _opt(_parse_reason_code)]


# --- the contracts ------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnSpec:
    """One contract column: what it holds, for the messages and for docs/feeds.md."""

    name: str
    type: str
    required: bool
    description: str
    example: str


class _Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    def data_quality_warnings(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        """(reason code, column, message context) of each warning about an accepted row."""
        return []


class BedRow(_Row):
    """beds — a ward's bed state."""

    snapshot_at: Timestamp
    site_code: SiteCode
    ward_code: Annotated[str, _req(_text(32))]
    ward_name: Annotated[str, _req(_text(200))]
    bed_base: Annotated[
        Literal["general_acute", "critical_care", "community"], _req(_choice(BED_BASES))
    ]
    core_beds_open: Count
    escalation_beds_open: Count
    beds_occupied: Count
    beds_closed: Count

    def data_quality_warnings(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        if self.beds_occupied > self.core_beds_open + self.escalation_beds_open:
            context = {
                "occupied": self.beds_occupied,
                "core": self.core_beds_open,
                "escalation": self.escalation_beds_open,
            }
            return [("occupied_over_open", "beds_occupied", context)]
        return []


class CareHomeRow(_Row):
    """care_homes — a care home's capacity for one care type."""

    snapshot_at: Timestamp
    cqc_location_id: CqcLocationId
    home_name: Annotated[str, _req(_text(200))]
    local_authority_code: CouncilCode
    care_type: Annotated[
        Literal["residential", "nursing", "residential_dementia", "nursing_dementia"],
        _req(_choice(CARE_TYPES)),
    ]
    max_capacity: Count
    occupied: Count
    vacant_reserved: Count
    vacant_accepting_admissions: Count
    accepting_admissions: Annotated[bool, _req(_parse_boolean)]

    def data_quality_warnings(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        if self.occupied > self.max_capacity:
            context = {"occupied": self.occupied, "max_capacity": self.max_capacity}
            return [("occupied_over_capacity", "occupied", context)]
        return []


class DomiciliaryRow(_Row):
    """domiciliary — a home-care provider's capacity in one zone."""

    snapshot_at: Timestamp
    provider_id: Annotated[str, _req(_text(40))]
    provider_name: Annotated[str, _req(_text(200))]
    local_authority_code: CouncilCode
    zone: Annotated[str, _req(_text(80))]
    hours_available_per_week: Annotated[float, _req(_parse_number)]
    packages_startable_next_7_days: Count


class PatientRow(_Row):
    """patients — one inpatient at the census, or one discharge since the previous census.

    ``nhs_number`` holds the normalised, valid number: pseudonymise it before storing
    (``app.domain.nhs_number.pseudonymise``); it is never written anywhere as it is.
    """

    snapshot_at: Timestamp
    site_code: SiteCode
    ward_code: Annotated[str, _req(_text(32))]
    spell_id: Annotated[str, _req(_text(64))]
    local_patient_id: Annotated[str, _req(_text(64))]
    nhs_number: Annotated[str | None, _opt(_parse_nhs_number)] = None
    age: Annotated[int, _req(_parse_age)]
    admitted_at: Timestamp
    admission_method: Annotated[Literal["emergency", "elective"], _req(_choice(ADMISSION_METHODS))]
    expected_discharge_date: OptionalDate = None
    discharge_ready_date: OptionalDate = None
    pathway: Annotated[int | None, _opt(_parse_pathway)] = None
    delay_reason_code: OptionalReasonCode = None
    delay_attributable_to: Annotated[
        Literal["nhs", "social_care", "both"] | None, _opt(_choice(AGENCIES))
    ] = None
    local_authority_code: OptionalCouncilCode = None
    day_status: Annotated[Literal["red", "green"] | None, _opt(_choice(DAY_STATUSES))] = None
    red_reason_code: OptionalReasonCode = None
    discharged_at: OptionalTimestamp = None
    discharge_destination: Annotated[
        Literal[
            "usual_residence",
            "care_home",
            "community_bed",
            "hospice",
            "other_hospital",
            "died",
            "other",
        ]
        | None,
        _opt(_choice(DISCHARGE_DESTINATIONS)),
    ] = None

    @_model_validator(mode="after")
    def _cross_field_rules(self, info: ValidationInfo) -> PatientRow:
        return _patient_rules(self, _context(info).tz)


def _patient_rules(row: PatientRow, tz: ZoneInfo) -> PatientRow:
    """The rules across a patients row's columns (also run by the fast path)."""
    admission_date = row.admitted_at.astimezone(tz).date()
    drd = row.discharge_ready_date
    if drd is not None and drd < admission_date:
        raise _fail(
            "drd_before_admission",
            column="discharge_ready_date",
            value=drd.isoformat(),
            admission_date=admission_date.isoformat(),
        )
    if row.discharged_at is not None and row.discharged_at < row.admitted_at:
        raise _fail(
            "discharged_before_admitted",
            column="discharged_at",
            value=row.discharged_at.astimezone(tz).isoformat(timespec="minutes"),
            admitted_at=row.admitted_at.astimezone(tz).isoformat(timespec="minutes"),
        )
    census_date = row.snapshot_at.astimezone(tz).date()
    if (
        drd is not None
        and drd <= census_date
        and row.discharged_at is None
        and row.delay_reason_code is None
    ):
        raise _fail(
            "reason_required",
            column="delay_reason_code",
            value="",
            drd=drd.isoformat(),
            census_date=census_date.isoformat(),
        )
    if row.delay_reason_code is not None and row.delay_attributable_to is None:
        agency = reason_catalogue()[row.delay_reason_code].default_agency
        object.__setattr__(row, "delay_attributable_to", agency)
    return row


class PatientValues(NamedTuple):
    """A valid patients row as a plain tuple: the same attributes as :class:`PatientRow` at a
    sixth of its memory, for holding a national census (~90,000 rows) until it is applied."""

    snapshot_at: datetime
    site_code: str
    ward_code: str
    spell_id: str
    local_patient_id: str
    nhs_number: str | None
    age: int
    admitted_at: datetime
    admission_method: str
    expected_discharge_date: date | None
    discharge_ready_date: date | None
    pathway: int | None
    delay_reason_code: str | None
    delay_attributable_to: str | None
    local_authority_code: str | None
    day_status: str | None
    red_reason_code: str | None
    discharged_at: datetime | None
    discharge_destination: str | None

    @classmethod
    def of(cls, row: PatientRow) -> PatientValues:
        return cls._make(_PATIENT_VALUES(row))


#: a patients row as the census applies it: the model, or its values
PatientRecord = PatientRow | PatientValues


FEED_MODELS: dict[str, type[_Row]] = {
    "beds": BedRow,
    "care_homes": CareHomeRow,
    "domiciliary": DomiciliaryRow,
    "patients": PatientRow,
}

_WHEN = ("timestamp", True, "the time of the snapshot", "2025-01-15T08:00")
_SITE = ("ODS site code", True, "the site's ODS code", "RXA01")
_COUNCIL = ("ONS council code", True, "the council's ONS code", "E06000015")
_FEED_SPECS: dict[str, list[tuple[str, str, bool, str, str]]] = {
    "beds": [
        ("snapshot_at", *_WHEN),
        ("site_code", *_SITE),
        ("ward_code", "text (≤32)", True, "the ward's code", "W12"),
        ("ward_name", "text (≤200)", True, "the ward's name", "Ward 12"),
        ("bed_base", " / ".join(BED_BASES), True, "the ward's bed base", "general_acute"),
        ("core_beds_open", "whole number ≥ 0", True, "the core beds open", "28"),
        ("escalation_beds_open", "whole number ≥ 0", True, "the escalation beds open", "2"),
        ("beds_occupied", "whole number ≥ 0", True, "the beds occupied", "27"),
        ("beds_closed", "whole number ≥ 0", True, "the beds closed", "0"),
    ],
    "care_homes": [
        ("snapshot_at", *_WHEN),
        ("cqc_location_id", "CQC location id", True, "the home's CQC location id", "1-123456789"),
        ("home_name", "text (≤200)", True, "the home's name", "Oak Lodge"),
        ("local_authority_code", *_COUNCIL),
        ("care_type", " / ".join(CARE_TYPES), True, "the type of care", "residential"),
        ("max_capacity", "whole number ≥ 0", True, "the beds the home has", "40"),
        ("occupied", "whole number ≥ 0", True, "the beds occupied", "36"),
        ("vacant_reserved", "whole number ≥ 0", True, "the vacant beds reserved", "1"),
        (
            "vacant_accepting_admissions",
            "whole number ≥ 0",
            True,
            "the vacant beds open to admissions",
            "3",
        ),
        (
            "accepting_admissions",
            "true / false",
            True,
            "whether the home accepts admissions",
            "true",
        ),
    ],
    "domiciliary": [
        ("snapshot_at", *_WHEN),
        ("provider_id", "text (≤40)", True, "the provider's id", "HC0042"),
        ("provider_name", "text (≤200)", True, "the provider's name", "Caring Hands"),
        ("local_authority_code", *_COUNCIL),
        ("zone", "text (≤80)", True, "the zone the capacity is in", "North"),
        (
            "hours_available_per_week",
            "number ≥ 0",
            True,
            "the hours of care a week the provider can take on",
            "37.5",
        ),
        (
            "packages_startable_next_7_days",
            "whole number ≥ 0",
            True,
            "the new packages the provider can start in the next 7 days",
            "3",
        ),
    ],
    "patients": [
        ("snapshot_at", "timestamp", True, "the time of the census", "2025-01-15T08:00"),
        ("site_code", *_SITE),
        ("ward_code", "text (≤32)", True, "the patient's ward code", "W12"),
        ("spell_id", "text (≤64)", True, "the hospital spell's id", "SP000123"),
        ("local_patient_id", "text (≤64)", True, "the local patient id", "MRN0042"),
        ("nhs_number", "NHS number or empty", False, "the NHS number", "999 000 0018"),
        ("age", "whole number 0–130", True, "the patient's age in years", "84"),
        ("admitted_at", "timestamp", True, "the admission time", "2025-01-10T14:30"),
        (
            "admission_method",
            " / ".join(ADMISSION_METHODS),
            True,
            "how the patient was admitted",
            "emergency",
        ),
        ("expected_discharge_date", "date or empty", False, "the EDD", "2025-01-17"),
        ("discharge_ready_date", "date or empty", False, "the DRD", "2025-01-14"),
        ("pathway", "0 / 1 / 2 / 3 / empty", False, "the discharge pathway", "1"),
        (
            "delay_reason_code",
            "catalogue code or empty",
            False,
            "the delay reason code",
            "P1_HOMECARE",
        ),
        (
            "delay_attributable_to",
            " / ".join(AGENCIES) + " / empty",
            False,
            "the agency responsible for the delay",
            "social_care",
        ),
        ("local_authority_code", "ONS council code or empty", False, *_COUNCIL[2:]),
        ("day_status", "red / green / empty", False, "the Red2Green status", "red"),
        (
            "red_reason_code",
            "catalogue code or empty",
            False,
            "the red day reason code",
            "DIAGNOSTICS",
        ),
        ("discharged_at", "timestamp or empty", False, "the discharge time", "2025-01-15T11:20"),
        (
            "discharge_destination",
            " / ".join(DISCHARGE_DESTINATIONS) + " / empty",
            False,
            "where the patient went",
            "usual_residence",
        ),
    ],
}

FEED_SPECS: dict[str, tuple[ColumnSpec, ...]] = {
    feed: tuple(ColumnSpec(*spec) for spec in specs) for feed, specs in _FEED_SPECS.items()
}
# Every contract column must be in the header (in any order); optional ones may be empty.
FEED_COLUMNS: dict[str, tuple[str, ...]] = {
    feed: tuple(c.name for c in specs) for feed, specs in FEED_SPECS.items()
}
_SPEC_BY_NAME = {feed: {c.name: c for c in specs} for feed, specs in FEED_SPECS.items()}
assert all(tuple(FEED_MODELS[f].model_fields) == cols for f, cols in FEED_COLUMNS.items())
assert PatientValues._fields == tuple(PatientRow.model_fields)
_PATIENT_VALUES = attrgetter(*PatientValues._fields)


# --- row validation -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth a warning) with a row, in words a person can act on."""

    code: str
    column: str | None
    value: str | None
    message: str


@dataclass(slots=True)
class RowOutcome:
    row: _Row | None
    rejections: list[Problem]
    warnings: list[Problem]


def mask_nhs_number(value: Any) -> str:
    """An NHS number shown without the digits that identify: ``999 *** ****``."""
    text = nhs_number.normalise(str(value or "")).strip()
    return f"{text[:3]} *** ****" if len(text) >= 4 else "***"


def display_value(feed: str, column: str | None, value: Any) -> str | None:
    """A received value as shown in a message or the quarantine list (masked, shortened)."""
    if value is None:
        return None
    if column == "nhs_number":
        return mask_nhs_number(value)
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def problem(feed: str, code: str, column: str | None, value: Any, **context: Any) -> Problem:
    """A :class:`Problem` with its message rendered from the reasons list."""
    spec = _SPEC_BY_NAME.get(feed, {}).get(column or "")
    shown = display_value(feed, column, value)
    message = reason_message(
        code,
        column=column,
        value=shown if shown is not None else "",
        description=spec.description if spec else "a value",
        example=spec.example if spec else "",
        feed=feed,
        **context,
    )
    return Problem(code, column, shown, message)


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


class _FastPath:
    """The contract's own parsers called directly, for a row of text values that passes.

    Each column's parser is the one the model runs (its ``BeforeValidator``), called without
    pydantic's machinery; the row is then built with the parsed values and checked by the
    model's cross-column rules. Any problem (a value that fails, a value that is not text, a
    column missing, a rule broken) returns None and the caller validates the row through the
    model, so a rejected row gets exactly the model's problems. Values of the columns that
    repeat (the snapshot time, codes, dates) are parsed once per batch (``context.memo``).
    """

    def __init__(self, model: type[_Row]) -> None:
        self.model = model
        self.fields: list[tuple[str, Callable[..., Any], bool]] = []
        for name, info in model.model_fields.items():
            checks = [m.func for m in info.metadata if isinstance(m, BeforeValidator)]
            assert len(checks) == 1, f"{model.__name__}.{name}: one BeforeValidator expected"
            self.fields.append((name, checks[0], name not in _UNIQUE_COLUMNS))
        self.names = frozenset(model.model_fields)
        decorators = model.__pydantic_decorators__
        rules = [*decorators.model_validators, *decorators.field_validators]
        # the fast path knows the patients row's rules only: any other model is validated whole
        self.usable = (model is PatientRow or not rules) and not model.__private_attributes__

    def __call__(self, record: Mapping[str, Any], context: ValidationContext) -> _Row | None:
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
            for name, check, info, seen in plan:
                text = record[name]
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
                _patient_rules(row, context.tz)  # type: ignore[arg-type]
            except PydanticCustomError:
                return None
        return row


_set_attribute = object.__setattr__
_FAST_PATHS = {feed: _FastPath(model) for feed, model in FEED_MODELS.items()}


def validate_row(feed: str, record: Mapping[str, Any], context: ValidationContext) -> RowOutcome:
    """Check one row of ``feed`` (contract column → value) against its contract."""
    model = FEED_MODELS[feed]
    row = _FAST_PATHS[feed](record, context)
    if row is None:
        try:
            row = model.model_validate(record, context=context)
        except ValidationError as exc:
            return RowOutcome(None, _problems(feed, record, exc), [])
    warnings = [
        problem(feed, code, column, getattr(row, column) if column else None, **ctx)
        for code, column, ctx in row.data_quality_warnings()
    ]
    return RowOutcome(row, [], warnings)


def _problems(feed: str, record: Mapping[str, Any], exc: ValidationError) -> list[Problem]:
    found: list[Problem] = []
    for error in exc.errors(include_url=False):
        ctx = dict(error.get("ctx") or {})
        code = error["type"]
        column = ctx.pop("column", None) or (str(error["loc"][0]) if error["loc"] else None)
        value = ctx.pop("value", None)
        if value is None and column is not None:
            value = record.get(column)
        if code == "missing":
            code = "required"
        if code not in REASONS:  # a pydantic check of our own types: should not happen
            found.append(Problem(code, column, display_value(feed, column, value), error["msg"]))
            continue
        found.append(problem(feed, code, column, value, **ctx))
    return found
