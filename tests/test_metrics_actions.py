"""Actions on the numbers (app.metrics.actions; docs/meetings.md "Actions"), on a hand-made
scenario on both databases: one general and acute ward of 100 beds whose occupancy on each
Sunday is set by hand, so the G&A occupancy series (a percentage of 100 beds) is the number of
beds occupied. The "what moved" means and the SPC verdict are worked out below by hand."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.actions import store
from app.actions.schemas import ActionCreate, ActionScope, Actor, StatusChange
from app.metrics import actions as metric_actions
from app.metrics import trends
from app.metrics.cache import data_version
from app.metrics.registry import METRICS
from models.capacity import BedSnapshot
from models.ingest import IngestRun
from models.reference import Council, Site, Ward
from tests.security_helpers import (  # noqa: F401
    FakeClock,
    build_secure_app,
    fast_password_hashing,
    sign_in,
)

WHO = Actor("tester", "coordinator")
REPORT_END = date(2026, 11, 29)  # a Sunday
# Sundays 6 Sep … 25 Oct: the 8 weeks before the action's week; 1 Nov: the action's week;
# 8 … 29 Nov: the 4 weeks after.
BEFORE = [95, 96, 95, 96, 95, 96, 95, 96]
ACTION_WEEK = 94
AFTER = [90, 89, 90, 89]
FIRST_SUNDAY = date(2026, 9, 6)


def build(engine: Engine) -> None:
    with Session(engine) as s:
        s.add_all(
            [
                Site(site_code="RXA01", name="Riverside", trust_code="RXA", trust_name="Riverside"),
                Site(site_code="RXB01", name="Hillside", trust_code="RXB", trust_name="Hillside"),
            ]
        )
        s.flush()
        ward = Ward(site_code="RXA01", ward_code="W1", ward_name="Ward 1", bed_base="general_acute")
        run = IngestRun(
            feed="beds", source="cli", started_at=datetime(2026, 9, 1, tzinfo=UTC), status="ok"
        )
        s.add_all([ward, run])
        s.flush()
        for week, occupied in enumerate([*BEFORE, ACTION_WEEK, *AFTER]):
            sunday = FIRST_SUNDAY + timedelta(weeks=week)
            s.add(
                BedSnapshot(
                    ward_id=ward.id,
                    snapshot_at=datetime.combine(sunday, datetime.min.time(), UTC)
                    + timedelta(hours=12),
                    ingest_run_id=run.id,
                    core_beds_open=100,
                    escalation_beds_open=0,
                    beds_occupied=occupied,
                    beds_closed=0,
                )
            )
        s.commit()


def raise_action(
    session: Session, title: str, raised: datetime, *, site: str | None = None, due: str = ""
) -> int:
    data = ActionCreate(
        title=title,
        organisation_kind="trust",
        organisation_code="RXA",
        owner="Ana Patel",
        due_date=date.fromisoformat(due) if due else raised.date() + timedelta(days=14),
        metric="ga_occupancy",
        scope=ActionScope(site=site),
    )
    return store.create_action(session, data, WHO, metrics=METRICS, now=raised).id


def test_what_moved_after_an_action(session: Session) -> None:
    build(session.get_bind())  # type: ignore[arg-type]
    wed = datetime(2026, 10, 28, 10, tzinfo=UTC)  # in the week ending Sunday 1 Nov
    judged = raise_action(session, "Open the discharge lounge at 08:00", wed)
    store.change_status(session, judged, StatusChange(status="done"), WHO, now=wed)
    raise_action(session, "Too recent to judge", datetime(2026, 11, 4, 10, tzinfo=UTC))
    dropped = raise_action(session, "Dropped", wed)
    store.change_status(session, dropped, StatusChange(status="dropped"), WHO, now=wed)

    moved = metric_actions.what_moved(session, end=REPORT_END)
    # 4 Nov is in the week ending 8 Nov: 8 Nov + 4 weeks = 6 Dec > 29 Nov, so not yet judged
    assert [e.title for e in moved.effects] == ["Open the discharge lounge at 08:00"]
    effect = moved.effects[0]
    assert effect.action_week_ending == date(2026, 11, 1)
    assert (effect.weeks_before, effect.weeks_after) == (8, 4)
    # before: (95+96)*4 / 8 = 95.5; after: (90+89)*2 / 4 = 89.5; the action's week (94) in
    # neither
    assert effect.mean_before == pytest.approx(95.5)
    assert effect.mean_after == pytest.approx(89.5)
    assert effect.change == pytest.approx(-6.0)
    assert effect.moved == "improved"  # occupancy: lower is better
    # limits on the 8 weeks before: every moving range is 1, so mR̄ = 1 and the limits are
    # 95.5 ± 2.66 = 92.84 … 98.16; 90 and 89 are below the lower limit: improvement
    assert effect.improvement_signal is True
    assert effect.concern_signal is False
    assert effect.site is None


def test_no_signal_when_the_weeks_after_stay_within_the_limits(session: Session) -> None:
    build(session.get_bind())  # type: ignore[arg-type]
    # raised in the week ending 25 Oct: before = 30 Aug … 18 Oct (30 Aug has no data: masked
    # before the first snapshot), after = 1 … 22 Nov
    raised = datetime(2026, 10, 21, 10, tzinfo=UTC)
    raise_action(session, "Earlier", raised)
    effect = metric_actions.what_moved(session, end=REPORT_END).effects[0]
    assert effect.action_week_ending == date(2026, 10, 25)
    # before: the 7 weeks 6 Sep … 18 Oct = 95, 96, 95, 96, 95, 96, 95 → 668 / 7
    assert effect.weeks_before == 7
    assert effect.mean_before == pytest.approx(668 / 7)
    # after: 1, 8, 15, 22 Nov = 94, 90, 89, 90 → 363 / 4 = 90.75
    assert effect.mean_after == pytest.approx(90.75)
    assert effect.moved == "improved"
    assert effect.improvement_signal is True  # 90 is below 95.43 − 2.66


def test_marks_on_the_weekly_trend_by_scope(session: Session, engine: Engine) -> None:
    build(engine)
    system_wide = raise_action(session, "System wide", datetime(2026, 10, 28, 10, tzinfo=UTC))
    at_b = raise_action(session, "At Hillside", datetime(2026, 11, 2, 10, tzinfo=UTC), site="RXB01")
    raise_action(session, "Before the window", datetime(2026, 8, 1, 10, tzinfo=UTC))

    def marked(site: str | None) -> list[tuple[int, date, date]]:
        trend = trends.weekly(session, metric="ga_occupancy", weeks=13, site=site, end=REPORT_END)
        return [(m.id, m.raised_on, m.week_ending) for m in trend.actions]

    both = [
        (system_wide, date(2026, 10, 28), date(2026, 11, 1)),
        (at_b, date(2026, 11, 2), date(2026, 11, 8)),
    ]
    assert marked(None) == both  # the system's chart: every action on the metric
    assert marked("RXB01") == both  # a site's: its own and the unscoped
    assert marked("RXA01") == both[:1]
    other = trends.weekly(session, metric="delayed_days", weeks=13, end=REPORT_END)
    assert other.actions == []


def test_actions_this_week(session: Session) -> None:
    build(session.get_bind())  # type: ignore[arg-type]
    # the week Mon 23 … Sun 29 Nov
    early = datetime(2026, 11, 10, 9, tzinfo=UTC)
    late = raise_action(session, "Late", early, due="2026-11-20")  # open, due before Sunday
    sunday_due = raise_action(session, "Due Sunday", early, due="2026-11-29")  # not overdue
    closed = raise_action(session, "Closed", early, due="2026-11-21")
    store.change_status(
        session, closed, StatusChange(status="done"), WHO, now=datetime(2026, 11, 24, tzinfo=UTC)
    )
    new = raise_action(session, "New", datetime(2026, 11, 25, 9, tzinfo=UTC), due="2026-12-20")
    raise_action(session, "Next week", datetime(2026, 11, 30, 9, tzinfo=UTC))

    week = metric_actions.this_week(session, week_end=REPORT_END)
    assert (week.week_start, week.week_end) == (date(2026, 11, 23), REPORT_END)
    assert [a.id for a in week.raised] == [new]
    assert [a.id for a in week.closed] == [closed]
    assert [a.id for a in week.overdue] == [late]
    assert sunday_due not in [a.id for a in week.overdue]


def test_the_data_version_moves_with_an_action(session: Session) -> None:
    build(session.get_bind())  # type: ignore[arg-type]
    before = data_version(session)
    action = raise_action(session, "One", datetime(2026, 11, 2, tzinfo=UTC))
    created = data_version(session)
    store.change_status(session, action, StatusChange(status="done"), WHO)
    assert len({before, created, data_version(session)}) == 3


def test_the_api_trend_marks_a_new_action_at_once(engine: Engine) -> None:
    """The trend answer is cached per data version: an action raised through the API shows on
    the very next answer, with its title, status, owner and the day it was raised."""
    build(engine)
    clock = FakeClock(datetime(2026, 11, 4, 10, tzinfo=UTC))  # a Wednesday
    client = TestClient(build_secure_app(clock=clock), raise_server_exceptions=False)
    sign_in(client, "analyst")
    url = "/api/v1/trends/weekly?metric=ga_occupancy&weeks=13&end=2026-11-29"
    first = client.get(url)
    assert first.status_code == 200 and first.json()["actions"] == []
    made = client.post(
        "/api/v1/actions",
        json={
            "title": "Board round before 10:00",
            "organisation_kind": "trust",
            "organisation_code": "RXA",
            "owner": "Ana Patel",
            "due_date": "2026-12-20",
            "metric": "ga_occupancy",
        },
    )
    assert made.status_code == 201, made.text
    marks = client.get(url).json()["actions"]
    assert [
        (m["title"], m["status"], m["owner"], m["raised_on"], m["week_ending"]) for m in marks
    ] == [("Board round before 10:00", "open", "Ana Patel", "2026-11-04", "2026-11-08")]


def test_open_and_overdue_by_organisation(session: Session) -> None:
    """The wall's counts: overdue the day after the due date, most overdue first."""
    build(session.get_bind())  # type: ignore[arg-type]
    with session.begin_nested():
        session.add(Council(local_authority_code="E06000901", name="Northshire Council"))
    session.commit()
    at = datetime(2026, 11, 2, 9, tzinfo=UTC)

    def make(title: str, kind: str, code: str, due: str) -> int:
        data = ActionCreate(
            title=title,
            organisation_kind=kind,  # type: ignore[arg-type]
            organisation_code=code,
            owner="Sam Reid",
            due_date=date.fromisoformat(due),
        )
        return store.create_action(session, data, WHO, metrics=METRICS, now=at).id

    make("Trust, due on the day", "trust", "RXA", "2026-11-10")
    make("Trust, later", "trust", "RXA", "2026-11-20")
    make("Council, a day late", "council", "E06000901", "2026-11-09")
    make("Council, two days late", "council", "E06000901", "2026-11-08")
    closed = make("Council, closed", "council", "E06000901", "2026-11-01")
    store.change_status(session, closed, StatusChange(status="done"), WHO, now=at)

    wall = metric_actions.by_organisation(session, today=date(2026, 11, 10))
    assert (wall.open, wall.overdue) == (4, 2)
    rows = [(o.name, o.open, o.overdue, o.overdue_titles) for o in wall.organisations]
    assert rows == [
        ("Northshire Council", 2, 2, ["Council, two days late", "Council, a day late"]),
        ("Riverside", 2, 0, []),  # the trust's name is its sites' trust_name
    ]
    # on the due day itself nothing of the trust's is overdue; the day after, one is
    next_day = metric_actions.by_organisation(session, today=date(2026, 11, 11))
    assert [(o.code, o.overdue) for o in next_day.organisations] == [
        ("E06000901", 2),
        ("RXA", 1),
    ]
