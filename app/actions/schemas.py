"""The contract of actions (DESIGN.md §4.13): what a caller sends and what it gets back.

Stable names: the meeting page, the triggers and the HICM page build on them; changes are
additive only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["open", "done", "dropped"]
OrganisationKind = Literal["trust", "council", "provider"]
Pathway = Literal["0", "1", "2", "3"]

TITLE_MAX = 200
OWNER_MAX = 150
UPDATE_MAX = 2000
VIEW_MAX = 500


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ActionScope(_Strict):
    """What part of the system an action is about; every part is optional."""

    site: str | None = Field(
        None, max_length=12, description="an ODS site code", examples=["RXA01"]
    )
    council: str | None = Field(
        None, max_length=9, description="an ONS council code", examples=["E06000901"]
    )
    pathway: Pathway | None = Field(None, description="a discharge pathway, 0–3")
    reason: str | None = Field(
        None, max_length=32, description="a delay reason code of the catalogue (DESIGN §5)"
    )
    hicm_change: int | None = Field(
        None, ge=1, le=9, description="a High Impact Change of the HICM, 1–9"
    )


class ActionCreate(_Strict):
    """A new action. The organisation must be in the reference data, the metric in the
    registry; no text may look like an NHS number or a spell id."""

    title: str = Field(min_length=1, max_length=TITLE_MAX, examples=["Open 4 more P1 slots"])
    organisation_kind: OrganisationKind = Field(
        description="trust (a trust code of the sites), council (an ONS code) or provider "
        "(a home-care provider id or a care home's CQC location id)"
    )
    organisation_code: str = Field(min_length=1, max_length=40, examples=["E06000901"])
    owner: str = Field(
        min_length=1,
        max_length=OWNER_MAX,
        description="the person responsible",
        examples=["J Smith"],
    )
    due_date: date = Field(description="YYYY-MM-DD (Europe/London)")
    metric: str | None = Field(None, max_length=64, description="a metric slug of the registry")
    scope: ActionScope = Field(default_factory=ActionScope)
    coordinator_view: str | None = Field(
        None,
        max_length=VIEW_MAX,
        description="a saved coordinator view: the coordinator page's URL query (?site=…)",
    )
    meeting_id: int | None = Field(None, ge=1, description="the meeting it was raised in")


class ActionPatch(_Strict):
    """The fields to change; an absent field stays as it is. ``null`` clears an optional one.
    The status changes through its own call (``change_status``)."""

    title: str | None = Field(None, min_length=1, max_length=TITLE_MAX)
    organisation_kind: OrganisationKind | None = None
    organisation_code: str | None = Field(None, min_length=1, max_length=40)
    owner: str | None = Field(None, min_length=1, max_length=OWNER_MAX)
    due_date: date | None = None
    metric: str | None = Field(None, max_length=64)
    scope: ActionScope | None = None
    coordinator_view: str | None = Field(None, max_length=VIEW_MAX)
    meeting_id: int | None = Field(None, ge=1)


class StatusChange(_Strict):
    status: Status
    note: str | None = Field(
        None, max_length=UPDATE_MAX, description="why (kept in the update log)"
    )


class UpdateCreate(_Strict):
    text: str = Field(min_length=1, max_length=UPDATE_MAX, description="what happened")


class ActionUpdateOut(BaseModel):
    id: int
    at: datetime
    author: str
    text: str


class ActionChangeOut(BaseModel):
    """One change: who, when, which field, the old and new value (as text)."""

    id: int
    at: datetime
    actor: str
    role: str | None
    field: str = Field(description="'created', a field name, 'status' or 'update'")
    old: str | None
    new: str | None


class Organisation(BaseModel):
    kind: OrganisationKind
    code: str
    name: str


class ActionOut(BaseModel):
    """An action as coordinators, analysts and admins read it."""

    id: int
    title: str
    organisation: Organisation
    owner: str
    due_date: date
    status: Status
    overdue: bool = Field(
        description="open and past its due date (the Europe/London day after it or later)"
    )
    metric: str | None
    scope: ActionScope
    coordinator_view: str | None
    meeting_id: int | None
    created_at: datetime
    created_by: str
    updated_at: datetime
    closed_at: datetime | None
    updates: list[ActionUpdateOut] = Field(default_factory=list)


class ActionWallOut(BaseModel):
    """An action as the wall sees it: title, owner and status only."""

    id: int
    title: str
    organisation: Organisation
    owner: str
    status: Status
    overdue: bool


class ActionList(BaseModel):
    total: int = Field(description="how many match, over all pages")
    actions: list[ActionOut]


class ActionWallList(BaseModel):
    total: int
    actions: list[ActionWallOut]


class ActionHistory(BaseModel):
    action_id: int
    changes: list[ActionChangeOut]


@dataclass(frozen=True)
class ActionFilter:
    """Which actions to list (every condition optional; all given must hold)."""

    organisation: str | None = None  # an organisation code
    status: Status | None = None
    overdue: bool | None = None
    metric: str | None = None
    site: str | None = None
    council: str | None = None
    pathway: str | None = None
    reason: str | None = None
    hicm_change: int | None = None
    meeting_id: int | None = None
    due_from: date | None = None  # inclusive
    due_to: date | None = None  # inclusive
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class Actor:
    """Who makes a change (a signed-in person's username and role, or a job's name)."""

    name: str
    role: str | None = None
