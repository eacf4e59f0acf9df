"""The coordinator's numbers: delayed days narrowed by every filter and by reason category, and a
patient's facts (names; days beyond the DRD beside delayed bed days).

The small system of ``tests/test_metrics_scenario.py`` (its module docstring and its day-by-day
table), loaded through the real ingest path. Its 23 delayed days of 24 Oct – 2 Nov, by hand:

    S1  RXA01 A1, Derbyshire, P3, P3_NURSING (agency both): 24 Oct – 2 Nov = 10 days;
        DRD 20 Oct, so 4, 5, …, 13 days beyond it on those days
    S2  RXA01, Derby, P1, agency social care: 27 Oct A1 P1_HOMECARE, 28 Oct A2 P1_HOMECARE,
        29–30 Oct A2 ASSESS_SOCIAL = 4 days; DRD 27 Oct: 0, 1, 2, 3 days beyond
    S4  RXA01 A1, Derby, P1, agency both: 25–27 Oct EQUIPMENT (DRD 25 Oct: 0, 1, 2 beyond),
        30–31 Oct P1_REABLEMENT (DRD 30 Oct: 0, 1 beyond) = 5 days
    S5  RXB01 B1, Derbyshire, P3, DI (the historic DTOC code, agency social care):
        29 Oct – 1 Nov = 4 days; DRD 29 Oct: 0, 1, 2, 3 beyond
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.metrics import flow, patient_level
from app.metrics.errors import InvalidParameter
from tests.test_metrics_scenario import DERBY, DERBYSHIRE, SITE_A, client  # noqa: F401

START, END = date(2026, 10, 24), date(2026, 11, 2)


@pytest.fixture
def scenario(
    client: TestClient,  # noqa: F811 — the scenario's fixture, loaded once per database
    database_url: str,
    _engines: dict[str, Engine],
) -> Iterator[Session]:
    with Session(_engines[database_url]) as session:
        yield session


def by(session: Session, group_by: str | None = None, **filters: Any) -> dict[str | None, int]:
    result = flow.delayed_days(session, start=START, end=END, group_by=group_by, **filters)
    if group_by is None:
        return {None: result.total}
    assert result.total == sum(g.delayed_days for g in result.groups)
    return {g.key: g.delayed_days for g in result.groups}


def test_no_filter_is_the_whole_periods_delayed_days(scenario: Session) -> None:
    assert by(scenario) == {None: 23}  # 10 + 4 + 5 + 4


def test_the_council_filter_changes_the_reasons(scenario: Session) -> None:
    # Derby: S2 (P1_HOMECARE 2, ASSESS_SOCIAL 2) and S4 (EQUIPMENT 3, P1_REABLEMENT 2)
    assert by(scenario, "reason", local_authority=DERBY) == {
        "EQUIPMENT": 3,
        "ASSESS_SOCIAL": 2,
        "P1_HOMECARE": 2,
        "P1_REABLEMENT": 2,
    }
    # Derbyshire: S1 10 P3_NURSING, S5 4 DI; a council code is matched whatever its case
    assert by(scenario, "reason", local_authority=DERBYSHIRE.lower()) == {
        "P3_NURSING": 10,
        "DI": 4,
    }


def test_the_pathway_reason_agency_and_ward_filters(scenario: Session) -> None:
    # pathway 3: S1 (both) 10, S5 (social care) 4
    assert by(scenario, "agency", pathway=3) == {"both": 10, "social_care": 4}
    # pathway 1 by council: S2 4 + S4 5, all Derby
    assert by(scenario, "local_authority", pathway=1) == {DERBY: 9}
    # social care: S2 4 (A1 1, A2 3) and S5 4 (B1)
    assert by(scenario, "ward", agency="social_care") == {
        "RXA01/A2": 3,
        "RXB01/B1": 4,
        "RXA01/A1": 1,
    }
    # one reason at one site: EQUIPMENT is S4's 25–27 Oct
    assert by(scenario, "pathway", site=SITE_A, reason="equipment") == {"1": 3}
    # ward A2 of RXA01: S2 28–30 Oct, P1_HOMECARE once then ASSESS_SOCIAL twice
    assert by(scenario, "reason", site=SITE_A, ward="A2") == {"ASSESS_SOCIAL": 2, "P1_HOMECARE": 1}
    # filters combine: Derby and pathway 3 share no delayed day
    assert by(scenario, "reason", local_authority=DERBY, pathway=3) == {}
    assert by(scenario, local_authority=DERBY, pathway=3) == {None: 0}


def test_minimum_days_beyond_the_ready_date_keeps_the_days_that_far_beyond(
    scenario: Session,
) -> None:
    # ≥ 3 days beyond the DRD in force on the day: S1 all 10 (4–13), S2 30 Oct (3, ASSESS_SOCIAL),
    # S5 1 Nov (3, DI); S4 never passes 2
    assert by(scenario, "reason", min_days=3) == {"P3_NURSING": 10, "ASSESS_SOCIAL": 1, "DI": 1}
    # ≥ 5: S1 from 25 Oct (5) to 2 Nov (13) = 9 days; nobody else
    assert by(scenario, min_days=5) == {None: 9}
    # 0 keeps every delayed day (each is at least 0 days beyond its DRD)
    assert by(scenario, min_days=0) == {None: 23}
    # with another filter: Derby, ≥ 1 day: S2 28–30 (3), S4 26, 27 and 31 Oct (3)
    assert by(scenario, "reason", local_authority=DERBY, min_days=1) == {
        "EQUIPMENT": 2,
        "ASSESS_SOCIAL": 2,
        "P1_HOMECARE": 1,
        "P1_REABLEMENT": 1,
    }
    with pytest.raises(InvalidParameter):
        flow.delayed_days(scenario, start=START, end=END, min_days=-1)


def test_current_and_historic_codes_roll_up_by_category(scenario: Session) -> None:
    result = flow.delayed_days_by_category(scenario, start=START, end=END)
    assert result.total == 23
    rolled = [
        (c.key, c.label, c.delayed_days, [(g.key, g.delayed_days) for g in c.codes])
        for c in result.categories
    ]
    assert rolled == [
        # the current code P3_NURSING (10) and the historic DTOC code DI (4): one category
        (
            "awaiting_p3_care_home",
            "Awaiting a care home (pathway 3)",
            14,
            [("P3_NURSING", 10), ("DI", 4)],
        ),
        # P1_HOMECARE 2 + P1_REABLEMENT 2
        (
            "awaiting_p1_home_care",
            "Awaiting home care (pathway 1)",
            4,
            [("P1_HOMECARE", 2), ("P1_REABLEMENT", 2)],
        ),
        ("equipment_adaptations", "Equipment or adaptations", 3, [("EQUIPMENT", 3)]),
        ("awaiting_assessment", "Awaiting assessment", 2, [("ASSESS_SOCIAL", 2)]),
    ]
    # the same filters as the bars: Derbyshire only
    derbyshire = flow.delayed_days_by_category(
        scenario, start=START, end=END, local_authority=DERBYSHIRE
    )
    assert [(c.key, c.delayed_days) for c in derbyshire.categories] == [
        ("awaiting_p3_care_home", 14)
    ]


# --- the patient page's facts: names, and days beyond the DRD beside delayed bed days -------


def test_journey_names_the_site_ward_and_council(scenario: Session) -> None:
    spell = patient_level.journey(scenario, "S1", at=datetime(2026, 11, 2, 12, tzinfo=UTC)).spell
    assert (spell.site_name, spell.ward_name, spell.local_authority_name) == (
        "Northgate General",
        "Ash",
        "Derbyshire",
    )
    events = patient_level.journey(scenario, "S2").events
    labels = [e.label for e in events if e.type in ("admitted", "ward_changed")]
    assert labels == ["Admitted to ward: Ash", "Moved ward: Ash → Beech"]


def test_days_beyond_the_drd_and_delayed_bed_days_differ_as_designed(scenario: Session) -> None:
    def facts(spell_id: str, at: datetime | None = None) -> tuple[int, int | None]:
        spell = patient_level.journey(scenario, spell_id, at=at).spell
        return spell.delayed_days, spell.days_beyond_drd

    # S1, in hospital on 2 Nov: DRD 20 Oct → 2 Nov − 20 Oct = 13 days beyond; delayed bed days
    # 20 Oct … 2 Nov = 14: the DRD's own day counts, and today's end finds the patient here
    assert facts("S1", datetime(2026, 11, 2, 12, tzinfo=UTC)) == (14, 13)
    # S2, one unbroken delay, discharged 31 Oct: 31 Oct − 27 Oct = 4, and 27–30 Oct = 4
    assert facts("S2") == (4, 4)
    # S4: DRD 25 Oct (recorded late) cleared on the 28th, set again 30 Oct, discharged 1 Nov:
    # days beyond count from the DRD in force at discharge (1 Nov − 30 Oct = 2); delayed bed
    # days count both periods (25–27 Oct 3 + 30–31 Oct 2 = 5)
    assert facts("S4") == (5, 2)
    # S8 never lost the criteria to reside: no days beyond, no delayed day
    assert facts("S8", datetime(2026, 11, 2, 12, tzinfo=UTC)) == (0, None)
