"""Actions (DESIGN.md §4.13), end to end through /api/v1/actions on both databases: raised,
changed, closed and logged with every change kept (history and audit trail), overdue from the
Europe/London day after the due date, patient identifiers refused with a reason, each role's
access, and the filters of the list. Expected values are worked out by hand in each test."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.actions import store
from app.actions.schemas import ActionCreate, ActionFilter, Actor, StatusChange
from app.metrics.registry import METRICS
from models.reference import Council, HomeCareProvider, Site
from models.security import AuditEvent
from tests.security_helpers import (  # noqa: F401
    FakeClock,
    bearer,
    build_secure_app,
    fast_password_hashing,
    sign_in,
)

# 2026-12-04 is in GMT: London time is UTC
EVENING = datetime(2026, 12, 4, 23, 50, tzinfo=UTC)


def add_reference(engine: Engine) -> None:
    with Session(engine) as s:
        s.add_all(
            [
                Site(site_code="RXA01", name="Riverside General", trust_code="RXA",
                     trust_name="Riverside Hospitals NHS Trust"),
                Site(site_code="RXB01", name="Hillside", trust_code="RXB", trust_name=None),
                Council(local_authority_code="E06000901", name="Northshire Council"),
                HomeCareProvider(provider_id="HCP001", provider_name="Care At Home Ltd"),
            ]
        )  # fmt: skip
        s.commit()


@pytest.fixture
def clock(engine: Engine) -> FakeClock:
    add_reference(engine)
    return FakeClock(EVENING)


@pytest.fixture
def app(clock: FakeClock) -> FastAPI:
    return build_secure_app(clock=clock)


def client_as(app: FastAPI, who: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    if who in ("feed", "wall"):
        client.headers.update(bearer(who))
    elif who != "anonymous":
        sign_in(client, who)
    return client


def body(**changes: Any) -> dict[str, Any]:
    action: dict[str, Any] = {
        "title": "Open four more P1 home-care slots",
        "organisation_kind": "council",
        "organisation_code": "E06000901",
        "owner": "Sam Reid",
        "due_date": "2026-12-04",
        "metric": "p1_waiting",
        "scope": {"council": "E06000901", "pathway": "1"},
    }
    action.update(changes)
    return action


def messages(response: Any) -> str:
    detail: str = response.json()["detail"]
    return detail


def test_create_get_and_overdue_only_after_the_due_day(app: FastAPI, clock: FakeClock) -> None:
    coordinator = client_as(app, "coordinator")
    created = coordinator.post("/api/v1/actions", json=body())
    assert created.status_code == 201, created.text
    action = created.json()
    assert action["status"] == "open"
    assert action["organisation"] == {
        "kind": "council",
        "code": "E06000901",
        "name": "Northshire Council",
    }
    assert action["scope"]["pathway"] == "1" and action["metric"] == "p1_waiting"
    assert action["created_by"] == "test-coordinator"
    # 23:50 on the due day: not overdue yet
    assert action["overdue"] is False
    listed = coordinator.get("/api/v1/actions?overdue=true").json()
    assert listed["total"] == 0
    # 00:10 the next day (London): overdue
    clock.advance(minutes=20)
    again = coordinator.get(f"/api/v1/actions/{action['id']}").json()
    assert again["overdue"] is True
    assert coordinator.get("/api/v1/actions?overdue=true").json()["total"] == 1
    assert coordinator.get("/api/v1/actions?overdue=false").json()["total"] == 0
    # done: never overdue
    done = coordinator.post(f"/api/v1/actions/{action['id']}/status", json={"status": "done"})
    assert done.status_code == 200 and done.json()["overdue"] is False
    assert done.json()["closed_at"] is not None


def test_overdue_is_judged_on_the_london_day_in_summer(session: Session) -> None:
    """23:30 UTC on 30 June is 00:30 on 1 July in London (BST): an action due on 30 June is
    overdue then, though the UTC date is still its due date."""
    add_reference(session.get_bind())  # type: ignore[arg-type]
    at = datetime(2026, 6, 30, 12, 0, tzinfo=UTC)
    action = store.create_action(
        session,
        ActionCreate.model_validate(body(due_date="2026-06-30")),
        Actor("tester", "analyst"),
        metrics=METRICS,
        now=at,
    )
    late = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert store.today_local(late) == date(2026, 7, 1)
    assert store.get_action(session, action.id, today=store.today_local(late)).overdue is True
    before = datetime(2026, 6, 30, 22, 30, tzinfo=UTC)  # 23:30 BST on the due day
    assert store.get_action(session, action.id, today=store.today_local(before)).overdue is False


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("title", "Chase 999 876 5439 placement", "a valid NHS number"),  # valid check digit
        ("title", "Chase 9991234560 placement", "an NHS number (ten digits)"),  # invalid one
        ("owner", "999-123-4564", "an NHS number"),
        ("title", "Escalate RXA01-00001234 today", "a spell id"),  # the demo feeds' shape
        ("title", "Escalate SP000123 today", "a spell id"),  # the feed docs' example
        ("coordinator_view", "?search=SP004512", "a spell id"),
    ],
)
def test_patient_identifiers_are_refused_with_a_reason(
    app: FastAPI, field: str, value: str, says: str
) -> None:
    analyst = client_as(app, "analyst")
    refused = analyst.post("/api/v1/actions", json=body(**{field: value}))
    assert refused.status_code == 422
    text = messages(refused)
    assert field in text and says in text and "never hold patient identifiers" in text
    assert analyst.get("/api/v1/actions").json()["total"] == 0


def test_identifiers_are_refused_in_updates_and_changes_too(app: FastAPI) -> None:
    analyst = client_as(app, "analyst")
    action_id = analyst.post("/api/v1/actions", json=body()).json()["id"]
    update = analyst.post(f"/api/v1/actions/{action_id}/updates", json={"text": "SP000123 left"})
    assert update.status_code == 422 and "spell id" in messages(update)
    patch = analyst.patch(f"/api/v1/actions/{action_id}", json={"title": "re 9998765439"})
    assert patch.status_code == 422 and "NHS number" in messages(patch)
    note = analyst.post(
        f"/api/v1/actions/{action_id}/status", json={"status": "done", "note": "943 476 5919"}
    )
    assert note.status_code == 422
    # nothing of the refused requests was kept
    got = analyst.get(f"/api/v1/actions/{action_id}").json()
    assert got["updates"] == [] and got["status"] == "open"


def test_text_that_only_resembles_numbers_passes(app: FastAPI) -> None:
    analyst = client_as(app, "analyst")
    fine = analyst.post(
        "/api/v1/actions",
        json=body(title="Ring 01632 960123 by 2026-12-04; ward 7B has 12 beds"),
    )
    assert fine.status_code == 201, fine.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"organisation_code": "E06009999"}, "organisation_code"),  # not in the reference
        ({"organisation_kind": "trust", "organisation_code": "E06000901"}, "organisation_code"),
        ({"metric": "no_such_metric"}, "metric"),
        ({"scope": {"site": "ZZZ99"}}, "site"),
        ({"scope": {"reason": "NOPE"}}, "reason"),
        ({"scope": {"hicm_change": 10}}, "hicm_change"),
        ({"scope": {"pathway": "4"}}, "pathway"),
        ({"due_date": "2026-13-01"}, "due_date"),
        ({"title": ""}, "title"),
        ({"coordinator_view": "site=RXA01"}, "coordinator_view"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_requests_are_4xx_naming_the_field(
    app: FastAPI, changes: dict[str, Any], field: str
) -> None:
    response = client_as(app, "coordinator").post("/api/v1/actions", json=body(**changes))
    assert response.status_code == 422, response.text
    assert field in messages(response)


def test_unknown_ids_and_bad_filters(app: FastAPI) -> None:
    coordinator = client_as(app, "coordinator")
    assert coordinator.get("/api/v1/actions/99").status_code == 404
    assert coordinator.patch("/api/v1/actions/99", json={"owner": "A"}).status_code == 404
    assert coordinator.get("/api/v1/actions/99/history").status_code == 404
    assert coordinator.post("/api/v1/actions/99/status", json={"status": "x"}).status_code == 422
    assert coordinator.get("/api/v1/actions?metric=nope").status_code == 422
    assert coordinator.get("/api/v1/actions?hicm_change=0").status_code == 422
    bad_range = coordinator.get("/api/v1/actions?due_from=2026-12-05&due_to=2026-12-01")
    assert bad_range.status_code == 422


def test_each_role(app: FastAPI) -> None:
    coordinator = client_as(app, "coordinator")
    analyst = client_as(app, "analyst")
    made = coordinator.post("/api/v1/actions", json=body()).json()
    assert analyst.post("/api/v1/actions", json=body(title="Second")).status_code == 201
    path = f"/api/v1/actions/{made['id']}"
    assert analyst.patch(path, json={"owner": "Kim Lee"}).status_code == 200
    assert coordinator.post(path + "/updates", json={"text": "two slots found"}).status_code == 201

    admin = client_as(app, "admin")
    assert admin.get("/api/v1/actions").json()["total"] == 2
    assert admin.get(path + "/history").status_code == 200
    assert admin.post("/api/v1/actions", json=body()).status_code == 403
    assert admin.patch(path, json={"owner": "X"}).status_code == 403

    wall = client_as(app, "wall")
    assert wall.get("/api/v1/actions").status_code == 403
    assert wall.get(path).status_code == 403
    assert wall.get(path + "/history").status_code == 403
    assert wall.post("/api/v1/actions", json=body()).status_code == 403
    shown = wall.get("/api/v1/actions/wall")
    assert shown.status_code == 200
    first = shown.json()["actions"][0]
    # titles, owners and status only: no due date, scope, view, update log or authors
    assert set(first) == {"id", "title", "organisation", "owner", "status", "overdue"}

    feed = client_as(app, "feed")
    for method, url in [("GET", "/api/v1/actions"), ("GET", "/api/v1/actions/wall"),
                        ("POST", "/api/v1/actions"), ("GET", path)]:  # fmt: skip
        assert feed.request(method, url, json=body()).status_code == 403
    anonymous = client_as(app, "anonymous")
    assert anonymous.get("/api/v1/actions").status_code == 401
    assert anonymous.post("/api/v1/actions", json=body()).status_code == 401


def test_every_change_is_kept_and_audited(app: FastAPI, engine: Engine, clock: FakeClock) -> None:
    coordinator = client_as(app, "coordinator")
    analyst = client_as(app, "analyst")
    action_id = coordinator.post("/api/v1/actions", json=body()).json()["id"]
    path = f"/api/v1/actions/{action_id}"
    clock.advance(minutes=5)
    cleared = analyst.patch(path, json={"owner": "Kim Lee", "title": None})
    assert cleared.status_code == 422 and "cannot be cleared" in messages(cleared)  # nothing kept
    patched = analyst.patch(path, json={"owner": "Kim Lee", "due_date": "2026-12-11"})
    assert patched.status_code == 200
    coordinator.post(path + "/updates", json={"text": "provider rang back"})
    coordinator.post(path + "/status", json={"status": "dropped", "note": "superseded"})

    changes = coordinator.get(path + "/history").json()["changes"]
    seen = [(c["actor"], c["field"], c["old"], c["new"]) for c in changes]
    assert seen == [
        ("test-coordinator", "created", None, "Open four more P1 home-care slots"),
        ("test-analyst", "owner", "Sam Reid", "Kim Lee"),
        ("test-analyst", "due_date", "2026-12-04", "2026-12-11"),
        ("test-coordinator", "update", None, "provider rang back"),
        ("test-coordinator", "status", "open", "dropped"),
        ("test-coordinator", "update", None, "superseded"),
    ]
    assert changes[1]["at"] > changes[0]["at"]  # when: the clock moved on five minutes
    got = coordinator.get(path).json()
    assert [u["text"] for u in got["updates"]] == ["provider rang back", "superseded"]
    with Session(engine) as s:
        audit = s.execute(
            select(AuditEvent.actor, AuditEvent.action)
            .where(AuditEvent.what == f"action {action_id}")
            .order_by(AuditEvent.id)
        ).all()
    assert [tuple(a) for a in audit] == [
        ("test-coordinator", "action_created"),
        ("test-analyst", "action_changed"),
        ("test-coordinator", "action_update"),
        ("test-coordinator", "action_status"),
    ]


def test_the_list_filters(app: FastAPI, session: Session) -> None:
    coordinator = client_as(app, "coordinator")
    made = [
        body(title="a", due_date="2026-12-01"),
        body(title="b", organisation_kind="trust", organisation_code="RXA",
             metric="delayed_days", scope={"site": "RXA01"}, due_date="2026-12-08"),
        body(title="c", organisation_kind="provider", organisation_code="HCP001",
             metric=None, scope={"hicm_change": 4}, due_date="2026-12-15", meeting_id=7),
    ]  # fmt: skip
    ids = [coordinator.post("/api/v1/actions", json=m).json()["id"] for m in made]
    coordinator.post(f"/api/v1/actions/{ids[0]}/status", json={"status": "done"})

    def titles(query: str) -> list[str]:
        got = coordinator.get("/api/v1/actions?" + query)
        assert got.status_code == 200, got.text
        return [a["title"] for a in got.json()["actions"]]

    assert titles("") == ["a", "b", "c"]
    assert titles("status=open") == ["b", "c"]
    assert titles("organisation=RXA") == ["b"]
    assert titles("metric=p1_waiting") == ["a"]
    assert titles("site=RXA01") == ["b"]
    assert titles("council=E06000901") == ["a"]
    assert titles("pathway=1") == ["a"]
    assert titles("hicm_change=4") == ["c"]
    assert titles("meeting_id=7") == ["c"]
    assert titles("due_from=2026-12-02&due_to=2026-12-15") == ["b", "c"]
    assert titles("limit=1&offset=1") == ["b"]
    trust = coordinator.get(f"/api/v1/actions/{ids[1]}").json()["organisation"]
    assert trust["name"] == "Riverside Hospitals NHS Trust"
    # the same through the store, as the meeting page will call it
    listed = store.list_actions(session, ActionFilter(status="open", due_to=date(2026, 12, 8)))
    assert [a.title for a in listed.actions] == ["b"]


def test_reopening_clears_closed_at(session: Session) -> None:
    add_reference(session.get_bind())  # type: ignore[arg-type]
    who = Actor("tester", "coordinator")
    made = store.create_action(
        session, ActionCreate.model_validate(body()), who, metrics=METRICS, now=EVENING
    )
    done = store.change_status(session, made.id, StatusChange(status="done"), who, now=EVENING)
    assert done.closed_at == EVENING
    again = store.change_status(session, made.id, StatusChange(status="open"), who, now=EVENING)
    assert again.closed_at is None and again.status == "open"
