"""What the wall writes, from hand-made metrics results (no database, no browser)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.metrics.schemas import (
    AreaFlow,
    CapacityGaps,
    CouncilWaiting,
    Escalation,
    EscalationParameter,
    FlowSummary,
    LongStays,
    NctrChange,
    NctrChanges,
    NctrDay,
    Occupancy,
    P1Wait,
    P3Wait,
    PathwayWait,
    WaitingByPathway,
)
from dashboards import wall_data

AT = datetime(2026, 11, 18, 10, 0, tzinfo=UTC)  # a Wednesday
TODAY = date(2026, 11, 18)


def _escalation(level: int) -> Escalation:
    return Escalation(
        level=level,
        parameters=[
            EscalationParameter(
                name="occupancy_pct",
                label="G&A bed occupancy (%)",
                value=96.4,
                score=level,
                thresholds=[92, 95, 98],
            ),
            EscalationParameter(
                name="super_stranded",
                label="Super-stranded",
                value=12,
                score=1,
                thresholds=[20, 30, 40],
            ),
        ],
        driver="occupancy_pct" if level > 1 else None,
        combination="highest",
        note="Local settings, not NHS England's official OPEL thresholds.",
    )


def _area(code: str | None, name: str, nctr: int) -> AreaFlow:
    return AreaFlow(
        site_code=code,
        name=name,
        kind="acute" if code else "system",
        occupancy=Occupancy(occupied=482, core_open=490, escalation_open=10, pct=96.4),
        in_hospital=482,
        nctr_in_hospital=nctr,
        long_stays=LongStays(los_7=120, los_14=60, los_21=25),
        delay_bands={},
        waiting_by_pathway=WaitingByPathway(),
        escalation=_escalation(3),
    )


def _day(day: date, remaining: int, discharged: int = 0) -> NctrDay:
    return NctrDay(
        date=day,
        nctr=remaining + discharged,
        discharged=discharged,
        discharged_by_1700=discharged,
        discharged_after_1700=0,
        remaining=remaining,
    )


def _data() -> wall_data.WallData:
    site = _area("RXA01", "Marlbridge General Hospital", 40)
    summary = FlowSummary(
        at=AT,
        site=None,
        total=_area(None, "Whole system", 40),
        sites=[site, _area("RXX99", "Community", 3).model_copy(update={"kind": "community"})],
        as_of={"beds": AT, "patients": datetime(2026, 11, 18, 8, 0, tzinfo=UTC)},
    )
    days = {
        date(2026, 11, 11): _day(date(2026, 11, 11), 31),
        date(2026, 11, 17): _day(date(2026, 11, 17), 43),
        TODAY: _day(TODAY, 40, discharged=6),
    }
    gaps = CapacityGaps(
        at=AT,
        as_of={"care_homes": AT, "domiciliary": AT},
        system=WaitingByPathway(
            p1=P1Wait(demand=20, supply=14, gap=6),
            p2=PathwayWait(demand=3, supply=5, gap=-2),
            p3=P3Wait(demand=4, supply=9, gap=-5, supply_by_care_type={"residential": 9}),
        ),
        councils=[
            CouncilWaiting(
                local_authority_code="E06000901",
                name="Marlbridge City Council",
                p1=P1Wait(demand=20, supply=14, gap=6),
                p3=P3Wait(demand=4, supply=4, gap=0, supply_by_care_type={"nursing": 4}),
            )
        ],
    )
    data = wall_data.WallData(
        at=AT,
        today=TODAY,
        summary=summary,
        nctr_days={"system": days, "RXA01": days},
        delayed_days_week={"system": 95, "RXA01": 95},
        week_start=date(2026, 11, 16),
        gaps=gaps,
        freshness=[],
    )
    # NCtR in hospital at this time of day: 40 now, 43 yesterday, 31 a week ago
    data.nctr_changes = NctrChanges(
        at=AT,
        week_before_date=date(2026, 11, 11),
        total=NctrChange(site_code=None, nctr_in_hospital=40, day_before=43, week_before=31),
        sites=[NctrChange(site_code="RXA01", nctr_in_hospital=40, day_before=43, week_before=31)],
    )
    data.capacity = wall_data._capacity_rows(gaps)
    return data


def test_values_are_written_for_the_system_and_each_acute_site() -> None:
    values = wall_data.values(_data(), refreshed_at=datetime(2026, 11, 18, 10, 0, 5, tzinfo=UTC))
    assert values["system.nctr"] == "40"
    # 40 now − 43 this time yesterday = −3; 40 − 31 a week ago = +9 (at the same time of day)
    assert values["system.nctr.detail"] == "−3 vs yesterday, +9 vs Wed 11 Nov"
    assert values["system.occupancy"] == "96.4%"
    assert values["system.occupancy.detail"] == "10 escalation beds"  # open
    assert values["system.discharged"] == "6"
    assert values["system.discharged.detail"] == "of 46 NCtR today"
    assert values["RXA01.los21"] == "25"
    assert values["RXA01.delayed_days"] == "95"
    assert values["RXA01.delayed_days.detail"] == "Mon 16 Nov to now"
    assert values["header.level"] == "3"
    assert values["refreshed"] == "10:00:05"
    # the wall says the configuration's short label ("G&A occupancy %")
    assert values["system.drivers"] == "G&A occupancy % 96.4 (level 3)."
    assert "RXX99.nctr" not in values  # community sites have no wall tile
    # both on Wed 18 Nov: the day is said once
    assert values["RXA01.as_of"] == "As of: beds 10:00 · patients 08:00 Wed 18 Nov"


def test_capacity_rows_say_short_or_spare_in_words() -> None:
    rows = _data().capacity
    assert [r.name for r in rows] == ["Marlbridge City Council", "All councils"]
    council, system = rows
    assert (council.p1_gap, council.p1_short) == ("6 short", True)
    assert (council.p3_gap, council.p3_short) == ("0: just enough", False)
    assert council.p2_supply == "–"
    assert (system.p3_gap, system.p3_short) == ("5 spare", False)
    assert system.p3_by_type == "Res 9"  # care types with none free are left out


def test_level_one_drivers() -> None:
    assert wall_data._drivers(_escalation(1)) == "every parameter is at level 1 (normal)."


def test_drivers_sharing_the_level_say_it_once() -> None:
    both = _escalation(3).model_copy(deep=True)
    both.parameters[1].score = 3  # super-stranded 12 now at level 3 as well
    assert wall_data._drivers(both) == (
        "G&A occupancy % 96.4; Super-stranded 12 (each at level 3)."
    )
    # with the mean combination only the parameters scoring the level are named
    mixed = both.model_copy(deep=True, update={"level": 3, "combination": "mean"})
    mixed.parameters[1].score = 4
    assert wall_data._drivers(mixed) == "G&A occupancy % 96.4 (level 3)."
