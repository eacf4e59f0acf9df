"""Actions (DESIGN.md §4.13): what a meeting decided someone will do, chased until done.

Coordinators and analysts create and change actions; admins read them (managing the system is
not running its meetings, DESIGN §7); the wall reads titles, owners and status only
(``/actions/wall``); feed tokens nothing. Every change is kept in the action's history and the
audit trail (``app.actions.store``). Routes are plain ``def``: they run in a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError

from app.actions import store
from app.actions.schemas import (
    ActionCreate,
    ActionFilter,
    ActionHistory,
    ActionList,
    ActionOut,
    ActionPatch,
    ActionWallList,
    Actor,
    StatusChange,
    UpdateCreate,
)
from app.api.deps import SessionDep
from app.api.security_deps import get_clock, require_roles
from app.metrics.registry import METRICS
from app.security.principal import Principal
from app.security.roles import ACTION_READERS, ACTION_WRITERS, AGGREGATES

router = APIRouter(prefix="/actions", tags=["actions"])

WriterDep = Annotated[Principal, Depends(require_roles(*ACTION_WRITERS))]
ReaderDep = Annotated[Principal, Depends(require_roles(*ACTION_READERS))]
WallDep = Annotated[Principal, Depends(require_roles(*AGGREGATES))]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "no action with that id"}}


@contextmanager
def _answers(where: str = "body") -> Iterator[None]:
    """A refusal of the store as the app's 422 (naming the field), an unknown id as 404."""
    try:
        yield
    except store.ActionRefused as exc:
        raise RequestValidationError(
            [
                {"loc": (where, *field.split(".")), "msg": message, "type": "value_error"}
                for field, message in exc.problems
            ]
        ) from None
    except store.ActionNotFound as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None


def _actor(principal: Principal) -> Actor:
    return Actor(name=principal.name, role=principal.role.value)


def _filters(
    organisation: Annotated[
        str | None, Query(max_length=40, description="an organisation code (trust, council, …)")
    ] = None,
    status: Annotated[Literal["open", "done", "dropped"] | None, Query()] = None,
    overdue: Annotated[
        bool | None, Query(description="true: open and past due; false: the others")
    ] = None,
    metric: Annotated[str | None, Query(max_length=64, description="a metric slug")] = None,
    site: Annotated[str | None, Query(max_length=12, description="scope: a site code")] = None,
    council: Annotated[str | None, Query(max_length=9, description="scope: a council")] = None,
    pathway: Annotated[Literal["0", "1", "2", "3"] | None, Query()] = None,
    reason: Annotated[str | None, Query(max_length=32, description="scope: a reason")] = None,
    hicm_change: Annotated[
        int | None, Query(ge=1, le=9, description="a High Impact Change")
    ] = None,
    meeting_id: Annotated[int | None, Query(ge=1)] = None,
    due_from: Annotated[date | None, Query(description="due on or after (YYYY-MM-DD)")] = None,
    due_to: Annotated[date | None, Query(description="due on or before (YYYY-MM-DD)")] = None,
    limit: Annotated[int, Query(ge=1, le=store.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> ActionFilter:
    if metric is not None and metric not in METRICS:
        raise RequestValidationError(
            [
                {
                    "loc": ("query", "metric"),
                    "msg": f"unknown metric '{metric}'; one of {', '.join(METRICS)}",
                    "type": "value_error",
                }
            ]
        )
    if due_from is not None and due_to is not None and due_to < due_from:
        raise RequestValidationError(
            [{"loc": ("query", "due_to"), "msg": "is before due_from", "type": "value_error"}]
        )
    return ActionFilter(
        organisation=organisation,
        status=status,
        overdue=overdue,
        metric=metric,
        site=site,
        council=council,
        pathway=pathway,
        reason=reason,
        hicm_change=hicm_change,
        meeting_id=meeting_id,
        due_from=due_from,
        due_to=due_to,
        limit=limit,
        offset=offset,
    )


FilterDep = Annotated[ActionFilter, Depends(_filters)]


@router.get("/wall", response_model=ActionWallList, operation_id="actions_wall")
def wall(filters: FilterDep, request: Request, db: SessionDep, _who: WallDep) -> ActionWallList:
    """The actions as the wall shows them: title, organisation, owner, status, overdue."""
    today = store.today_local(get_clock(request)())
    return store.list_wall_actions(db, filters, today=today)


@router.get("", response_model=ActionList, operation_id="actions_list")
def list_actions(
    filters: FilterDep, request: Request, db: SessionDep, _who: ReaderDep
) -> ActionList:
    """Actions matching every filter given, soonest due first, with their update logs."""
    return store.list_actions(db, filters, today=store.today_local(get_clock(request)()))


@router.post(
    "",
    response_model=ActionOut,
    status_code=201,
    operation_id="actions_create",
    responses={422: {"description": "a field cannot be stored (the reason says why)"}},
)
def create(body: ActionCreate, request: Request, db: SessionDep, who: WriterDep) -> ActionOut:
    """Raise an action. The owning organisation must be in the reference data and the metric
    in the registry; text that looks like an NHS number or a spell id is refused (422)."""
    with _answers():
        return store.create_action(db, body, _actor(who), metrics=METRICS, now=get_clock(request)())


@router.get(
    "/{action_id}", response_model=ActionOut, operation_id="actions_get", responses=_NOT_FOUND
)
def get(action_id: int, request: Request, db: SessionDep, _who: ReaderDep) -> ActionOut:
    """One action with its update log."""
    with _answers():
        return store.get_action(db, action_id, today=store.today_local(get_clock(request)()))


@router.patch(
    "/{action_id}", response_model=ActionOut, operation_id="actions_update", responses=_NOT_FOUND
)
def update(
    action_id: int, body: ActionPatch, request: Request, db: SessionDep, who: WriterDep
) -> ActionOut:
    """Change an action's title, owner, due date, what it is about, …; each change is kept.
    The status changes through ``POST /actions/{id}/status``."""
    with _answers():
        return store.update_action(
            db, action_id, body, _actor(who), metrics=METRICS, now=get_clock(request)()
        )


@router.post(
    "/{action_id}/status",
    response_model=ActionOut,
    operation_id="actions_change_status",
    responses=_NOT_FOUND,
)
def change_status(
    action_id: int, body: StatusChange, request: Request, db: SessionDep, who: WriterDep
) -> ActionOut:
    """Mark an action done or dropped (or open again), with an optional note for the log."""
    with _answers():
        return store.change_status(db, action_id, body, _actor(who), now=get_clock(request)())


@router.post(
    "/{action_id}/updates",
    response_model=ActionOut,
    status_code=201,
    operation_id="actions_add_update",
    responses=_NOT_FOUND,
)
def add_update(
    action_id: int, body: UpdateCreate, request: Request, db: SessionDep, who: WriterDep
) -> ActionOut:
    """Add an entry to the action's update log."""
    with _answers():
        return store.add_update(db, action_id, body, _actor(who), now=get_clock(request)())


@router.get(
    "/{action_id}/history",
    response_model=ActionHistory,
    operation_id="actions_history",
    responses=_NOT_FOUND,
)
def history(action_id: int, db: SessionDep, _who: ReaderDep) -> ActionHistory:
    """Every change to the action: who, when, which field, the old and the new value."""
    with _answers():
        return store.history(db, action_id)
