"""Patient spells, the history of every change, and one row per spell per day.

How the tables relate (``ingest/census/`` keeps them in step):

* ``spells`` — one row per hospital stay (natural key ``spell_id``), holding the state seen in
  the latest census and the discharge once known.
* ``spell_states`` — the state of a spell as each census saw it, one row whenever it differs
  from the previous census (ward, EDD, DRD, pathway, reason, agency, council). This is the
  "history of every change" from which NCtR periods (DESIGN.md §4.2) are derived.
* ``spell_events`` — the same history as readable events for the patient journey
  (admission, EDD set, DRD set/cleared, reason/pathway/ward change, discharge, inference).
* ``spell_days`` — one row per spell per Europe/London day whose end finds the patient in
  hospital (a bed day), with what was in force that day: ward, NCtR, DRD, reason, agency,
  pathway, council and the Red2Green status. Delayed days (§4.3) and Red2Green (§4.6) are
  counts over this table. The row for the day of the latest census is provisional until that
  day ends (it assumes the patient is still in at midnight).
* ``spell_day_counts`` — ``spell_days`` counted per day, site and every attribute the period
  metrics filter or group by, ``spell_day_ward_totals`` — the same summed per day and
  ward, and ``spell_day_delay_counts`` — delayed days per day split by one attribute at a
  time, and ``spell_discharge_counts`` — discharges per day by delay band; all kept in step
  by ingest in the census's transaction. What the period metrics read.
* ``spell_day_statuses`` — Red2Green statuses recorded for days that have no ``spell_days``
  row (the day was not, or is no longer, a bed day: e.g. the discharge day), kept so they
  come back if the day becomes a bed day again (a discharge withdrawn). The status of a bed
  day lives on its ``spell_days`` row. Not for reporting.
* ``patient_censuses`` — one row per census of a site (a ``snapshot_at`` with inpatient rows
  for that site): "the previous census of a site" of DESIGN.md §3, and when each site's
  patient data is as of.

The rules that fill these tables are written out in ``ingest/census/`` and
``app/domain/spell_day_rules.py``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

#: made by migration 0003 (so the script that regenerates 0001 leaves them out)
REVISION_0003 = {"revision": "0003"}
#: made by migration 0006 (contributing reasons)
REVISION_0006 = {"revision": "0006"}


class Spell(Base):
    """One hospital stay, admission to discharge."""

    __tablename__ = "spells"
    __table_args__ = (
        Index("ix_spells_site_in_hospital", "site_code", "discharged_at"),
        Index("ix_spells_discharge_date", "discharge_date"),
        # covering: the discharge counts of a period read only the index (no row look-ups)
        Index(
            "ix_spells_discharge_cover",
            "discharge_date",
            "site_code",
            "drd_at_discharge",
            "discharged_at",
            info=REVISION_0003,
        ),
        CheckConstraint("admission_method IN ('emergency','elective')", name="admission_method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    spell_id: Mapped[str] = mapped_column(String(64), unique=True)
    site_code: Mapped[str] = mapped_column(ForeignKey("sites.site_code"))
    local_patient_id: Mapped[str] = mapped_column(String(64))
    nhs_number_pseudonym: Mapped[str | None] = mapped_column(String(64), index=True)
    age: Mapped[int]
    admitted_at: Mapped[datetime]
    admission_method: Mapped[str] = mapped_column(String(12))
    # the state of the latest census
    ward_code: Mapped[str] = mapped_column(String(32))
    expected_discharge_date: Mapped[date | None]
    discharge_ready_date: Mapped[date | None]
    pathway: Mapped[int | None]
    delay_reason_code: Mapped[str | None] = mapped_column(String(32))
    delay_attributable_to: Mapped[str | None] = mapped_column(String(12))
    local_authority_code: Mapped[str | None] = mapped_column(String(9))
    # further catalogue codes that also hold the patient up, ";"-separated (DESIGN §3)
    contributing_reason_codes: Mapped[str | None] = mapped_column(String(400), info=REVISION_0006)
    last_census_at: Mapped[datetime]
    # the discharge, once known
    discharged_at: Mapped[datetime | None]
    discharge_date: Mapped[date | None]  # Europe/London date of discharged_at
    discharge_destination: Mapped[str | None] = mapped_column(String(24))
    discharge_inferred: Mapped[bool] = mapped_column(Boolean, default=False)
    # in force at the discharge: the DRD (start of the final NCtR period, §4.4) and reason are
    # NULL when the patient was not NCtR then; the pathway is kept either way
    drd_at_discharge: Mapped[date | None]
    pathway_at_discharge: Mapped[int | None]
    delay_reason_at_discharge: Mapped[str | None] = mapped_column(String(32))


class SpellState(Base):
    """The state of a spell as a census saw it, stored when it differs from the previous one."""

    __tablename__ = "spell_states"
    __table_args__ = (Index("ix_spell_states_spell_observed", "spell_pk", "observed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spell_pk: Mapped[int] = mapped_column(ForeignKey("spells.id", ondelete="CASCADE"))
    observed_at: Mapped[datetime]
    ward_code: Mapped[str] = mapped_column(String(32))
    expected_discharge_date: Mapped[date | None]
    discharge_ready_date: Mapped[date | None]
    pathway: Mapped[int | None]
    delay_reason_code: Mapped[str | None] = mapped_column(String(32))
    delay_attributable_to: Mapped[str | None] = mapped_column(String(12))
    local_authority_code: Mapped[str | None] = mapped_column(String(9))
    contributing_reason_codes: Mapped[str | None] = mapped_column(String(400), info=REVISION_0006)
    ingest_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id"), index=True)


class SpellEvent(Base):
    """A readable event in a spell's journey."""

    __tablename__ = "spell_events"
    __table_args__ = (Index("ix_spell_events_spell_at", "spell_pk", "event_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    spell_pk: Mapped[int] = mapped_column(ForeignKey("spells.id", ondelete="CASCADE"))
    event_at: Mapped[datetime]
    # admitted | edd_set | drd_set | drd_cleared | reason_changed | pathway_changed |
    # agency_changed | ward_changed | council_changed | discharged | discharge_inferred |
    # discharge_withdrawn (an inferred discharge undone: the spell was in a later census)
    event_type: Mapped[str] = mapped_column(String(24))
    old_value: Mapped[str | None] = mapped_column(String(64))
    new_value: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id"), index=True)


class SpellDay(Base):
    """One bed day of a spell (a day whose end finds the patient in hospital), as in force."""

    __tablename__ = "spell_days"
    __table_args__ = (
        # covering index: delayed days, daily NCtR and Red2Green counts read only the index
        Index("ix_spell_days_day_site", "day", "site_code", "nctr", "r2g_status"),
        Index("ix_spell_days_site_ward_day", "site_code", "ward_code", "day"),
        CheckConstraint("r2g_status IN ('red','green','not_recorded')", name="r2g_status"),
    )

    spell_pk: Mapped[int] = mapped_column(
        ForeignKey("spells.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    site_code: Mapped[str] = mapped_column(String(12))
    ward_code: Mapped[str] = mapped_column(String(32))
    local_authority_code: Mapped[str | None] = mapped_column(String(9))
    nctr: Mapped[bool] = mapped_column(Boolean)  # in an NCtR period at the end of the day
    # the DRD, reason and agency of the delay: NULL on days that are not NCtR
    discharge_ready_date: Mapped[date | None]  # start of the NCtR period in force
    pathway: Mapped[int | None]  # on days not NCtR: the planned pathway of the latest census
    delay_reason_code: Mapped[str | None] = mapped_column(String(32))
    delay_attributable_to: Mapped[str | None] = mapped_column(String(12))
    # Red2Green: what the board round recorded for the day, and the status counted (§4.6)
    day_status_recorded: Mapped[str | None] = mapped_column(String(8))
    red_reason_recorded: Mapped[str | None] = mapped_column(String(32))
    day_status_recorded_at: Mapped[datetime | None]  # the census that sent it (latest wins)
    r2g_status: Mapped[str] = mapped_column(String(12))
    r2g_reason_code: Mapped[str | None] = mapped_column(String(32))
    # on a delayed day: the contributing reasons of the census row in force (§4.3)
    contributing_reason_codes: Mapped[str | None] = mapped_column(String(400), info=REVISION_0006)


class SpellDayCount(Base):
    """``spell_days`` rolled up: how many bed days share one combination of what the period
    metrics filter and group by, per day and site (ingest keeps it in step, see
    ``ingest/day_counts.py``). Delayed days, the daily sitrep and Red2Green read this table, so
    a year's period figures read O(days x groups) rows instead of one row per patient-day."""

    __tablename__ = "spell_day_counts"
    __table_args__ = (
        Index("ix_spell_day_counts_day_site", "day", "site_code"),
        {"info": REVISION_0003},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    site_code: Mapped[str] = mapped_column(String(12))
    ward_code: Mapped[str] = mapped_column(String(32))
    local_authority_code: Mapped[str | None] = mapped_column(String(9))
    nctr: Mapped[bool] = mapped_column(Boolean)
    pathway: Mapped[int | None]
    delay_reason_code: Mapped[str | None] = mapped_column(String(32))
    delay_attributable_to: Mapped[str | None] = mapped_column(String(12))
    r2g_status: Mapped[str] = mapped_column(String(12))
    r2g_reason_code: Mapped[str | None] = mapped_column(String(32))
    n: Mapped[int]  # bed days with exactly these values


class SpellDayWardTotal(Base):
    """Bed days per day, site and ward, with how many were NCtR, red, green and not recorded:
    ``spell_day_counts`` summed to the ward (kept in step with it by ingest). The daily sitrep,
    the weekly series and the by-site and by-ward tables read this: a year of an ICS is one
    row per ward per day."""

    __tablename__ = "spell_day_ward_totals"
    __table_args__ = ({"info": REVISION_0003},)

    day: Mapped[date] = mapped_column(primary_key=True)
    site_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    ward_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    bed_days: Mapped[int]
    nctr_days: Mapped[int]
    red_days: Mapped[int]
    green_days: Mapped[int]
    not_recorded_days: Mapped[int]


class SpellDayDelayCount(Base):
    """Delayed days (NCtR bed days) per day and site split by one attribute at a time
    (``dimension``: reason, agency, local_authority, pathway or ward; ``value`` the code, NULL
    when not recorded): ``spell_day_counts`` summed per attribute, kept in step with it by
    ingest. Delayed days by reason, agency, council, pathway or ward read this — a year of an
    ICS is a few rows per day per attribute instead of one per delayed day."""

    __tablename__ = "spell_day_delay_counts"
    __table_args__ = (
        Index("ix_spell_day_delay_counts_dimension_day", "dimension", "day", "site_code"),
        {"info": REVISION_0003},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16))
    day: Mapped[date]
    site_code: Mapped[str] = mapped_column(String(12))
    value: Mapped[str | None] = mapped_column(String(32))
    n: Mapped[int]


class SpellDischargeCount(Base):
    """Discharges per discharge day and site, by delay band (days from the DRD in force at
    discharge), whether the patient was NCtR and whether they left by the sitrep's 17:00
    cut-off, with the delay days summed: the discharges of ``spells`` rolled up, kept in step
    by ingest (``ingest/day_counts.py``). The daily sitrep's discharges, the discharge delay
    bands and their weekly series read this."""

    __tablename__ = "spell_discharge_counts"
    __table_args__ = (
        Index("ix_spell_discharge_counts_day_site", "discharge_date", "site_code"),
        {"info": REVISION_0003},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    discharge_date: Mapped[date]
    site_code: Mapped[str] = mapped_column(String(12))
    band: Mapped[str] = mapped_column(String(8))
    nctr: Mapped[bool] = mapped_column(Boolean)  # discharged with a DRD in force
    by_cutoff: Mapped[bool] = mapped_column(Boolean)  # NCtR and discharged before 17:01 local
    n: Mapped[int]
    delay_days: Mapped[int]  # the discharges' days from DRD to discharge, summed


class SpellDayStatus(Base):
    """A Red2Green status recorded for a day that is not a bed day (kept in case it becomes one)."""

    __tablename__ = "spell_day_statuses"
    __table_args__ = (CheckConstraint("day_status IN ('red','green')", name="day_status"),)

    spell_pk: Mapped[int] = mapped_column(
        ForeignKey("spells.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    day_status: Mapped[str] = mapped_column(String(8))
    red_reason_code: Mapped[str | None] = mapped_column(String(32))
    recorded_at: Mapped[datetime]  # snapshot_at of the census that recorded it
    ingest_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id"), index=True)


class PatientCensus(Base):
    """One census of one site: a ``snapshot_at`` at which the feed listed its inpatients."""

    __tablename__ = "patient_censuses"

    site_code: Mapped[str] = mapped_column(String(12), primary_key=True)
    snapshot_at: Mapped[datetime] = mapped_column(primary_key=True)
    ingest_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id"), index=True)
