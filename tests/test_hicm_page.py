"""/hicm without a browser, on both databases: every role that reads aggregates gets the nine
changes drawn; only analysts and coordinators get the form, and the record callback itself
refuses the others (the page layout is not the guard)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from models.hicm import HicmAssessment
from tests.security_helpers import build_secure_app, fast_password_hashing, sign_in  # noqa: F401
from tests.test_security_dash import draw, payload


@pytest.fixture
def app_client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(build_secure_app(with_dashboard=True), raise_server_exceptions=False) as c:
        yield c


def as_role(client: TestClient, role: str) -> TestClient:
    other = TestClient(client.app, raise_server_exceptions=False)
    sign_in(other, role)
    return other


def record(client: TestClient, **values: Any) -> Any:
    body = payload(client, "hicm-form-result.children", **values)
    for item in body["state"]:  # each State by its component id
        item["value"] = values.get(item["id"].removeprefix("hicm-form-"), item["value"])
    return client.post("/_dash-update-component", json=body)


def stored(engine: Engine) -> int:
    with Session(engine) as db:
        return int(db.scalar(select(func.count()).select_from(HicmAssessment)) or 0)


@pytest.mark.parametrize(
    ("role", "form"),
    [("wall", False), ("admin", False), ("analyst", True), ("coordinator", True)],
)
def test_the_page_for_each_role(app_client: TestClient, role: str, form: bool) -> None:
    drawn = draw(as_role(app_client, role), "/hicm")
    assert drawn.status_code == 200, drawn.text
    text = drawn.text
    assert "hicm-changes" in text
    assert all(f"hicm-change-{n}" in text for n in range(1, 10))
    assert "Housing and related services" in text
    assert ("hicm-form-record" in text) is form


@pytest.mark.parametrize("role", ["wall", "admin"])
def test_the_record_callback_refuses_who_may_not_record(
    app_client: TestClient, engine: Engine, role: str
) -> None:
    answer = record(
        as_role(app_client, role),
        n_clicks=1,
        change="9",
        level="2",
        date="2026-11-16",
        by="A meeting",
        notes=None,
        data={"at": None},
    )
    assert answer.status_code == 200, answer.text
    assert "Only analysts and coordinators record assessments" in answer.text
    assert stored(engine) == 0


def test_an_analyst_records_through_the_callback(app_client: TestClient, engine: Engine) -> None:
    answer = record(
        as_role(app_client, "analyst"),
        n_clicks=1,
        change="9",
        level="2",
        date="2026-11-16",
        by="Weekly system meeting",
        notes="Housing officer joins the Monday call",
        data={"at": None},
    )
    assert answer.status_code == 200, answer.text
    assert "Recorded: change 9, Housing and related services, level 2 (Plans in place)" in (
        answer.text
    )
    assert stored(engine) == 1


def test_the_weekly_system_meeting_reviews_the_nine_changes_and_the_daily_call_does_not(
    app_client: TestClient, engine: Engine
) -> None:
    from app.actions import meetings
    from app.actions.meeting_schemas import MeetingCreate
    from app.actions.schemas import Actor

    chair = Actor(name="chair.person", role="coordinator")
    with Session(engine) as db:
        weekly = meetings.start_meeting(db, MeetingCreate(kind="weekly"), chair).id
        daily = meetings.start_meeting(db, MeetingCreate(kind="daily"), chair).id
    client = as_role(app_client, "coordinator")
    for meeting, shown in ((weekly, True), (daily, False)):
        body = payload(
            client, "_pages_content.children", pathname="/meeting", search=f"?meeting={meeting}"
        )
        drawn = client.post("/_dash-update-component", json=body)
        assert drawn.status_code == 200, drawn.text
        assert "mtg-title-heading" in drawn.text  # the meeting itself was drawn
        cards = [f"hicm-change-{n}" in drawn.text for n in range(1, 10)]
        assert cards == [shown] * 9, (meeting, cards)
