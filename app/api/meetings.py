"""Meetings (DESIGN.md §4.13): the daily escalation call and the weekly system meeting — the
agenda built from the data, the decisions and actions taken on it, the minutes.

Coordinators and analysts run meetings; the wall, admins and feed tokens do not. Routes are
plain ``def``: they run in a worker thread, as does the agenda's computation.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field

from app.actions import meetings, store
from app.actions.meeting_schemas import (
    ActionLinkCreate,
    AttendeeCreate,
    DecisionCreate,
    MeetingCreate,
    MeetingList,
    MeetingOut,
    OrganisationActions,
)
from app.actions.schemas import MAX_ID, ActionCreate, Actor
from app.api import meeting_minutes
from app.api.deps import SessionDep
from app.api.security_deps import get_clock, require_roles
from app.metrics.errors import InvalidParameter
from app.metrics.meeting_agenda import MetricsAgenda, metrics_agenda
from app.metrics.registry import METRICS
from app.security.principal import Principal
from app.security.roles import MEETING_ROLES

#: a meeting's id: a 32-bit integer on PostgreSQL (a larger one is a 422, not a 500)
MeetingId = Annotated[int, Path(ge=1, le=MAX_ID, description="the meeting's id")]

router = APIRouter(prefix="/meetings", tags=["meetings"])

RunnerDep = Annotated[Principal, Depends(require_roles(*MEETING_ROLES))]
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no meeting with that id"}}


class Agenda(BaseModel):
    """The agenda built from the data: the numbers' lines and the actions due or overdue."""

    lines: MetricsAgenda
    actions_due: list[OrganisationActions] = Field(
        description="open actions overdue or due within 7 days, by owning organisation"
    )


class MeetingDetail(BaseModel):
    meeting: MeetingOut = Field(description="the meeting and its minutes")
    agenda: Agenda


@contextmanager
def _answers() -> Iterator[None]:
    """A refusal as the app's 422 (naming the field); an unknown meeting or action as 404."""
    try:
        yield
    except store.ActionRefused as exc:
        raise RequestValidationError(
            [
                {"loc": ("body", *field.split(".")), "msg": message, "type": "value_error"}
                for field, message in exc.problems
            ]
        ) from None
    except (meetings.MeetingNotFound, store.ActionNotFound) as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except InvalidParameter as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None


def _attachment(name: str) -> dict[str, str]:
    return {"content-disposition": f'attachment; filename="{name}"'}


def _actor(principal: Principal) -> Actor:
    return Actor(name=principal.name, role=principal.role.value)


@router.get("", response_model=MeetingList, operation_id="meetings_list")
def list_meetings(
    db: SessionDep,
    _principal: RunnerDep,
    kind: Annotated[Literal["daily", "weekly"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> MeetingList:
    """The meetings, latest first."""
    return meetings.list_meetings(db, kind=kind, limit=limit)


@router.post("", response_model=MeetingOut, status_code=201, operation_id="meetings_start")
def start_meeting(
    body: MeetingCreate,
    db: SessionDep,
    principal: RunnerDep,
    clock: Annotated[Any, Depends(get_clock)],
) -> MeetingOut:
    """Start the day's meeting of a kind (the one already started, if any)."""
    with _answers():
        return meetings.start_meeting(db, body, _actor(principal), now=clock())


@router.get(
    "/{meeting_id}", response_model=MeetingDetail, operation_id="meetings_get", responses=_NOT_FOUND
)
def get_meeting(
    meeting_id: MeetingId,
    db: SessionDep,
    _principal: RunnerDep,
    at: Annotated[
        datetime | None,
        Query(description="the moment the agenda's numbers are of (ISO 8601); default now"),
    ] = None,
) -> MeetingDetail:
    """A meeting: its minutes and the agenda built from the data."""
    with _answers():
        meeting = meetings.get_meeting(db, meeting_id)
        agenda = Agenda(
            lines=metrics_agenda(db, at=at), actions_due=meetings.actions_due_by_organisation(db)
        )
    return MeetingDetail(meeting=meeting, agenda=agenda)


@router.post(
    "/{meeting_id}/attendees",
    response_model=MeetingOut,
    status_code=201,
    operation_id="meetings_add_attendee",
    responses=_NOT_FOUND,
)
def add_attendee(
    meeting_id: MeetingId,
    body: AttendeeCreate,
    db: SessionDep,
    principal: RunnerDep,
    clock: Annotated[Any, Depends(get_clock)],
) -> MeetingOut:
    """Record who attended, for which organisation."""
    with _answers():
        return meetings.add_attendee(db, meeting_id, body, _actor(principal), now=clock())


@router.post(
    "/{meeting_id}/decisions",
    response_model=MeetingOut,
    status_code=201,
    operation_id="meetings_add_decision",
    responses=_NOT_FOUND,
)
def add_decision(
    meeting_id: MeetingId,
    body: DecisionCreate,
    db: SessionDep,
    principal: RunnerDep,
    clock: Annotated[Any, Depends(get_clock)],
) -> MeetingOut:
    """Record a decision (who recorded it and when are kept)."""
    with _answers():
        return meetings.add_decision(db, meeting_id, body, _actor(principal), now=clock())


@router.post(
    "/{meeting_id}/actions",
    response_model=MeetingOut,
    status_code=201,
    operation_id="meetings_raise_action",
    responses=_NOT_FOUND,
)
def raise_action(
    meeting_id: MeetingId,
    body: ActionCreate,
    db: SessionDep,
    principal: RunnerDep,
    clock: Annotated[Any, Depends(get_clock)],
) -> MeetingOut:
    """Raise an action in the meeting (kept in the actions store with its history)."""
    with _answers():
        return meetings.raise_action(
            db, meeting_id, body, _actor(principal), metrics=METRICS, now=clock()
        )


@router.post(
    "/{meeting_id}/action-links",
    response_model=MeetingOut,
    status_code=201,
    operation_id="meetings_record_action",
    responses=_NOT_FOUND,
)
def record_action(
    meeting_id: MeetingId,
    body: ActionLinkCreate,
    db: SessionDep,
    principal: RunnerDep,
    clock: Annotated[Any, Depends(get_clock)],
) -> MeetingOut:
    """Record that an action was updated (a note in its log) or closed (done) in the meeting."""
    with _answers():
        return meetings.record_action(db, meeting_id, body, _actor(principal), now=clock())


@router.get(
    "/{meeting_id}/minutes.csv",
    operation_id="meetings_minutes_csv",
    responses={200: {"content": {"text/csv": {}}}, **_NOT_FOUND},
    response_class=Response,
)
def minutes_csv(meeting_id: MeetingId, db: SessionDep, _principal: RunnerDep) -> Response:
    """The minutes as CSV: a row per attendee, decision and action (formulas neutralised)."""
    with _answers():
        minutes = meetings.get_meeting(db, meeting_id)
    return Response(
        meeting_minutes.minutes_csv(minutes),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(meeting_minutes.file_name(minutes, "csv")),
    )


@router.get(
    "/{meeting_id}/minutes.html",
    operation_id="meetings_minutes_html",
    responses={200: {"content": {"text/html": {}}}, **_NOT_FOUND},
    response_class=Response,
)
def minutes_html(
    meeting_id: MeetingId,
    db: SessionDep,
    _principal: RunnerDep,
    clock: Annotated[Any, Depends(get_clock)],
) -> Response:
    """The minutes as one HTML file that opens offline."""
    with _answers():
        minutes = meetings.get_meeting(db, meeting_id)
    return Response(
        meeting_minutes.minutes_html(minutes, generated_at=clock()),
        media_type="text/html; charset=utf-8",
        headers=_attachment(meeting_minutes.file_name(minutes, "html")),
    )
