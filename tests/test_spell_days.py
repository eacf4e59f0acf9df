"""The per-day facts of a spell (DESIGN.md §4.2, §4.3, §4.6), derived without a database.

Every expected value is worked out by hand from the scenario written in the test.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.domain.spell_day_rules import (
    ObservedState,
    RecordedStatus,
    SpellDayFacts,
    derive_spell_days,
    discharge_facts,
)

LONDON = ZoneInfo("Europe/London")


def at(y: int, m: int, d: int, hh: int = 8, mm: int = 0) -> datetime:
    """A Europe/London wall-clock time, as the aware UTC moment the store keeps."""
    return datetime(y, m, d, hh, mm, tzinfo=LONDON).astimezone(UTC)


def state(
    observed_at: datetime,
    ward: str = "W1",
    drd: date | None = None,
    *,
    pathway: int | None = None,
    reason: str | None = None,
    agency: str | None = None,
    council: str | None = "E06000015",
) -> ObservedState:
    return ObservedState(observed_at, ward, drd, pathway, reason, agency, council)


def derive(
    admitted_at: datetime,
    states: list[ObservedState],
    *,
    discharged_at: datetime | None = None,
    last_census_at: datetime | None = None,
    statuses: dict[date, RecordedStatus] | None = None,
    from_day: date | None = None,
) -> list[SpellDayFacts]:
    return derive_spell_days(
        admitted_at=admitted_at,
        states=states,
        day_statuses=statuses or {},
        discharged_at=discharged_at,
        last_census_at=last_census_at or states[-1].observed_at,
        tz=LONDON,
        from_day=from_day,
    )


def nctr_days(days: list[SpellDayFacts]) -> list[date]:
    return [d.day for d in days if d.nctr]


D = date  # short for the many dates below


def test_drd_set_on_time_counts_from_that_day() -> None:
    # Admitted 1 Mar 10:00; census 2 Mar says no DRD; census 4 Mar says DRD 4 Mar (P1 home
    # care, social care). Still in, latest census 6 Mar 08:00 → bed days 1..6 Mar (6 rows),
    # NCtR 4, 5, 6 Mar (3 days), the 6 Mar row provisional.
    states = [
        state(at(2026, 3, 2)),
        state(
            at(2026, 3, 4),
            drd=D(2026, 3, 4),
            pathway=1,
            reason="P1_HOMECARE",
            agency="social_care",
        ),
    ]
    days = derive(at(2026, 3, 1, 10), states, last_census_at=at(2026, 3, 6))
    assert [d.day for d in days] == [D(2026, 3, n) for n in range(1, 7)]
    assert nctr_days(days) == [D(2026, 3, 4), D(2026, 3, 5), D(2026, 3, 6)]
    for d in days:
        if d.nctr:
            assert (d.discharge_ready_date, d.delay_reason_code, d.delay_attributable_to) == (
                D(2026, 3, 4),
                "P1_HOMECARE",
                "social_care",
            )
            assert d.pathway == 1
        else:
            # not delayed: no DRD, no reason, no agency — never counted as a delay
            assert (d.discharge_ready_date, d.delay_reason_code, d.delay_attributable_to) == (
                None,
                None,
                None,
            )


def test_drd_recorded_a_day_late_counts_from_the_earlier_day() -> None:
    # Censuses 2 and 3 Mar say no DRD; the census of 4 Mar says DRD 3 Mar (reason E).
    # Discharged 6 Mar 14:00 → bed days 1..5 Mar. NCtR: 3 Mar (the late DRD reaches back over
    # it, although the 3 Mar census said no DRD), 4 and 5 Mar → 3 days = 6 Mar − 3 Mar.
    states = [
        state(at(2026, 3, 2)),
        state(at(2026, 3, 3)),
        state(at(2026, 3, 4), drd=D(2026, 3, 3), reason="E", agency="social_care"),
    ]
    days = derive(at(2026, 3, 1, 10), states, discharged_at=at(2026, 3, 6, 14))
    assert [d.day for d in days] == [D(2026, 3, n) for n in range(1, 6)]
    assert nctr_days(days) == [D(2026, 3, 3), D(2026, 3, 4), D(2026, 3, 5)]
    # the reached-back day takes the reason of the census that first recorded the DRD
    assert days[2].delay_reason_code == "E"
    assert days[2].discharge_ready_date == D(2026, 3, 3)
    facts = discharge_facts(states=states, discharged_at=at(2026, 3, 6, 14), tz=LONDON)
    assert facts.drd_at_discharge == D(2026, 3, 3)
    assert facts.delay_reason_at_discharge == "E"


def test_late_drd_takes_the_reason_of_the_census_that_first_recorded_it() -> None:
    # 5 Mar census: DRD 3 Mar, reason A. 6 Mar census: same DRD, reason E. For 3 and 4 Mar
    # (reached back over) the reason is A (first recorded); 5 Mar → A (latest census on or
    # before 5 Mar); 6 Mar → E.
    states = [
        state(at(2026, 3, 2)),
        state(at(2026, 3, 5), drd=D(2026, 3, 3), reason="A"),
        state(at(2026, 3, 6), drd=D(2026, 3, 3), reason="E"),
    ]
    days = derive(at(2026, 3, 1, 10), states)
    assert {d.day.day: d.delay_reason_code for d in days if d.nctr} == {
        3: "A",
        4: "A",
        5: "A",
        6: "E",
    }


def test_drd_cleared_and_set_again() -> None:
    # DRD 2 Mar (reason A) from the 2 Mar census; cleared by the 4 Mar census (criteria to
    # reside met again); a new DRD 6 Mar (reason E) from the 6 Mar census; discharged
    # 8 Mar 11:00 → bed days 1..7 Mar.
    # End of 2 and 3 Mar: latest census = 2 Mar, DRD ≤ day → NCtR, reason A.
    # End of 4 and 5 Mar: latest census = 4 Mar, no DRD; no later census has a DRD ≤ the day
    # (6 Mar > 5 Mar) → not NCtR. End of 6 and 7 Mar: NCtR, reason E.
    states = [
        state(at(2026, 3, 2), drd=D(2026, 3, 2), reason="A", agency="social_care"),
        state(at(2026, 3, 4)),
        state(at(2026, 3, 6), drd=D(2026, 3, 6), reason="E", agency="social_care"),
    ]
    discharged = at(2026, 3, 8, 11)
    days = derive(at(2026, 3, 1, 9), states, discharged_at=discharged)
    assert len(days) == 7
    assert nctr_days(days) == [D(2026, 3, 2), D(2026, 3, 3), D(2026, 3, 6), D(2026, 3, 7)]
    assert Counter(d.delay_reason_code for d in days if d.nctr) == {"A": 2, "E": 2}
    assert [d.discharge_ready_date for d in days if d.nctr] == [
        D(2026, 3, 2),
        D(2026, 3, 2),
        D(2026, 3, 6),
        D(2026, 3, 6),
    ]
    # the DRD in force at discharge is the start of the final period (§4.4): 8 − 6 = 2 days
    facts = discharge_facts(states=states, discharged_at=discharged, tz=LONDON)
    assert facts.drd_at_discharge == D(2026, 3, 6)


def test_reason_and_ward_change_mid_stay_attribute_each_day() -> None:
    # 2 Mar 08:00: ward W1, DRD 2 Mar, awaiting social care assessment (social care).
    # 4 Mar 15:00: ward W2, same DRD, now awaiting a P2 bed (NHS), pathway 2.
    # Latest census 5 Mar 08:00 → bed days 1..5 Mar.
    # 1 Mar: before the first census → its ward W1; DRD 2 Mar > 1 Mar → not NCtR.
    # 2, 3 Mar: W1, ASSESS_SOCIAL, social_care.  4, 5 Mar: the 15:00 census is on 4 Mar, so
    # the end of 4 Mar is W2, P2_BED, nhs.
    states = [
        state(at(2026, 3, 2), "W1", D(2026, 3, 2), reason="ASSESS_SOCIAL", agency="social_care"),
        state(at(2026, 3, 4, 15), "W2", D(2026, 3, 2), pathway=2, reason="P2_BED", agency="nhs"),
    ]
    days = derive(at(2026, 3, 1, 10), states, last_census_at=at(2026, 3, 5))
    assert [
        (d.day.day, d.ward_code, d.nctr, d.delay_reason_code, d.delay_attributable_to) for d in days
    ] == [
        (1, "W1", False, None, None),
        (2, "W1", True, "ASSESS_SOCIAL", "social_care"),
        (3, "W1", True, "ASSESS_SOCIAL", "social_care"),
        (4, "W2", True, "P2_BED", "nhs"),
        (5, "W2", True, "P2_BED", "nhs"),
    ]
    assert Counter(d.delay_attributable_to for d in days if d.nctr) == {"social_care": 2, "nhs": 2}


def test_discharge_around_midnight() -> None:
    # Admitted 1 Mar 10:00. A bed day is a day whose end (the midnight census) finds the
    # patient in: discharged 2 Mar 23:59 → only 1 Mar; at 3 Mar 00:00 exactly (local date
    # 3 Mar) → 1 and 2 Mar; at 3 Mar 00:01 → 1 and 2 Mar.
    states = [state(at(2026, 3, 1, 12))]
    admitted = at(2026, 3, 1, 10)
    for discharged, expected in (
        (at(2026, 3, 2, 23, 59), [1]),
        (at(2026, 3, 3, 0, 0), [1, 2]),
        (at(2026, 3, 3, 0, 1), [1, 2]),
    ):
        days = derive(admitted, states, discharged_at=discharged)
        assert [d.day.day for d in days] == expected


def test_admitted_just_before_midnight_is_one_bed_day() -> None:
    # In at 23:59 on 1 Mar, out at 00:01 on 2 Mar: the midnight census of 1 Mar counts them.
    days = derive(
        at(2026, 3, 1, 23, 59), [state(at(2026, 3, 1, 23, 59))], discharged_at=at(2026, 3, 2, 0, 1)
    )
    assert [d.day for d in days] == [D(2026, 3, 1)]


def test_admitted_and_discharged_the_same_day_has_no_bed_day() -> None:
    days = derive(at(2026, 3, 1, 9), [state(at(2026, 3, 1, 12))], discharged_at=at(2026, 3, 1, 18))
    assert days == []


def test_discharge_on_the_day_of_the_latest_census_removes_the_provisional_row() -> None:
    # Latest census 3 Mar 08:00: rows 1..3 Mar, 3 Mar provisional. Discharged 3 Mar 16:00 →
    # the end of 3 Mar does not find the patient in: rows 1..2 Mar.
    states = [state(at(2026, 3, 3))]
    assert len(derive(at(2026, 3, 1, 10), states)) == 3
    days = derive(at(2026, 3, 1, 10), states, discharged_at=at(2026, 3, 3, 16))
    assert [d.day.day for d in days] == [1, 2]


def test_clock_change_days_are_one_row_each() -> None:
    # Clocks go back on Sunday 25 Oct 2026 (a 25-hour day) and forward on 29 Mar 2026 (23
    # hours). Admitted 24 Oct 10:00, discharged 27 Oct 10:00 → 24, 25, 26 Oct: one row each.
    days = derive(
        at(2026, 10, 24, 10), [state(at(2026, 10, 24, 12))], discharged_at=at(2026, 10, 27, 10)
    )
    assert [d.day for d in days] == [D(2026, 10, 24), D(2026, 10, 25), D(2026, 10, 26)]
    days = derive(
        at(2026, 3, 28, 10), [state(at(2026, 3, 28, 12))], discharged_at=at(2026, 3, 31, 10)
    )
    assert [d.day for d in days] == [D(2026, 3, 28), D(2026, 3, 29), D(2026, 3, 30)]


def test_census_just_after_local_midnight_in_bst_belongs_to_the_local_day() -> None:
    # 25 Oct 2026 00:30 BST is 24 Oct 23:30 UTC. A census then moving the patient to W2 is a
    # census of 25 Oct: the end of 24 Oct is still W1, the end of 25 Oct W2. (Taking the UTC
    # date would wrongly move 24 Oct to W2.)
    bst_half_past_midnight = at(2026, 10, 25, 0, 30)
    assert bst_half_past_midnight.date() == D(2026, 10, 24)  # the UTC date
    states = [state(at(2026, 10, 24, 8), "W1"), state(bst_half_past_midnight, "W2")]
    days = derive(at(2026, 10, 23, 10), states, last_census_at=at(2026, 10, 26, 8))
    assert [(d.day.day, d.ward_code) for d in days] == [
        (23, "W1"),
        (24, "W1"),
        (25, "W2"),
        (26, "W2"),
    ]


def test_never_cleared_drd_counts_discharge_date_minus_drd() -> None:
    # DRD 10 Mar recorded on 10 Mar, reason kept, discharged 20 Mar 09:00: delayed days are
    # 10..19 Mar = 20 − 10 = 10; the spell has 19 bed days (1..19 Mar).
    states = [
        state(at(2026, 3, 1, 12)),
        state(at(2026, 3, 10), drd=D(2026, 3, 10), reason="DII", agency="both", pathway=3),
        state(at(2026, 3, 15), "W4", D(2026, 3, 10), reason="DII", agency="both", pathway=3),
    ]
    discharged = at(2026, 3, 20, 9)
    days = derive(at(2026, 3, 1, 10), states, discharged_at=discharged)
    assert len(days) == 19
    assert len(nctr_days(days)) == (D(2026, 3, 20) - D(2026, 3, 10)).days == 10
    facts = discharge_facts(states=states, discharged_at=discharged, tz=LONDON)
    assert (facts.drd_at_discharge, facts.pathway_at_discharge) == (D(2026, 3, 10), 3)


def test_never_cleared_late_drd_still_counts_discharge_date_minus_drd() -> None:
    # DRD 5 Mar first sent by the census of 9 Mar; discharged 12 Mar 10:00 → 5..11 Mar = 7.
    states = [
        state(at(2026, 3, 2)),
        state(at(2026, 3, 9), drd=D(2026, 3, 5), reason="G"),
    ]
    days = derive(at(2026, 3, 1, 10), states, discharged_at=at(2026, 3, 12, 10))
    assert len(nctr_days(days)) == (D(2026, 3, 12) - D(2026, 3, 5)).days == 7


def test_a_future_drd_does_not_count_until_its_day() -> None:
    # The 2 Mar census gives a DRD of 5 Mar: 2..4 Mar are not delayed, 5 and 6 Mar are.
    states = [state(at(2026, 3, 2), drd=D(2026, 3, 5), reason="E")]
    days = derive(at(2026, 3, 1, 10), states, last_census_at=at(2026, 3, 6))
    assert nctr_days(days) == [D(2026, 3, 5), D(2026, 3, 6)]


def test_a_drd_revised_later_keeps_the_days_already_stated() -> None:
    # 2 Mar census: DRD 2 Mar. 4 Mar census: DRD 4 Mar. Each census's statement stands: 2 and
    # 3 Mar stay delayed (DRD 2 Mar), 4 and 5 Mar run from the revised DRD 4 Mar.
    states = [
        state(at(2026, 3, 2), drd=D(2026, 3, 2), reason="A"),
        state(at(2026, 3, 4), drd=D(2026, 3, 4), reason="A"),
    ]
    days = derive(at(2026, 3, 1, 10), states, last_census_at=at(2026, 3, 5))
    assert [(d.day.day, d.discharge_ready_date) for d in days if d.nctr] == [
        (2, D(2026, 3, 2)),
        (3, D(2026, 3, 2)),
        (4, D(2026, 3, 4)),
        (5, D(2026, 3, 4)),
    ]


def test_red2green_recorded_wins_nctr_unrecorded_is_red_others_not_recorded() -> None:
    # NCtR from 3 Mar (reason P1_HOMECARE), latest census 6 Mar → bed days 1..6 Mar.
    # 1 Mar: nothing recorded, not NCtR → not_recorded.
    # 2 Mar: red recorded, reason DIAGNOSTICS, not NCtR → red, DIAGNOSTICS.
    # 3 Mar: green recorded on an NCtR day → green (recorded wins), no reason.
    # 4 Mar: red recorded without a reason on an NCtR day → red with the delay reason.
    # 5 Mar: nothing recorded, NCtR → red with the delay reason.
    # 6 Mar: red recorded, no reason, … NCtR → red, P1_HOMECARE.
    states = [
        state(at(2026, 3, 2)),
        state(at(2026, 3, 3), drd=D(2026, 3, 3), reason="P1_HOMECARE", agency="social_care"),
    ]
    statuses = {
        D(2026, 3, 2): RecordedStatus("red", "DIAGNOSTICS"),
        D(2026, 3, 3): RecordedStatus("green"),
        D(2026, 3, 4): RecordedStatus("red"),
        D(2026, 3, 6): RecordedStatus("red"),
    }
    days = derive(at(2026, 3, 1, 10), states, last_census_at=at(2026, 3, 6), statuses=statuses)
    assert [(d.day.day, d.day_status_recorded, d.r2g_status, d.r2g_reason_code) for d in days] == [
        (1, None, "not_recorded", None),
        (2, "red", "red", "DIAGNOSTICS"),
        (3, "green", "green", None),
        (4, "red", "red", "P1_HOMECARE"),
        (5, None, "red", "P1_HOMECARE"),
        (6, "red", "red", "P1_HOMECARE"),
    ]
    # red ÷ (red + green) = 4 ÷ 5; one not recorded
    assert Counter(d.r2g_status for d in days) == {"red": 4, "green": 1, "not_recorded": 1}


def test_red_recorded_without_reason_on_a_day_not_nctr_has_no_reason() -> None:
    days = derive(
        at(2026, 3, 1, 10),
        [state(at(2026, 3, 1, 12))],
        statuses={D(2026, 3, 1): RecordedStatus("red")},
    )
    assert (days[0].r2g_status, days[0].r2g_reason_code) == ("red", None)


def test_council_of_a_reached_back_day_comes_from_the_census_that_recorded_the_drd() -> None:
    # The 2 Mar census gives no council; the 4 Mar census gives DRD 3 Mar and council
    # E10000016. 3 Mar (reached back) is attributed to that council; 1 and 2 Mar (not
    # delayed) keep what their census said (none).
    states = [
        state(at(2026, 3, 2), council=None),
        state(at(2026, 3, 4), drd=D(2026, 3, 3), reason="E", council="E10000016"),
    ]
    days = derive(at(2026, 3, 1, 10), states)
    assert [(d.day.day, d.local_authority_code) for d in days] == [
        (1, None),
        (2, None),
        (3, "E10000016"),
        (4, "E10000016"),
    ]


def test_from_day_gives_the_tail_of_the_full_derivation() -> None:
    states = [
        state(at(2026, 3, 2)),
        state(at(2026, 3, 5), "W2", D(2026, 3, 3), reason="A"),
        state(at(2026, 3, 7)),
    ]
    full = derive(at(2026, 3, 1, 10), states, last_census_at=at(2026, 3, 9))
    tail = derive(at(2026, 3, 1, 10), states, last_census_at=at(2026, 3, 9), from_day=D(2026, 3, 4))
    assert tail == [d for d in full if d.day >= D(2026, 3, 4)]


def test_discharge_facts() -> None:
    discharged = at(2026, 3, 8, 11)
    in_force = state(at(2026, 3, 6), drd=D(2026, 3, 6), pathway=1, reason="E")
    # a discharge row after the discharge without a DRD does not end the period
    after_without = state(at(2026, 3, 8, 12), pathway=1)
    facts = discharge_facts(states=[in_force, after_without], discharged_at=discharged, tz=LONDON)
    assert (facts.drd_at_discharge, facts.pathway_at_discharge) == (D(2026, 3, 6), 1)
    assert facts.delay_reason_at_discharge == "E"
    # a discharge row carrying a DRD counts as of the discharge
    after_with = state(at(2026, 3, 8, 12), drd=D(2026, 3, 7), pathway=2, reason="C")
    facts = discharge_facts(
        states=[state(at(2026, 3, 6)), after_with], discharged_at=discharged, tz=LONDON
    )
    assert (
        facts.drd_at_discharge,
        facts.pathway_at_discharge,
        facts.delay_reason_at_discharge,
    ) == (
        D(2026, 3, 7),
        2,
        "C",
    )
    # cleared before the discharge: not NCtR at discharge, but the pathway is kept
    cleared = [in_force, state(at(2026, 3, 7), pathway=0)]
    facts = discharge_facts(states=cleared, discharged_at=discharged, tz=LONDON)
    assert (
        facts.drd_at_discharge,
        facts.pathway_at_discharge,
        facts.delay_reason_at_discharge,
    ) == (
        None,
        0,
        None,
    )
    # a DRD on the discharge day: discharged on the DRD (0 days beyond it)
    same_day = [state(at(2026, 3, 8, 9), drd=D(2026, 3, 8), reason="E")]
    facts = discharge_facts(states=same_day, discharged_at=discharged, tz=LONDON)
    assert facts.drd_at_discharge == D(2026, 3, 8)
    # a DRD after the discharge date: not NCtR
    future = [state(at(2026, 3, 6), drd=D(2026, 3, 9), reason="E")]
    assert (
        discharge_facts(states=future, discharged_at=discharged, tz=LONDON).drd_at_discharge is None
    )
