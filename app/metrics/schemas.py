"""Response models shared by the API, the pages and the reports (the field names are a contract).

Conventions: a field ending ``_pct`` is a percentage (0–100), ``share`` a fraction (0–1); a
ratio whose denominator is zero is ``None`` (no beds open, no discharges), a count is 0.
Dates are Europe/London days; timestamps are aware UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, computed_field

from app.metrics import ratios

Direction = Literal["increase", "decrease", "neutral"]


# --- the registry ---------------------------------------------------------------------------


class MetricInfo(BaseModel):
    """A metric of the registry: what it is called, measured in and how it improves."""

    slug: str
    label: str
    unit: str
    direction: Direction
    definition: str
    target: float | None = None


# --- flow: the point-in-time summary --------------------------------------------------------


class Occupancy(BaseModel):
    """General and acute beds from each ward's latest bed snapshot (§4.1)."""

    occupied: int = 0
    core_open: int = 0
    escalation_open: int = 0
    pct: float | None = Field(None, description="occupied ÷ (core + escalation open) × 100")

    @computed_field(description="core + escalation beds open")  # type: ignore[prop-decorator]
    @property
    def open_beds(self) -> int:
        """The beds open: core and escalation."""
        return self.core_open + self.escalation_open


class LongStays(BaseModel):
    """Patients in hospital by length of stay in days (§4.5)."""

    los_7: int = 0
    los_14: int = 0
    los_21: int = 0


class PathwayWait(BaseModel):
    """NCtR patients waiting on a pathway and the capacity to meet them (§4.7)."""

    demand: int = 0
    supply: int | None = Field(None, description="None where the level has no supply figure")
    gap: int | None = Field(None, description="demand − supply (negative: spare capacity)")


class P1Wait(PathwayWait):
    hours_available_per_week: float | None = None


class P3Wait(PathwayWait):
    supply_by_care_type: dict[str, int] = {}


class WaitingByPathway(BaseModel):
    p1: P1Wait = P1Wait()
    p2: PathwayWait = PathwayWait()
    p3: P3Wait = P3Wait()


class EscalationParameter(BaseModel):
    name: str
    label: str
    value: float | None
    score: int | None = Field(description="1–4; None when the value is unknown")
    thresholds: list[float] = Field(description="the values at which scores 2, 3 and 4 start")


class Escalation(BaseModel):
    """An OPEL-style level from locally configured parameters (§4.8)."""

    level: int
    parameters: list[EscalationParameter]
    driver: str | None = Field(description="the parameter that set the level; None at level 1")
    combination: str
    note: str


class AreaFlow(BaseModel):
    """The flow picture of the whole system or of one site at a moment."""

    site_code: str | None
    name: str
    kind: str = Field(description="system, acute or community")
    occupancy: Occupancy
    in_hospital: int
    nctr_in_hospital: int
    long_stays: LongStays
    delay_bands: dict[str, int] = Field(description="NCtR patients in hospital by days since DRD")
    waiting_by_pathway: WaitingByPathway
    escalation: Escalation

    @computed_field(  # type: ignore[prop-decorator]
        description="NCtR in hospital ÷ occupied G&A beds × 100; None with no bed occupied"
    )
    @property
    def nctr_pct_of_occupied(self) -> float | None:
        """NCtR patients in hospital as a percentage of the occupied G&A beds."""
        return ratios.nctr_pct_of_occupied(self.nctr_in_hospital, self.occupancy.occupied)


class FlowSummary(BaseModel):
    at: datetime
    site: str | None
    total: AreaFlow = Field(description="the whole system, or the one site asked for")
    sites: list[AreaFlow]
    as_of: dict[str, datetime | None] = Field(description="newest data of each feed used")


class NctrChange(BaseModel):
    """NCtR in hospital in one area now, against one day and one week earlier."""

    site_code: str | None = Field(description="None: the whole system")
    nctr_in_hospital: int
    day_before: int | None = Field(description="24 hours earlier; None: the area was not there")
    week_before: int | None = Field(description="7 × 24 hours earlier; None: not there")

    @computed_field  # type: ignore[prop-decorator]
    @property
    def change_since_yesterday(self) -> int | None:
        """Now − 24 hours earlier."""
        return None if self.day_before is None else self.nctr_in_hospital - self.day_before

    @computed_field  # type: ignore[prop-decorator]
    @property
    def change_since_last_week(self) -> int | None:
        """Now − a week earlier."""
        return None if self.week_before is None else self.nctr_in_hospital - self.week_before


class NctrChanges(BaseModel):
    """NCtR in hospital at a moment against the same instant a day and a week earlier: a
    mid-day count compared with a mid-day count, not with a midnight one."""

    at: datetime
    week_before_date: date = Field(description="the local day seven days before the day of at")
    total: NctrChange
    sites: list[NctrChange]

    def of(self, site_code: str | None) -> NctrChange | None:
        """The change of one site (None: the total), or None if it has no count now."""
        if site_code is None:
            return self.total
        return next((s for s in self.sites if s.site_code == site_code), None)


# --- flow: over a period --------------------------------------------------------------------


class NctrDay(BaseModel):
    """The acute discharge sitrep for one day (§4.2a)."""

    date: date
    nctr: int
    discharged: int
    discharged_by_1700: int
    discharged_after_1700: int
    remaining: int
    partial: bool = Field(
        False, description="the day is not over yet (today): its counts are so far, not final"
    )


class DelayedDaysGroup(BaseModel):
    key: str | None
    label: str
    delayed_days: int
    share: float | None


class DelayedDays(BaseModel):
    """Delayed days (bed days lost, §4.3) in a period, optionally by one attribute."""

    start: date
    end: date
    site: str | None
    group_by: str | None
    total: int
    groups: list[DelayedDaysGroup]


class ContributingReason(BaseModel):
    """One reason's contributing days, beside its days as the primary reason (§4.3)."""

    code: str
    label: str
    contributed_days: int = Field(
        description="delayed days on which the census row in force listed this code as a "
        "contributing reason and it was not that day's primary reason (once per spell and day)"
    )
    primary_days: int = Field(
        description="delayed days attributed to this code as the primary reason (the same "
        "figure as delayed days by reason); never added to contributed_days"
    )


class ContributingReasons(BaseModel):
    """Delayed days where each reason contributed, beside the primary attribution (§4.3)."""

    start: date
    end: date
    site: str | None
    delayed_days: int = Field(description="all delayed days of the period (primary attribution)")
    reasons: list[ContributingReason]


class ReasonCategoryGroup(BaseModel):
    """Delayed days of one reason category (§5), with the codes that make it up beneath."""

    key: str | None
    label: str
    delayed_days: int
    share: float | None
    codes: list[DelayedDaysGroup]


class DelayedDaysByCategory(BaseModel):
    """Delayed days (§4.3) in a period by reason category, current and historic codes rolled up."""

    start: date
    end: date
    site: str | None
    total: int
    categories: list[ReasonCategoryGroup]


class DelayBand(BaseModel):
    band: str
    count: int
    share: float | None
    bed_days: int


class DischargeDelays(BaseModel):
    """Time from DRD to discharge of the patients discharged in a period (§4.4)."""

    start: date
    end: date
    site: str | None
    discharges: int
    bands: list[DelayBand]
    bed_days_lost: int
    mean_delay_incl_zero: float | None
    mean_delay_excl_zero: float | None
    pct_same_day: float | None
    pct_within_1_day: float | None


class Red2GreenCounts(BaseModel):
    red: int = 0
    green: int = 0
    not_recorded: int = 0
    red_pct: float | None = Field(None, description="red ÷ (red + green) × 100")


class Red2GreenGroup(Red2GreenCounts):
    key: str | None
    label: str


class Red2Green(BaseModel):
    """Red and green patient-days in a period (§4.6)."""

    start: date
    end: date
    site: str | None
    group_by: str
    totals: Red2GreenCounts
    groups: list[Red2GreenGroup]


class FlowBreakdownRow(Red2GreenCounts):
    """One site or ward: occupancy and NCtR now, delayed days and Red2Green over a period."""

    site_code: str
    ward_code: str | None
    name: str
    kind: str = Field(description="site kind (acute, community) or ward bed base")
    occupancy: Occupancy
    nctr_in_hospital: int
    delayed_days: int


class FlowBreakdown(BaseModel):
    at: datetime
    start: date
    end: date
    site: str | None
    rows: list[FlowBreakdownRow]


# --- capacity -------------------------------------------------------------------------------


class CareHomeTotals(BaseModel):
    homes: int = 0
    homes_accepting_admissions: int = 0
    max_capacity: int = 0
    occupied: int = 0
    vacant_reserved: int = 0
    vacant_accepting_admissions: int = 0
    beds_available: int = Field(
        0, description="vacancies accepting admissions in homes accepting admissions"
    )


class CareHomeGroup(CareHomeTotals):
    key: str
    label: str


class CareHomeRow(BaseModel):
    cqc_location_id: str
    home_name: str
    local_authority_code: str
    care_type: str
    snapshot_at: datetime
    max_capacity: int
    occupied: int
    vacant_reserved: int
    vacant_accepting_admissions: int
    accepting_admissions: bool


class CareHomeCapacity(BaseModel):
    at: datetime
    local_authority: str | None
    as_of: datetime | None
    totals: CareHomeTotals
    by_care_type: list[CareHomeGroup]
    by_council: list[CareHomeGroup]
    homes: list[CareHomeRow]


class DomiciliaryTotals(BaseModel):
    providers: int = 0
    hours_available_per_week: float = 0.0
    packages_startable_next_7_days: int = 0


class DomiciliaryGroup(DomiciliaryTotals):
    key: str
    label: str


class DomiciliaryRow(BaseModel):
    provider_id: str
    provider_name: str
    local_authority_code: str
    zone: str
    snapshot_at: datetime
    hours_available_per_week: float
    packages_startable_next_7_days: int


class DomiciliaryCapacity(BaseModel):
    at: datetime
    local_authority: str | None
    as_of: datetime | None
    totals: DomiciliaryTotals
    by_council: list[DomiciliaryGroup]
    providers: list[DomiciliaryRow]


class CouncilWaiting(WaitingByPathway):
    local_authority_code: str | None
    name: str


class CapacityGaps(BaseModel):
    """Waiting by pathway against the capacity to meet it, by council (§4.7)."""

    at: datetime
    as_of: dict[str, datetime | None]
    system: WaitingByPathway
    councils: list[CouncilWaiting]


# --- patients -------------------------------------------------------------------------------


class ReasonRef(BaseModel):
    code: str
    label: str


class DelayedPatient(BaseModel):
    spell_id: str
    local_patient_id: str
    site: str
    ward: str
    ward_name: str
    age: int
    admitted_at: datetime
    length_of_stay: int
    expected_discharge_date: date | None
    discharge_ready_date: date
    days_beyond_drd: int
    pathway: int | None
    delay_reason: ReasonRef | None
    agency: str | None
    local_authority: str | None
    local_authority_name: str | None
    red_days: int = Field(description="red days of the spell so far (§4.6)")
    site_name: str | None = None
    internal_days: int | None = Field(
        None,
        description="the internal run (§4.11) when the reason in force is internal: consecutive "
        "delayed days back from yesterday that ended internal (2 or more: over 48 hours)",
    )
    contributing_reasons: list[ReasonRef] = Field(
        default=[], description="further reasons the census in force lists as holding them up"
    )


class DelayedPatients(BaseModel):
    at: datetime
    as_of: datetime | None
    count: int
    patients: list[DelayedPatient]


class JourneyEvent(BaseModel):
    at: datetime
    date: date
    type: str
    old_value: str | None = None
    new_value: str | None = None
    label: str
    detail: str | None = None


class JourneySpell(BaseModel):
    spell_id: str
    local_patient_id: str
    site: str
    ward: str
    age: int
    admission_method: str
    admitted_at: datetime
    expected_discharge_date: date | None
    discharge_ready_date: date | None
    pathway: int | None
    delay_reason: ReasonRef | None
    contributing_reasons: list[ReasonRef] = Field(
        default=[], description="further reasons the latest census lists as holding them up"
    )
    local_authority: str | None
    discharged_at: datetime | None
    discharge_date: date | None
    discharge_destination: str | None
    discharge_inferred: bool
    drd_at_discharge: date | None
    red_days: int
    green_days: int
    delayed_days: int
    # the names other pages show for the codes above
    site_name: str | None = None
    ward_name: str | None = None
    local_authority_name: str | None = None
    # §4.4 at the moment viewed (in hospital) or at discharge; None while the patient meets
    # the criteria to reside
    days_beyond_drd: int | None = None


class Journey(BaseModel):
    spell: JourneySpell
    events: list[JourneyEvent]


# --- trends ---------------------------------------------------------------------------------


class TrendPoint(BaseModel):
    week_start: date
    week_ending: date
    value: float | None
    mean: float | None
    lower_limit: float | None
    upper_limit: float | None
    lower_near: float | None
    upper_near: float | None
    outside_limits: bool
    run: bool
    trend: bool
    two_of_three: bool
    special_cause: bool
    point_type: Literal["improvement", "concern", "neutral", "common"]
    side: Literal["high", "low"] | None


class WeeklyTrend(BaseModel):
    """A weekly series (weeks end on Sunday) with its XmR chart (§4.10)."""

    metric: MetricInfo
    site: str | None
    weeks: int
    end: date = Field(description="the Sunday ending the latest week")
    mean: float | None
    lower_limit: float | None
    upper_limit: float | None
    lower_near: float | None
    upper_near: float | None
    provisional: bool = Field(description="limits from fewer than 12 points")
    variation_icon: str
    assurance_icon: str
    points: list[TrendPoint]
    actions: list[ActionMark] = Field(
        default_factory=list,
        description="the actions on this metric raised in these weeks, to mark on the chart "
        "(a site's chart: those scoped to the site or to no site; the system's: all)",
    )


class CommunityBeds(BaseModel):
    """Community beds (the beds feed's community wards) at a moment: how full, how many free."""

    occupancy: Occupancy = Field(description="community beds occupied of those open (§4.1)")
    beds_free: int = Field(
        description="Σ over community wards of open − occupied, an over-full ward counting 0: "
        "the P2 supply (§4.7)"
    )
    wards: int = Field(description="community wards with a bed snapshot by then")


# --- the returns (app/metrics/returns.py) ---------------------------------------------------


class ReturnRow(BaseModel):
    """One line of a return in NHS England's long format (docs/returns.md)."""

    period: str = Field(description="the day (YYYY-MM-DD) or month (YYYY-MM) reported")
    level: str = Field(description="Site, Trust, ICB or Region")
    region: str = Field(description="the NHS England region's name")
    icb: str = Field(description="the system's (ICB's) name; empty on a region's rows")
    org_code: str = Field(description="the organisation's ODS code")
    org_name: str
    metric: str
    metric_type: str = Field(description="Count or Percentage (0–100, one decimal)")
    metric_group: str
    value: int | float | None = Field(description="empty when there is nothing to divide by")


class ReturnFile(BaseModel):
    """A return for one period at one level: its rows, and whether the period is over."""

    name: Literal["sitrep", "discharge-delays"]
    period: str
    start: date
    end: date
    level: str
    partial: bool = Field(
        description="the period is not over yet: its counts are so far, not final"
    )
    rows: list[ReturnRow]


class OrganisationFlow(BaseModel):
    """The flow picture of one organisation (site, trust, system or region) at a moment."""

    level: str = Field(description="site, trust, system or region")
    org_code: str = Field(description="ODS code; empty for 'Not mapped'")
    org_name: str
    icb_code: str
    icb_name: str
    region_code: str
    region_name: str
    site_codes: list[str] = Field(description="the sites the figures cover")
    area: AreaFlow


class OrganisationFlowSummary(BaseModel):
    """:class:`FlowSummary` at a level: each organisation's sites together (app/metrics/
    organisations.py), by the mapping in force on the day of ``at``."""

    at: datetime
    level: str
    organisations: list[OrganisationFlow]
    as_of: dict[str, datetime | None] = Field(description="newest data of each feed used")


# --- actions on the numbers (DESIGN §4.13; docs/meetings.md "Actions") ---------------------


class ActionMark(BaseModel):
    """An action marked on a chart: the day it was raised and what it is."""

    id: int
    title: str
    status: Literal["open", "done", "dropped"]
    organisation: str = Field(description="the owning organisation's code")
    owner: str
    raised_on: date = Field(description="the Europe/London day it was raised")
    week_ending: date = Field(description="the Sunday ending the week it was raised in")
    closed_on: date | None = Field(description="the day it was marked done or dropped")


class ActionBrief(BaseModel):
    """An action in the weekly report's "actions this week"."""

    id: int
    title: str
    status: Literal["open", "done", "dropped"]
    organisation: str
    owner: str
    metric: str | None
    due_date: date
    raised_on: date
    closed_on: date | None
    overdue: bool = Field(description="open and past its due date at the end of the week")


class ActionsThisWeek(BaseModel):
    """The week's actions: raised in it, closed in it, and open past due at its end."""

    week_start: date
    week_end: date
    raised: list[ActionBrief]
    closed: list[ActionBrief]
    overdue: list[ActionBrief]


class ActionEffect(BaseModel):
    """What moved after one action: the measure's weekly mean before against after, and
    whether an SPC special cause of improvement followed (docs/meetings.md)."""

    id: int
    title: str
    status: Literal["open", "done", "dropped"]
    organisation: str
    metric: MetricInfo
    site: str | None = Field(description="where it was measured (None: the whole system)")
    raised_on: date
    action_week_ending: date
    weeks_before: int = Field(description="weeks with a value before the action's week")
    weeks_after: int = Field(description="weeks with a value after the action's week")
    mean_before: float | None
    mean_after: float | None
    change: float | None = Field(description="mean after − mean before")
    moved: Literal["improved", "worsened", "unchanged", "no_direction", "no_data"]
    improvement_signal: bool = Field(
        description="a week after the action is a special cause of improvement against "
        "limits set on the weeks before"
    )
    concern_signal: bool = Field(
        description="a week after the action is a special cause of concern (same limits)"
    )


class WhatMoved(BaseModel):
    """For each action done or open at least ``weeks_after`` whole weeks by ``end``."""

    end: date = Field(description="the Sunday ending the latest week looked at")
    weeks_before: int
    weeks_after: int
    site: str | None
    effects: list[ActionEffect]


class OrganisationActions(BaseModel):
    """One organisation's open actions, for the wall: how many, how many overdue."""

    kind: Literal["trust", "council", "provider"]
    code: str
    name: str
    open: int = Field(description="open actions (overdue ones included)")
    overdue: int = Field(description="open actions past their due date")
    overdue_titles: list[str] = Field(description="the overdue ones' titles, longest overdue first")


class ActionsByOrganisation(BaseModel):
    """Open and overdue actions per owning organisation (most overdue first): titles and
    counts only, never a patient identifier (an action cannot hold one)."""

    today: date = Field(description="the Europe/London day overdue is judged on")
    open: int
    overdue: int
    organisations: list[OrganisationActions]


WeeklyTrend.model_rebuild()  # its ``actions`` are defined after it


# --- NHS England's 2025/26 discharge asks (§4.11) ---------------------------------------------


class InternalDelayPatient(BaseModel):
    """A patient in hospital whose delay has been internal for more than 48 hours."""

    spell_id: str
    local_patient_id: str
    site: str
    ward: str
    ward_name: str
    discharge_ready_date: date
    days_beyond_drd: int
    pathway: int | None
    delay_reason: ReasonRef | None = Field(description="the (internal) reason in force")
    internal_days: int = Field(
        description="the internal run: consecutive delayed days back from yesterday that ended "
        "under an internal reason (2 or more: over 48 hours)"
    )
    agency: str | None = Field(description="who must act: the agency responsible")
    local_authority: str | None


class InternalDelays(BaseModel):
    at: datetime
    as_of: datetime | None
    count: int
    patients: list[InternalDelayPatient]


class BeyondDrd21(BaseModel):
    """Delays of 21 days or more beyond the discharge ready date (§4.4, §4.11)."""

    in_hospital: int = Field(description="patients in hospital at `at` 21+ days beyond DRD")
    discharges: int = Field(description="discharges in the period whose delay was 21+ days")
    all_discharges: int = Field(description="every discharge in the period (§4.4)")
    share: float | None = Field(description="discharges ÷ all_discharges (0–1)")
    bed_days_lost: int = Field(description="the 21+ discharges' days from DRD to discharge")


class DischargeAsks(BaseModel):
    """NHS England's 2025/26 discharge asks as named measures (aggregates: no identifiers)."""

    at: datetime
    start: date
    end: date
    site: str | None
    as_of: datetime | None
    internal_over_48h: int = Field(
        description="in hospital at `at` with an internal delay of more than 48 hours (target 0)"
    )
    internal_over_48h_target: int = 0
    beyond_drd_21: BeyondDrd21
