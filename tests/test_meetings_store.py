"""The meetings store (DESIGN.md §4.13): one meeting of a kind a day, attendees, decisions,
actions raised / updated / closed in a meeting, patient identifiers refused, and the actions
due or overdue by organisation for the agenda, each on a small hand-made store."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from app.actions import meetings, store
from app.actions.meeting_schemas import (
    ActionLinkCreate,
    AttendeeCreate,
    DecisionCreate,
    MeetingCreate,
)
from app.actions.schemas import ActionCreate, ActionScope, Actor, StatusChange
from app.api import meeting_minutes
from app.metrics.registry import METRICS
from app.security.roles import Role, allowed, rule_for
from models import Council, Site

VALID_NHS = "9990000018"  # the synthetic range, a valid check digit
CHAIR = Actor(name="chair.person", role="coordinator")


# -- the meetings store --------------------------------------------------------------------


def _reference(session: Session) -> None:
    session.add(Council(local_authority_code="E06000901", name="Riverside Council"))
    session.add(
        Site(site_code="RZZ01", name="Riverside General", trust_code="RZZ", trust_name="RZ Trust")
    )
    session.commit()


def _action(title: str, org: str, due: date, **scope: str) -> ActionCreate:
    kind = "council" if org.startswith("E") else "trust"
    return ActionCreate(
        title=title,
        organisation_kind=kind,
        organisation_code=org,
        owner="J Smith",
        due_date=due,
        metric="delayed_days",
        scope=ActionScope(**scope),
    )


NOW = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)


def test_a_meeting_of_a_kind_is_started_once_a_day(session: Session) -> None:
    first = meetings.start_meeting(session, MeetingCreate(kind="daily"), CHAIR, now=NOW)
    again = meetings.start_meeting(
        session, MeetingCreate(kind="daily", chair="A Patel"), CHAIR, now=NOW
    )
    weekly = meetings.start_meeting(session, MeetingCreate(kind="weekly"), CHAIR, now=NOW)
    assert again.id == first.id and again.chair == "A Patel"
    assert weekly.id != first.id
    assert first.meeting_date == TODAY and first.kind_label == "Daily escalation call"
    listed = meetings.list_meetings(session)
    assert sorted(m.id for m in listed.meetings) == sorted([first.id, weekly.id])
    with pytest.raises(meetings.MeetingNotFound):
        meetings.get_meeting(session, first.id + weekly.id + 100)


def test_minutes_keep_attendees_decisions_and_actions(session: Session) -> None:
    _reference(session)
    meeting = meetings.start_meeting(session, MeetingCreate(kind="weekly"), CHAIR, now=NOW)
    meetings.add_attendee(
        session, meeting.id, AttendeeCreate(name="B Jones", organisation="Riverside Council"), CHAIR
    )
    meetings.add_decision(
        session,
        meeting.id,
        DecisionCreate(text="Escalate P3 delays to the council", agenda_item="P3 line"),
        CHAIR,
        now=NOW,
    )
    raised = meetings.raise_action(
        session,
        meeting.id,
        _action("Review P3 placements", "E06000901", TODAY + timedelta(days=3), pathway="3"),
        CHAIR,
        metrics=METRICS,
        now=NOW,
    )
    (link,) = raised.actions
    assert (link.kind, link.action.title, link.action.meeting_id) == (
        "raised",
        "Review P3 placements",
        meeting.id,
    )
    assert link.action.scope.pathway == "3" and link.action.metric == "delayed_days"
    closed = meetings.record_action(
        session,
        meeting.id,
        ActionLinkCreate(action_id=link.action.id, kind="closed", note="Placed"),
        CHAIR,
        now=NOW,
    )
    assert [(a.kind, a.action.status) for a in closed.actions] == [
        ("raised", "done"),
        ("closed", "done"),
    ]
    assert [(a.organisation, a.name) for a in closed.attendees] == [
        ("Riverside Council", "B Jones")
    ]
    assert [(d.text, d.recorded_by) for d in closed.decisions] == [
        ("Escalate P3 delays to the council", "chair.person")
    ]
    # the action's own history has it, as M1's store keeps every change
    changes = [c.field for c in store.history(session, link.action.id).changes]
    assert changes[0] == "created" and "status" in changes
    text = meeting_minutes.minutes_csv(closed)
    assert "Escalate P3 delays to the council" in text and "Review P3 placements" in text
    page = meeting_minutes.minutes_html(closed, generated_at=NOW)
    assert "Riverside Council" in page and "Actions closed" in page
    assert "http" not in page and "<script" not in page  # nothing to fetch: opens offline


def test_patient_identifiers_are_refused_in_minutes(session: Session) -> None:
    meeting = meetings.start_meeting(session, MeetingCreate(kind="daily"), CHAIR, now=NOW)
    for text in (f"Chase {VALID_NHS} today", "Chase 999 000 0018", "Ring about RXA01-00001234"):
        with pytest.raises(store.ActionRefused) as refused:
            meetings.add_decision(session, meeting.id, DecisionCreate(text=text), CHAIR)
        assert refused.value.problems[0][0] == "text"
    with pytest.raises(store.ActionRefused):
        meetings.add_attendee(
            session, meeting.id, AttendeeCreate(name="SP123456", organisation="x"), CHAIR
        )
    assert meetings.get_meeting(session, meeting.id).decisions == []


def test_actions_due_or_overdue_by_organisation(session: Session) -> None:
    _reference(session)
    # by hand, today 4 Dec: the council's action due 1 Dec is overdue, its action due 10 Dec
    # is due (within 7 days), its done action is not listed; the trust's action due today is
    # due (not overdue on the day), its action due 20 Dec is beyond the 7 days
    made = {}
    for title, org, due in (
        ("late", "E06000901", date(2026, 12, 1)),
        ("soon", "E06000901", date(2026, 12, 10)),
        ("finished", "E06000901", date(2026, 12, 2)),
        ("today", "RZZ", TODAY),
        ("later", "RZZ", date(2026, 12, 20)),
    ):
        made[title] = store.create_action(
            session, _action(title, org, due), CHAIR, metrics=METRICS, now=NOW
        )
    store.change_status(session, made["finished"].id, StatusChange(status="done"), CHAIR, now=NOW)
    groups = meetings.actions_due_by_organisation(session, today=TODAY)
    assert [
        (g.organisation.code, [a.title for a in g.overdue], [a.title for a in g.due])
        for g in groups
    ] == [("E06000901", ["late"], ["soon"]), ("RZZ", [], ["today"])]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/meeting"),
        ("GET", "/api/v1/meetings"),
        ("POST", "/api/v1/meetings"),
        ("GET", "/api/v1/meetings/1/minutes.csv"),
        ("POST", "/api/v1/meetings/1/decisions"),
    ],
)
def test_only_coordinators_and_analysts_run_meetings(method: str, path: str) -> None:
    rule = rule_for(method, path)
    who = {role for role in Role if allowed(rule, role)}
    assert who == {Role.COORDINATOR, Role.ANALYST}  # not the wall, admins or feed clients
