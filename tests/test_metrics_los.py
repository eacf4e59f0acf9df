"""Overnight emergency length of stay (DESIGN §4.11): the weekly mean LOS of emergency
admissions discharged in the week with LOS ≥ 1, with its target at the baseline − 0.4 days.
Every expected value is worked out by hand below; times are Europe/London wall-clock.

The clocks go forward on Sun 29 Mar 2026 (01:00 GMT → 02:00 BST). Weeks (Mon–Sun):
W1 16–22 Mar, W2 23–29 Mar, W3 30 Mar–5 Apr.

    L1  emergency, admitted 1 Mar, in hospital throughout (every census lists it).
    E1  emergency, Mon 23 Mar 10:00 → Thu 26 Mar 12:00: LOS 3, W2.
    E2  emergency, Tue 24 Mar 09:00 → Tue 24 Mar 18:00: LOS 0, left out.
    E3  emergency, Sat 28 Mar 20:00 GMT → Sun 29 Mar 23:30 BST (22:30 UTC): LOS 1, W2 (the
        Sunday, the last day of the week).
    E4  emergency, Fri 27 Mar 23:30 GMT → Mon 30 Mar 00:30 BST (Sun 29 Mar 23:30 UTC: the UTC
        date is the Sunday, the local date the Monday): LOS 3, W3.
    E5  elective, Mon 23 Mar → Fri 27 Mar: LOS 4, left out (not an emergency).
    E6  emergency, Tue 31 Mar 00:30 BST (Mon 30 Mar 23:30 UTC) → Thu 2 Apr 10:00: LOS 2 from
        the local dates (3 from the UTC ones), W3.

W1: no overnight emergency discharge → no value. W2: (3 + 1) / 2 = 2.0. W3: (3 + 2) / 2 = 2.5.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.metrics import trends, weekly
from app.metrics.registry import get_metric
from tests.test_ingest_patients import apply, row

W1, W2, W3 = date(2026, 3, 22), date(2026, 3, 29), date(2026, 4, 5)

STAYS = {  # spell: (admitted, discharged, method)
    "E1": ("2026-03-23T10:00", "2026-03-26T12:00", "emergency"),
    "E2": ("2026-03-24T09:00", "2026-03-24T18:00", "emergency"),
    "E3": ("2026-03-28T20:00", "2026-03-29T23:30", "emergency"),
    "E4": ("2026-03-27T23:30", "2026-03-30T00:30", "emergency"),
    "E5": ("2026-03-23T08:00", "2026-03-27T15:00", "elective"),
    "E6": ("2026-03-31T00:30", "2026-04-02T10:00", "emergency"),
}
CENSUSES = ("2026-03-16T09:00", "2026-03-23T09:00", "2026-03-30T09:00", "2026-04-06T09:00")


def _load(session: Session) -> None:
    for previous, snapshot in zip(("", *CENSUSES), CENSUSES, strict=False):
        rows = [row("L1", snapshot, admitted="2026-03-01T10:00")]
        for spell_id, (admitted, discharged, method) in STAYS.items():
            if previous < discharged <= snapshot:
                rows.append(
                    row(
                        spell_id,
                        snapshot,
                        admitted=admitted,
                        admission_method=method,
                        discharged_at=discharged,
                        discharge_destination="usual_residence",
                    )
                )
        apply(session, rows)


def test_the_weekly_mean_leaves_out_same_day_and_elective_stays(session: Session) -> None:
    _load(session)
    values = weekly.weekly_overnight_emergency_los(session, [W1, W2, W3], None)
    assert values == [None, 2.0, 2.5]


def test_los_uses_london_dates_and_weeks(session: Session) -> None:
    _load(session)
    found = dict(
        ((d, los) for d, los in weekly.emergency_stays(session, date(2026, 3, 23), W3, None))
    )
    # E3 is the Sunday's, E4 the Monday's (by the London date of the discharge), E6 LOS 2
    assert found[date(2026, 3, 29)] == 1
    assert found[date(2026, 3, 30)] == 3
    assert found[date(2026, 4, 2)] == 2
    assert found[date(2026, 3, 24)] == 0


def test_the_week_boundary_in_gmt(session: Session) -> None:
    # Sun 1 Nov 2026 23:30 GMT is the Sunday's; Mon 2 Nov 00:10 GMT the next week's.
    apply(session, [row("L1", "2026-10-19T09:00", admitted="2026-10-01T10:00")])
    apply(
        session,
        [
            row("L1", "2026-11-02T09:00", admitted="2026-10-01T10:00"),
            row(
                "G1",
                "2026-11-02T09:00",
                admitted="2026-10-30T10:00",  # Fri → Sun: LOS 2
                discharged_at="2026-11-01T23:30",
                discharge_destination="usual_residence",
            ),
            row(
                "G2",
                "2026-11-02T09:00",
                admitted="2026-10-28T10:00",  # Wed → Mon: LOS 5
                discharged_at="2026-11-02T00:10",
                discharge_destination="usual_residence",
            ),
        ],
    )
    values = weekly.weekly_overnight_emergency_los(
        session, [date(2026, 11, 1), date(2026, 11, 8)], None
    )
    assert values == [2.0, 5.0]


def test_the_target_is_the_baseline_mean_less_0_4_days(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    _load(session)
    monkeypatch.setenv("HOMEWARD_LOS_BASELINE_WEEKS", "2")
    get_settings.cache_clear()
    trend = trends.weekly(session, metric="overnight_emergency_los", weeks=3, end=W3)
    assert [p.value for p in trend.points] == [None, 2.0, 2.5]
    # baseline: the first 2 weeks with a value onwards = W2, W3; mean 2.25; target 1.85
    assert trend.metric.target == pytest.approx(1.85)
    # mR̄ = 0.5: limits 2.25 ± 1.33 = 0.92 … 3.58; lower is better and the target lies
    # between the limits: hit and miss
    assert trend.mean == pytest.approx(2.25)
    assert trend.upper_limit == pytest.approx(3.58)
    assert trend.assurance_icon == "hit_and_miss"
    assert get_metric("overnight_emergency_los").target is None  # set from the chart only


def test_the_baseline_is_the_charts_first_weeks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEWARD_LOS_BASELINE_WEEKS", "2")
    get_settings.cache_clear()
    # the chart starts at its first value (position 1): baseline positions 1–2, values 3 and 2,
    # mean 2.5, target 2.1; xmr's baseline is the first 3 positions (the empty one included)
    assert trends.baseline_target([None, 3.0, 2.0, 1.0, 1.0], 0.4) == (3, pytest.approx(2.1))
    # a baseline as long as the chart: every week, mean (3 + 2) / 2 = 2.5
    assert trends.baseline_target([3.0, 2.0], 0.4) == (None, pytest.approx(2.1))
    assert trends.baseline_target([None, None], 0.4) == (None, None)
    get_settings.cache_clear()
