"""The metric registry: each measure's slug, words, unit, improvement direction, optional target
and the function that computes its weekly series. The API, the pages and the reports take
their numbers and words from here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from app.metrics import hicm_measures
from app.metrics import weekly as weekly_series
from app.metrics.errors import InvalidParameter
from app.metrics.schemas import Direction, MetricInfo
from app.metrics.spc import ValueRange

WeeklySeries = Callable[[Session, Sequence[date], str | None], list[float | None]]


@dataclass(frozen=True)
class Metric:
    slug: str
    label: str
    unit: str
    direction: Direction
    definition: str
    weekly: WeeklySeries
    target: float | None = None
    # a target set from the chart itself: the mean of its baseline weeks minus this much
    # (HOMEWARD_LOS_BASELINE_WEEKS sets the baseline, DESIGN §4.11)
    target_below_baseline: float | None = None

    @property
    def value_range(self) -> ValueRange:
        """What the measure can take: 0–100 for a percentage, 0 or more for a count of
        patients or days."""
        return (0.0, 100.0) if self.unit == "%" else (0.0, None)

    def info(self) -> MetricInfo:
        return MetricInfo(
            slug=self.slug,
            label=self.label,
            unit=self.unit,
            direction=self.direction,
            definition=self.definition,
            target=self.target,
        )


_METRICS = (
    Metric(
        slug="nctr_remaining",
        label="Patients with no criteria to reside remaining in hospital",
        unit="patients",
        direction="decrease",
        definition=(
            "Patients in hospital at midnight whose discharge ready date (DRD) was that day or "
            "earlier and not cleared, averaged over the seven days of the week (the acute "
            "discharge sitrep's 'remaining')."
        ),
        weekly=weekly_series.weekly_nctr_remaining,
    ),
    Metric(
        slug="delayed_days",
        label="Delayed days (bed days lost)",
        unit="days",
        direction="decrease",
        definition=(
            "Days in the week whose end found a patient in hospital after their discharge "
            "ready date: one bed day lost per patient per day, a late-recorded DRD counting "
            "from the day it names, a cleared DRD stopping the count (the DTOC measure)."
        ),
        weekly=weekly_series.weekly_delayed_days,
    ),
    Metric(
        slug="pct_discharged_within_1_day",
        label="Discharged within one day of being ready",
        unit="%",
        direction="increase",
        definition=(
            "Of the patients discharged in the week, the percentage discharged on the day of "
            "the discharge ready date in force at discharge or the day after (a discharge "
            "without a DRD counts as on the day). The High Impact Change Model's Home First aim."
        ),
        weekly=weekly_series.weekly_pct_within_1_day,
    ),
    Metric(
        slug="super_stranded",
        label="Super-stranded patients (21+ days)",
        unit="patients",
        direction="decrease",
        definition=(
            "Patients in hospital whose length of stay (days from the admission day) is 21 or "
            "more, at the moment shown (now, on the live pages); its weekly value is the count "
            "at midnight at the end of Sunday."
        ),
        weekly=weekly_series.weekly_super_stranded,
    ),
    Metric(
        slug="red_pct",
        label="Red days",
        unit="%",
        direction="decrease",
        definition=(
            "Red patient-days as a percentage of red and green ones in the week (Red2Green, "
            "SAFER). A day without a board-round status counts as red, with the delay reason, "
            "when the patient had no criteria to reside; otherwise it is 'not recorded' and "
            "left out."
        ),
        weekly=weekly_series.weekly_red_pct,
    ),
    Metric(
        slug="ga_occupancy",
        label="G&A bed occupancy",
        unit="%",
        direction="decrease",
        definition=(
            "General and acute beds occupied as a percentage of core and escalation beds open, "
            "from each ward's latest bed snapshot at the moment shown (now, on the live pages); "
            "its weekly value is read at the end of Sunday (the week's last midnight). The "
            "target is the planning guidance's 92%."
        ),
        weekly=weekly_series.weekly_ga_occupancy,
        target=92.0,
    ),
    Metric(
        slug="p1_waiting",
        label="Waiting for pathway 1 (home with support)",
        unit="patients",
        direction="decrease",
        definition=(
            "Patients with no criteria to reside on discharge pathway 1 in hospital at the "
            "moment shown (now, on the live pages); its weekly value is the count at midnight "
            "at the end of Sunday."
        ),
        weekly=weekly_series.weekly_waiting(1),
    ),
    Metric(
        slug="p3_waiting",
        label="Waiting for pathway 3 (care home)",
        unit="patients",
        direction="decrease",
        definition=(
            "Patients with no criteria to reside on discharge pathway 3 in hospital at the "
            "moment shown (now, on the live pages); its weekly value is the count at midnight "
            "at the end of Sunday."
        ),
        weekly=weekly_series.weekly_waiting(3),
    ),
    Metric(
        slug="discharges",
        label="Discharges",
        unit="patients",
        direction="neutral",
        definition=(
            "Patients discharged in the week (every discharge, whether or not the patient had "
            "a discharge ready date). Neutral: more discharges are good only with as many "
            "admissions."
        ),
        weekly=weekly_series.weekly_discharges,
    ),
    # --- the live tiles' own measures: a count at the moment shown (now), each with the
    # weekly value the trend charts read (the count at the end of Sunday, or the week's sum).
    Metric(
        slug="nctr_in_hospital",
        label="Patients with no criteria to reside in hospital now",
        unit="patients",
        direction="decrease",
        definition=(
            "Patients in hospital at the moment shown who have no criteria to reside: their "
            "discharge ready date (DRD) is that day or earlier and not cleared. A count at that "
            "moment, not an average; its weekly value is the count at the end of Sunday."
        ),
        weekly=weekly_series.weekly_nctr_in_hospital,
    ),
    Metric(
        slug="nctr_discharged_today",
        label="Patients with no criteria to reside discharged today",
        unit="patients",
        direction="increase",
        definition=(
            "Patients discharged on the day while they had no criteria to reside (the acute "
            "discharge sitrep's 'discharged'), counted so far today, with how many left by "
            "17:00. Today is not over: the count is partial until midnight. Its weekly value "
            "is the week's total."
        ),
        weekly=weekly_series.weekly_nctr_discharged,
    ),
    Metric(
        slug="stays_7_plus",
        label="Long stays: 7 days or more (stranded)",
        unit="patients",
        direction="decrease",
        definition=(
            "Patients in hospital at the moment shown whose length of stay (days from the "
            "admission day) is 7 or more: stranded patients. Those of 21 or more are also "
            "counted as super-stranded. Its weekly value is the count at the end of Sunday."
        ),
        weekly=weekly_series.weekly_stays_7_plus,
    ),
    Metric(
        slug="p2_waiting",
        label="Waiting for pathway 2 (rehabilitation or community bed)",
        unit="patients",
        direction="decrease",
        definition=(
            "Patients with no criteria to reside on discharge pathway 2 (a rehabilitation or "
            "community bed) in hospital at the moment shown. Its weekly value is the count at "
            "midnight at the end of Sunday."
        ),
        weekly=weekly_series.weekly_waiting(2),
    ),
    Metric(
        slug="community_beds_free",
        label="Community beds free",
        unit="beds",
        direction="increase",
        definition=(
            "Community beds open (core and escalation) and not occupied, from each community "
            "ward's latest bed snapshot, summed over the wards; an over-full ward counts none. "
            "The supply for pathway 2, counted for the whole system. Its weekly value is the "
            "count at the end of Sunday."
        ),
        weekly=weekly_series.weekly_community_beds_free,
    ),
    Metric(
        slug="community_occupancy",
        label="Community bed occupancy",
        unit="%",
        direction="decrease",
        definition=(
            "Community beds occupied as a percentage of community beds open (core and "
            "escalation), from each community ward's latest bed snapshot: the G&A occupancy "
            "rule applied to the community wards of the beds feed. Its weekly value is read at "
            "the end of Sunday."
        ),
        weekly=weekly_series.weekly_community_occupancy,
    ),
    # --- the High Impact Change Model's evidence (app/metrics/hicm.toml maps them to changes)
    Metric(
        slug="edd_within_2_days",
        label="Emergency admissions with an expected discharge date within two days",
        unit="%",
        direction="increase",
        definition=(
            "Of the emergency admissions of the week (by admission day), the percentage whose "
            "expected discharge date was first recorded by a census on or before the second day "
            "after the admission day: the High Impact Change Model's early discharge planning "
            "(change 1)."
        ),
        weekly=hicm_measures.weekly_edd_within_2_days,
    ),
    Metric(
        slug="pathway_0_1_pct",
        label="Discharged home (pathways 0 and 1)",
        unit="%",
        direction="increase",
        definition=(
            "Of the week's discharges with a discharge pathway in force at discharge, the "
            "percentage on pathway 0 (home, no new support) or 1 (home with new support): "
            "Home First (change 4)."
        ),
        weekly=hicm_measures.weekly_pathway_0_1_pct,
    ),
    Metric(
        slug="weekend_discharge_rate",
        label="Weekend discharges against weekdays",
        unit="% of a weekday",
        direction="increase",
        definition=(
            "Discharges per weekend day (Saturday and Sunday) as a percentage of discharges per "
            "weekday (Monday to Friday) in the same week; 100 means a weekend day discharges as "
            "many as a weekday. Flexible working patterns (change 5)."
        ),
        weekly=hicm_measures.weekly_weekend_discharge_rate,
    ),
    Metric(
        slug="assessment_delayed_days",
        label="Delayed days awaiting assessment",
        unit="days",
        direction="decrease",
        definition=(
            "Delayed days (bed days lost) in the week whose delay reason in force is of the "
            "catalogue's category 'awaiting assessment' (triage, Care Act, continuing healthcare, "
            "funding; historic DTOC A and B)."
        ),
        weekly=hicm_measures.weekly_delayed_days_of("awaiting_assessment"),
    ),
    Metric(
        slug="choice_delayed_days",
        label="Delayed days for patient or family choice",
        unit="days",
        direction="decrease",
        definition=(
            "Delayed days (bed days lost) in the week whose delay reason in force is of the "
            "catalogue's category 'patient or family choice' (historic DTOC G)."
        ),
        weekly=hicm_measures.weekly_delayed_days_of("patient_family_choice"),
    ),
    Metric(
        slug="p3_delayed_days",
        label="Delayed days awaiting a care home",
        unit="days",
        direction="decrease",
        definition=(
            "Delayed days (bed days lost) in the week whose delay reason in force is of the "
            "catalogue's category 'awaiting a care home (pathway 3)' (historic DTOC DI, DII)."
        ),
        weekly=hicm_measures.weekly_delayed_days_of("awaiting_p3_care_home"),
    ),
    Metric(
        slug="care_home_vacancies",
        label="Care-home vacancies accepting admissions",
        unit="beds",
        direction="increase",
        definition=(
            "Care-home vacancies accepting admissions in homes accepting admissions, from each "
            "home's latest capacity snapshot at the end of Sunday: the supply for pathway 3, "
            "counted for the whole system (no value for one site)."
        ),
        weekly=weekly_series.weekly_p3_supply,
    ),
    Metric(
        slug="housing_delayed_days",
        label="Delayed days for housing or homelessness",
        unit="days",
        direction="decrease",
        definition=(
            "Delayed days (bed days lost) in the week whose delay reason in force is of the "
            "catalogue's category 'housing or homelessness' (historic DTOC I)."
        ),
        weekly=hicm_measures.weekly_delayed_days_of("housing_homelessness"),
    ),
    # --- NHS England's 2025/26 discharge asks (DESIGN §4.11)
    Metric(
        slug="overnight_emergency_los",
        label="Overnight emergency length of stay",
        unit="days",
        direction="decrease",
        definition=(
            "Mean length of stay in days (discharge date − admission date, Europe/London "
            "dates) of the emergency admissions discharged in the week (Monday to Sunday) "
            "that stayed at least one night (LOS 1 or more; same-day stays left out). The "
            "target is the mean of the chart's baseline weeks − 0.4 days (NHS England's "
            "2025/26 ask); the baseline is the chart's first weeks (HOMEWARD_LOS_BASELINE_WEEKS, "
            "12 by default), on which its mean and limits are fixed."
        ),
        weekly=weekly_series.weekly_overnight_emergency_los,
        target_below_baseline=0.4,
    ),
)

#: NHS England's 2025/26 discharge asks (DESIGN.md §4.11)
_ASKS = (
    Metric(
        slug="internal_delay_over_48h",
        label="Internal delays over 48 hours",
        unit="patients",
        direction="decrease",
        definition=(
            "Patients in hospital whose delay reason in force is internal (within the "
            "hospital's own control: a medical decision or review, diagnostics, therapy, "
            "medicines to take home, transport, no reason recorded) and whose internal run is 2 "
            "days or more: counting back from yesterday, the consecutive delayed days that "
            "ended under an internal reason. NHS England's 2025/26 ask is to eliminate them "
            "(target 0). Its weekly value is the count at the end of Sunday."
        ),
        weekly=weekly_series.weekly_internal_over_48h,
        target=0.0,
    ),
    Metric(
        slug="beyond_drd_21_in_hospital",
        label="In hospital 21+ days beyond discharge ready date",
        unit="patients",
        direction="decrease",
        definition=(
            "Patients in hospital 21 days or more after their discharge ready date (today − "
            "DRD), at the moment shown. NHS England's 2025/26 plan asks systems to tackle "
            "them. Its weekly value is the count at midnight at the end of Sunday."
        ),
        weekly=weekly_series.weekly_beyond_drd_21_in_hospital,
    ),
    Metric(
        slug="beyond_drd_21_discharge_pct",
        label="Discharges 21+ days beyond discharge ready date",
        unit="%",
        direction="decrease",
        definition=(
            "Of the patients discharged in the period, the percentage discharged 21 days or "
            "more after the discharge ready date in force at discharge (discharge date − DRD). "
            "Shown with their count and bed days lost; its weekly value is the week's share."
        ),
        weekly=weekly_series.weekly_beyond_drd_21_discharge_pct,
    ),
)

METRICS: dict[str, Metric] = {metric.slug: metric for metric in (*_METRICS, *_ASKS)}


def get_metric(slug: str) -> Metric:
    """The metric of a slug; an unknown one is refused (422, naming ``metric``)."""
    try:
        return METRICS[slug]
    except KeyError:
        raise InvalidParameter("metric", f"unknown metric '{slug}'; one of {', '.join(METRICS)}")


def metric_list() -> list[MetricInfo]:
    """Every metric of the registry, in display order."""
    return [metric.info() for metric in METRICS.values()]
