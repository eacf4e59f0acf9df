"""The contract of meetings (DESIGN.md §4.13): what a caller sends and what it gets back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.actions.schemas import ActionOut, Organisation

MeetingKind = Literal["daily", "weekly"]
LinkKind = Literal["raised", "updated", "closed"]

KIND_WORDS: dict[str, str] = {
    "daily": "Daily escalation call",
    "weekly": "Weekly system meeting",
}
NAME_MAX = 150
DECISION_MAX = 2000
AGENDA_ITEM_MAX = 300


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MeetingCreate(_Strict):
    """Start a meeting (one of each kind per day: starting it again returns the same one)."""

    kind: MeetingKind = Field(description="daily (escalation call) or weekly (system meeting)")
    meeting_date: date | None = Field(None, description="YYYY-MM-DD (Europe/London); default today")
    chair: str | None = Field(None, max_length=NAME_MAX, examples=["A Patel"])


class AttendeeCreate(_Strict):
    name: str = Field(min_length=1, max_length=NAME_MAX, examples=["J Smith"])
    organisation: str = Field(
        min_length=1,
        max_length=NAME_MAX,
        description="the organisation the person attends for (a trust, council or provider)",
        examples=["Derby City Council"],
    )


class DecisionCreate(_Strict):
    text: str = Field(min_length=1, max_length=DECISION_MAX, examples=["Open 4 more P1 slots"])
    agenda_item: str | None = Field(
        None, max_length=AGENDA_ITEM_MAX, description="the agenda line it was taken on"
    )


class ActionLinkCreate(_Strict):
    """Record that an existing action was updated or closed in this meeting (with a note);
    closing marks it done."""

    action_id: int = Field(ge=1)
    kind: Literal["updated", "closed"]
    note: str | None = Field(None, max_length=DECISION_MAX)


class AttendeeOut(BaseModel):
    id: int
    name: str
    organisation: str
    added_at: datetime


class DecisionOut(BaseModel):
    id: int
    text: str
    agenda_item: str | None
    recorded_by: str
    recorded_at: datetime


class MeetingActionOut(BaseModel):
    """An action raised, updated or closed in the meeting, as it stands now."""

    kind: LinkKind
    at: datetime
    by: str
    action: ActionOut


class MeetingSummary(BaseModel):
    id: int
    meeting_date: date
    kind: MeetingKind
    kind_label: str
    chair: str | None
    created_at: datetime
    created_by: str


class MeetingOut(MeetingSummary):
    """A meeting's minutes: attendees by organisation, decisions, actions raised/updated/closed."""

    attendees: list[AttendeeOut]
    decisions: list[DecisionOut]
    actions: list[MeetingActionOut]


class MeetingList(BaseModel):
    meetings: list[MeetingSummary]


class OrganisationActions(BaseModel):
    """One organisation's open actions that are overdue or due soon."""

    organisation: Organisation
    overdue: list[ActionOut]
    due: list[ActionOut]
