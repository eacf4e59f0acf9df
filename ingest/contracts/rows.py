"""The four feed contracts (DESIGN.md §3): one Pydantic row model per feed, and its rules.

A row arrives as a dict of contract column → value (text from CSV, or JSON scalars). Each
field parses and checks its value (:mod:`ingest.contracts.parsers`) and says, for the docs
and the messages, what it holds and an example (``about``); the models' cross-column rules
and data-quality warnings are here too.
"""

from __future__ import annotations

from datetime import date, datetime
from operator import attrgetter
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo
from pydantic import model_validator as _model_validator
from pydantic.fields import FieldInfo

from app.domain.reason_catalogue import reason_catalogue
from app.domain.vocabularies import (
    ADMISSION_METHODS,
    AGENCIES,
    BED_BASES,
    CARE_TYPES,
    DAY_STATUSES,
    DISCHARGE_DESTINATIONS,
)
from ingest.contracts.parsers import (
    Age,
    Boolean,
    CouncilCode,
    Count,
    CqcLocationId,
    Number,
    OptionalCouncilCode,
    OptionalDate,
    OptionalNhsNumber,
    OptionalPathway,
    OptionalReasonCode,
    OptionalReasonCodes,
    OptionalTimestamp,
    SiteCode,
    Text32,
    Text40,
    Text64,
    Text80,
    Text200,
    Timestamp,
    ValidationContext,
    allowed,
    choice,
    context_of,
    fail,
    optional,
    required,
)


def about(description: str, example: str) -> FieldInfo:
    """What a column holds and an example value: docs/feeds.md and the messages say them."""
    return Field(description=description, examples=[example])


SnapshotAt = Annotated[Timestamp, about("the time of the snapshot", "2025-01-15T08:00")]
Site = Annotated[SiteCode, about("the site's ODS code", "RXA01")]
_COUNCIL = about("the council's ONS code", "E06000015")
Council = Annotated[CouncilCode, _COUNCIL]


class FeedRow(BaseModel):
    """A valid row of a feed: the fields are the contract's columns, in order."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    def data_quality_warnings(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        """(reason code, column, message context) of each warning about an accepted row."""
        return []


class BedRow(FeedRow):
    """beds — a ward's bed state."""

    snapshot_at: SnapshotAt
    site_code: Site
    ward_code: Annotated[Text32, about("the ward's code", "W12")]
    ward_name: Annotated[Text200, about("the ward's name", "Ward 12")]
    bed_base: Annotated[
        Literal["general_acute", "critical_care", "community"],
        required(choice(BED_BASES)),
        allowed(BED_BASES),
        about("the ward's bed base", "general_acute"),
    ]
    core_beds_open: Annotated[Count, about("the core beds open", "28")]
    escalation_beds_open: Annotated[Count, about("the escalation beds open", "2")]
    beds_occupied: Annotated[Count, about("the beds occupied", "27")]
    beds_closed: Annotated[Count, about("the beds closed", "0")]

    def data_quality_warnings(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        if self.beds_occupied > self.core_beds_open + self.escalation_beds_open:
            context = {
                "occupied": self.beds_occupied,
                "core": self.core_beds_open,
                "escalation": self.escalation_beds_open,
            }
            return [("occupied_over_open", "beds_occupied", context)]
        return []


class CareHomeRow(FeedRow):
    """care_homes — a care home's capacity for one care type."""

    snapshot_at: SnapshotAt
    cqc_location_id: Annotated[CqcLocationId, about("the home's CQC location id", "1-123456789")]
    home_name: Annotated[Text200, about("the home's name", "Oak Lodge")]
    local_authority_code: Council
    care_type: Annotated[
        Literal["residential", "nursing", "residential_dementia", "nursing_dementia"],
        required(choice(CARE_TYPES)),
        allowed(CARE_TYPES),
        about("the type of care", "residential"),
    ]
    max_capacity: Annotated[Count, about("the beds the home has", "40")]
    occupied: Annotated[Count, about("the beds occupied", "36")]
    vacant_reserved: Annotated[Count, about("the vacant beds reserved", "1")]
    vacant_accepting_admissions: Annotated[Count, about("the vacant beds open to admissions", "3")]
    accepting_admissions: Annotated[Boolean, about("whether the home accepts admissions", "true")]

    def data_quality_warnings(self) -> list[tuple[str, str | None, dict[str, Any]]]:
        if self.occupied > self.max_capacity:
            context = {"occupied": self.occupied, "max_capacity": self.max_capacity}
            return [("occupied_over_capacity", "occupied", context)]
        return []


class DomiciliaryRow(FeedRow):
    """domiciliary — a home-care provider's capacity in one zone."""

    snapshot_at: SnapshotAt
    provider_id: Annotated[Text40, about("the provider's id", "HC0042")]
    provider_name: Annotated[Text200, about("the provider's name", "Caring Hands")]
    local_authority_code: Council
    zone: Annotated[Text80, about("the zone the capacity is in", "North")]
    hours_available_per_week: Annotated[
        Number, about("the hours of care a week the provider can take on", "37.5")
    ]
    packages_startable_next_7_days: Annotated[
        Count, about("the new packages the provider can start in the next 7 days", "3")
    ]


class PatientRow(FeedRow):
    """patients — one inpatient at the census, or one discharge since the previous census.

    ``nhs_number`` holds the normalised, valid number: pseudonymise it before storing
    (``app.domain.nhs_number.pseudonymise``); it is never written anywhere as it is.
    """

    snapshot_at: Annotated[Timestamp, about("the time of the census", "2025-01-15T08:00")]
    site_code: Site
    ward_code: Annotated[Text32, about("the patient's ward code", "W12")]
    spell_id: Annotated[Text64, about("the hospital spell's id", "SP000123")]
    local_patient_id: Annotated[Text64, about("the local patient id", "MRN0042")]
    nhs_number: Annotated[OptionalNhsNumber, about("the NHS number", "999 000 0018")] = None
    age: Annotated[Age, about("the patient's age in years", "84")]
    admitted_at: Annotated[Timestamp, about("the admission time", "2025-01-10T14:30")]
    admission_method: Annotated[
        Literal["emergency", "elective"],
        required(choice(ADMISSION_METHODS)),
        allowed(ADMISSION_METHODS),
        about("how the patient was admitted", "emergency"),
    ]
    expected_discharge_date: Annotated[OptionalDate, about("the EDD", "2025-01-17")] = None
    discharge_ready_date: Annotated[OptionalDate, about("the DRD", "2025-01-14")] = None
    pathway: Annotated[OptionalPathway, about("the discharge pathway", "1")] = None
    delay_reason_code: Annotated[
        OptionalReasonCode, about("the delay reason code", "P1_HOMECARE")
    ] = None
    delay_attributable_to: Annotated[
        Literal["nhs", "social_care", "both"] | None,
        optional(choice(AGENCIES)),
        allowed(AGENCIES),
        about("the agency responsible for the delay", "social_care"),
    ] = None
    local_authority_code: Annotated[OptionalCouncilCode, _COUNCIL] = None
    day_status: Annotated[
        Literal["red", "green"] | None,
        optional(choice(DAY_STATUSES)),
        allowed(DAY_STATUSES),
        about("the Red2Green status", "red"),
    ] = None
    red_reason_code: Annotated[
        OptionalReasonCode, about("the red day reason code", "DIAGNOSTICS")
    ] = None
    discharged_at: Annotated[OptionalTimestamp, about("the discharge time", "2025-01-15T11:20")] = (
        None
    )
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
        optional(choice(DISCHARGE_DESTINATIONS)),
        allowed(DISCHARGE_DESTINATIONS),
        about("where the patient went", "usual_residence"),
    ] = None
    # optional in the header too (OPTIONAL_COLUMNS): feeds written before it keep loading
    contributing_reason_codes: Annotated[
        OptionalReasonCodes,
        about(
            "further catalogue codes that also hold the patient up, separated by ';' (counted "
            "beside the delay reason, never instead of it; the delay reason itself is ignored "
            "here); the column may be left out",
            "ASSESS_SOCIAL;EQUIPMENT",
        ),
    ] = None

    @_model_validator(mode="after")
    def _cross_field_rules(self, info: ValidationInfo) -> PatientRow:
        return patient_rules(self, context_of(info))


def patient_rules(row: PatientRow, context: ValidationContext) -> PatientRow:
    """The rules across a patients row's columns (also run by the fast path)."""
    tz = context.tz
    # a spell of decades would ask for a spell-day row per day (an admission in year 1: 739,000)
    spell = (row.discharged_at or row.snapshot_at) - row.admitted_at
    if spell > context.bounds.max_spell:
        raise fail(
            "spell_too_long",
            column="admitted_at",
            value=row.admitted_at.astimezone(tz).isoformat(timespec="minutes"),
            days=spell.days,
            max_days=context.bounds.max_spell.days,
        )
    admission_date = row.admitted_at.astimezone(tz).date()
    drd = row.discharge_ready_date
    if drd is not None and drd < admission_date:
        raise fail(
            "drd_before_admission",
            column="discharge_ready_date",
            value=drd.isoformat(),
            admission_date=admission_date.isoformat(),
        )
    if row.discharged_at is not None and row.discharged_at < row.admitted_at:
        raise fail(
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
        raise fail(
            "reason_required",
            column="delay_reason_code",
            value="",
            drd=drd.isoformat(),
            census_date=census_date.isoformat(),
        )
    contributing = row.contributing_reason_codes
    if contributing is not None and row.delay_reason_code is not None:
        # the primary reason listed again adds nothing: its days are already its own (§4.3)
        kept = ";".join(c for c in contributing.split(";") if c != row.delay_reason_code)
        object.__setattr__(row, "contributing_reason_codes", kept or None)
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
    contributing_reason_codes: str | None

    @classmethod
    def of(cls, row: PatientRow) -> PatientValues:
        return cls._make(_PATIENT_VALUES(row))


#: a patients row as the census applies it: the model, or its values
PatientRecord = PatientRow | PatientValues

FEED_MODELS: dict[str, type[FeedRow]] = {
    "beds": BedRow,
    "care_homes": CareHomeRow,
    "domiciliary": DomiciliaryRow,
    "patients": PatientRow,
}

assert PatientValues._fields == tuple(PatientRow.model_fields)
_PATIENT_VALUES = attrgetter(*PatientValues._fields)
