"""Meetings (DESIGN.md §4.13): the largest blockages by hand, the agenda's lines and their
scope, and the ``/api/v1/meetings`` API with its minutes as CSV and offline HTML (the store
itself: ``tests/test_meetings_store.py``).

The blockages and the agenda use the small system of ``tests/test_metrics_scenario.py``. Its
delayed days of 24 Oct – 2 Nov by reason × pathway × council, by hand (from that module's
docstring, as ``tests/test_metrics_blockage_filters.py`` lists them):

    S1  P3_NURSING, pathway 3, Derbyshire: 24 Oct – 2 Nov               = 10
    S2  P1_HOMECARE, pathway 1, Derby: 27, 28 Oct                         = 2
        ASSESS_SOCIAL, pathway 1, Derby: 29, 30 Oct                       = 2
    S4  EQUIPMENT, pathway 1, Derby: 25–27 Oct                            = 3
        P1_REABLEMENT, pathway 1, Derby: 30, 31 Oct                       = 2
    S5  DI, pathway 3, Derbyshire (site RXB01): 29 Oct – 1 Nov            = 4
                                                                  total  23
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.metrics import blockages
from app.metrics.meeting_agenda import metrics_agenda, spc_signal
from app.metrics.registry import METRICS, get_metric
from app.metrics.schemas import WeeklyTrend
from tests.test_metrics_scenario import DERBY, DERBYSHIRE, SITE_B, client  # noqa: F401

START, END = date(2026, 10, 24), date(2026, 11, 2)
VALID_NHS = "9990000018"  # the synthetic range, a valid check digit


@pytest.fixture
def scenario(
    client: TestClient,  # noqa: F811 — the scenario's fixture, loaded once per database
    database_url: str,
    _engines: dict[str, Engine],
) -> Iterator[Session]:
    with Session(_engines[database_url]) as session:
        yield session


def _cells(result: blockages.Blockages) -> list[tuple[str | None, str | None, str | None, int]]:
    return [(b.reason, b.pathway, b.council, b.delayed_days) for b in result.blockages]


# -- the largest blockages -----------------------------------------------------------------


def test_largest_blockages_rank_reason_pathway_council_by_hand(scenario: Session) -> None:
    result = blockages.largest_blockages(scenario, start=START, end=END)
    assert result.total == 23
    # largest first; the three of 2 days in reason-code order
    assert _cells(result) == [
        ("P3_NURSING", "3", DERBYSHIRE, 10),
        ("DI", "3", DERBYSHIRE, 4),
        ("EQUIPMENT", "1", DERBY, 3),
        ("ASSESS_SOCIAL", "1", DERBY, 2),
        ("P1_HOMECARE", "1", DERBY, 2),
        ("P1_REABLEMENT", "1", DERBY, 2),
    ]
    first = result.blockages[0]
    assert first.council_name == "Derbyshire"
    assert first.share == pytest.approx(10 / 23)


def test_blockages_limit_site_and_period(scenario: Session) -> None:
    top2 = blockages.largest_blockages(scenario, start=START, end=END, limit=2)
    assert _cells(top2) == [("P3_NURSING", "3", DERBYSHIRE, 10), ("DI", "3", DERBYSHIRE, 4)]
    assert top2.total == 23  # the period's total, not the two shown
    # Southfield (RXB01) holds only S5
    site_b = blockages.largest_blockages(scenario, start=START, end=END, site=SITE_B)
    assert (site_b.total, _cells(site_b)) == (4, [("DI", "3", DERBYSHIRE, 4)])
    # 31 Oct – 2 Nov: S1 3 days, S4 P1_REABLEMENT 31 Oct 1 day, S5 31 Oct and 1 Nov 2 days
    late = blockages.largest_blockages(scenario, start=date(2026, 10, 31), end=END)
    assert _cells(late) == [
        ("P3_NURSING", "3", DERBYSHIRE, 3),
        ("DI", "3", DERBYSHIRE, 2),
        ("P1_REABLEMENT", "1", DERBY, 1),
    ]


def test_agenda_lines_carry_their_metric_and_scope(scenario: Session) -> None:
    # at 3 Nov 09:00: the blockages of the 7 days to 2 Nov (27 Oct – 2 Nov): S1 7, S5 DI 4,
    # S2 P1_HOMECARE 2 (27, 28) and ASSESS_SOCIAL 2, S4 P1_REABLEMENT 2, EQUIPMENT 1 (27 Oct)
    agenda = metrics_agenda(scenario, at=datetime(2026, 11, 3, 9, 0, tzinfo=UTC))
    assert (agenda.blockage_start, agenda.blockage_end) == (date(2026, 10, 27), END)
    assert agenda.blockage_total == 18  # 7 + 4 + 2 + 2 + 2 + 1
    lines = [
        (i.key, i.metric, i.scope.reason, i.scope.pathway, i.scope.council)
        for i in agenda.blockages
    ]
    assert lines == [
        ("blockage-1", "delayed_days", "P3_NURSING", "3", DERBYSHIRE),
        ("blockage-2", "delayed_days", "DI", "3", DERBYSHIRE),
        ("blockage-3", "delayed_days", "ASSESS_SOCIAL", "1", DERBY),
        ("blockage-4", "delayed_days", "P1_HOMECARE", "1", DERBY),
        ("blockage-5", "delayed_days", "P1_REABLEMENT", "1", DERBY),
    ]  # five lines: EQUIPMENT's 1 day is sixth
    assert agenda.blockages[0].text.endswith("Derbyshire: 7 delayed days (39% of all)")  # 7/18
    system = agenda.escalation[0]
    assert system.key == "escalation-system"
    assert system.text.startswith(f"System escalation level {agenda.escalation_level}: ")
    # the last complete week before Tue 3 Nov ends on Sunday 1 Nov
    assert agenda.week_ending == date(2026, 11, 1)
    assert all(item.metric in METRICS for item in agenda.spc_signals)


# -- the API -------------------------------------------------------------------------------


def test_meetings_api_agenda_minutes_and_refusals(client: TestClient) -> None:  # noqa: F811
    started = client.post("/api/v1/meetings", json={"kind": "weekly", "chair": "A Patel"})
    assert started.status_code == 201, started.text
    meeting_id = started.json()["id"]
    detail = client.get(f"/api/v1/meetings/{meeting_id}", params={"at": "2026-11-03T09:00:00Z"})
    assert detail.status_code == 200, detail.text
    body = detail.json()
    assert body["agenda"]["lines"]["blockage_total"] == 18  # as the agenda test, by hand
    first = body["agenda"]["lines"]["blockages"][0]
    assert first["scope"] == {
        "site": None,
        "council": DERBYSHIRE,
        "pathway": "3",
        "reason": "P3_NURSING",
    }
    # raise an action from that line, with its scope, and record a decision on it
    action = {
        "title": "Source 2 nursing beds",
        "organisation_kind": "council",
        "organisation_code": DERBYSHIRE,
        "owner": "C Brown",
        "due_date": "2026-12-11",
        "metric": first["metric"],
        "scope": {k: v for k, v in first["scope"].items() if v is not None},
    }
    raised = client.post(f"/api/v1/meetings/{meeting_id}/actions", json=action)
    assert raised.status_code == 201, raised.text
    decided = client.post(
        f"/api/v1/meetings/{meeting_id}/decisions",
        json={"text": "Ask the council for a P3 recovery plan", "agenda_item": first["text"]},
    )
    assert decided.status_code == 201, decided.text
    attendee = client.post(
        f"/api/v1/meetings/{meeting_id}/attendees",
        json={"name": "D Green", "organisation": "Derbyshire County Council"},
    )
    assert attendee.status_code == 201
    csv_text = client.get(f"/api/v1/meetings/{meeting_id}/minutes.csv")
    assert csv_text.status_code == 200 and csv_text.headers["content-type"].startswith("text/csv")
    assert "Source 2 nursing beds" in csv_text.text
    assert "Ask the council for a P3 recovery plan" in csv_text.text
    assert "Derbyshire County Council" in csv_text.text
    page = client.get(f"/api/v1/meetings/{meeting_id}/minutes.html")
    assert page.status_code == 200 and "attachment" in page.headers["content-disposition"]
    assert "Source 2 nursing beds" in page.text and "http" not in page.text
    # refusals: an NHS number (422, naming the field), an unknown meeting (404), a bad kind
    refused = client.post(
        f"/api/v1/meetings/{meeting_id}/decisions", json={"text": f"Call {VALID_NHS}"}
    )
    assert refused.status_code == 422 and "NHS number" in refused.text
    assert client.get("/api/v1/meetings/999999").status_code == 404
    assert client.post("/api/v1/meetings/999999/decisions", json={"text": "x"}).status_code == 404
    assert client.post("/api/v1/meetings", json={"kind": "monthly"}).status_code == 422
    bad_scope = dict(action, scope={"council": "E99999999"})
    assert client.post(f"/api/v1/meetings/{meeting_id}/actions", json=bad_scope).status_code == 422
    listed = client.get("/api/v1/meetings", params={"kind": "weekly"}).json()
    assert [m["id"] for m in listed["meetings"]] == [meeting_id]


def _point(week_ending: date, value: float | None, *, special: bool) -> dict[str, object]:
    return {
        "week_start": week_ending - timedelta(days=6),
        "week_ending": week_ending,
        "value": value,
        "mean": 100.0,
        "lower_limit": 80.0,
        "upper_limit": 120.0,
        "lower_near": None,
        "upper_near": None,
        "outside_limits": special,
        "run": False,
        "trend": False,
        "two_of_three": False,
        "special_cause": special,
        "point_type": "concern" if special else "common",
        "side": "high" if special else None,
    }


def _trend(points: list[dict[str, object]]) -> WeeklyTrend:
    return WeeklyTrend.model_validate(
        {
            "metric": get_metric("delayed_days").info(),
            "site": None,
            "weeks": len(points),
            "end": points[-1]["week_ending"],
            "mean": 100.0,
            "lower_limit": 80.0,
            "upper_limit": 120.0,
            "lower_near": None,
            "upper_near": None,
            "provisional": True,
            "variation_icon": "concern_high",
            "assurance_icon": "none",
            "points": points,
        }
    )


def test_an_spc_signal_is_the_latest_week_with_a_special_cause() -> None:
    sundays = [date(2026, 11, 1), date(2026, 11, 8), date(2026, 11, 15)]
    # the latest week with a value (15 Nov has none) is 8 Nov, 131 days: above the limit
    signal = spc_signal(
        _trend(
            [
                _point(sundays[0], 101, special=False),
                _point(sundays[1], 131, special=True),
                _point(sundays[2], None, special=False),
            ]
        )
    )
    assert signal is not None
    assert (signal.key, signal.section, signal.metric) == (
        "spc-delayed_days",
        "spc",
        "delayed_days",
    )
    assert signal.text == (
        "Delayed days (bed days lost): 131 days in the week ending 08 Nov 2026 (mean 100 days), "
        "special cause concern"
    )
    # a special cause earlier on but not in the latest week is not a signal of the week
    earlier = [_point(sundays[0], 131, special=True), _point(sundays[1], 101, special=False)]
    assert spc_signal(_trend(earlier)) is None
