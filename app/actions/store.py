"""The store of actions (DESIGN.md §4.13): create, change, close, log, list, and the history.

Every change is kept twice, in the same transaction as the change itself: one
``action_changes`` row per field (who, when, field, old, new) — the action's history — and
one ``audit_events`` row per call (the security audit trail, ``app.security.audit`` reads
it). Writing both in the change's own transaction means no change exists without its
history and audit rows. ``app.actions`` sits beside ``app.security`` (neither imports the
other), so it writes the audit row through the model.

Every function takes the caller's ``Session``; the writers commit unless ``commit=False`` (a
caller that wants the change in a transaction of its own, such as a meeting's minutes). A
refusal raises :class:`ActionRefused` (answered 422 by the API) with the field and a reason
a person can act on; an unknown id :class:`ActionNotFound` (404).

The metric registry belongs to the read side (``app.metrics.registry``), which this package
may not import: the writers take the registry's slugs as ``metrics=`` (the API and the pages
pass ``app.metrics.registry.METRICS``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from app.actions import rules
from app.actions.schemas import (
    ActionChangeOut,
    ActionCreate,
    ActionFilter,
    ActionHistory,
    ActionList,
    ActionOut,
    ActionPatch,
    ActionScope,
    ActionUpdateOut,
    ActionWallList,
    ActionWallOut,
    Actor,
    Organisation,
    StatusChange,
    UpdateCreate,
)
from app.domain import days
from app.domain.vocabularies import PATHWAYS
from models.actions import Action, ActionChange, ActionUpdate
from models.reference import CareHome, Council, DelayReason, HomeCareProvider, Site
from models.security import AuditEvent

MAX_LIMIT = 500
# the fields whose text is checked for patient identifiers
_TEXT_FIELDS = ("title", "owner", "coordinator_view")
_SCOPE_COLUMNS = {
    "site": "scope_site",
    "council": "scope_council",
    "pathway": "scope_pathway",
    "reason": "scope_reason",
    "hicm_change": "scope_hicm_change",
}


class ActionNotFound(LookupError):
    def __init__(self, action_id: int) -> None:
        super().__init__(f"no action {action_id}")
        self.action_id = action_id


class ActionRefused(ValueError):
    """The request cannot be stored as it is: ``problems`` are (field, reason) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))
        self.problems = problems


def today_local(now: datetime | None = None) -> date:
    """Today, the Europe/London day (HOMEWARD_TIMEZONE), against which overdue is judged."""
    return days.local_date(now or days.now_utc())


# -- validation ---------------------------------------------------------------------------


def _organisation_name(session: Session, kind: str, code: str) -> str | None:
    """The organisation's name, or None when the reference data do not know it."""
    if kind == "trust":
        row = session.execute(
            select(Site.trust_code, Site.trust_name).where(Site.trust_code == code).limit(1)
        ).first()
        return None if row is None else (row.trust_name or row.trust_code)
    if kind == "council":
        return session.scalar(select(Council.name).where(Council.local_authority_code == code))
    if kind == "provider":
        name = session.scalar(
            select(HomeCareProvider.provider_name).where(HomeCareProvider.provider_id == code)
        )
        if name is None:
            name = session.scalar(
                select(CareHome.home_name).where(CareHome.cqc_location_id == code)
            )
        return name
    return None


def _check_text(values: dict[str, str | None], problems: list[tuple[str, str]]) -> None:
    for field, text in values.items():
        refusal = rules.identifier_problem(field, text)
        if refusal is not None:
            problems.append((refusal.field, refusal.message))


def _check_view(view: str | None, problems: list[tuple[str, str]]) -> None:
    if view is None:
        return
    if view.strip() and not view.startswith("?"):
        problems.append(
            (
                "coordinator_view",
                "a saved coordinator view is the coordinator page's URL query, starting with '?' "
                "(such as ?site=RXA01&pathway=1)",
            )
        )


def _check_scope(session: Session, scope: ActionScope, problems: list[tuple[str, str]]) -> None:
    if scope.site is not None and session.get(Site, scope.site) is None:
        problems.append(("scope.site", f"no site '{scope.site}' in the reference data"))
    if scope.council is not None and session.get(Council, scope.council) is None:
        problems.append(("scope.council", f"no council '{scope.council}' in the reference data"))
    if scope.pathway is not None and scope.pathway not in PATHWAYS:
        problems.append(("scope.pathway", f"the pathway is one of {', '.join(PATHWAYS)}"))
    if scope.reason is not None and session.get(DelayReason, scope.reason) is None:
        problems.append(("scope.reason", f"no delay reason '{scope.reason}' in the catalogue"))


def _check_metric(
    metric: str | None, metrics: Collection[str], problems: list[tuple[str, str]]
) -> None:
    if metric is not None and metric not in metrics:
        problems.append(
            ("metric", f"unknown metric '{metric}'; one of {', '.join(sorted(metrics))}")
        )


def _check_organisation(
    session: Session, kind: str, code: str, problems: list[tuple[str, str]]
) -> None:
    if _organisation_name(session, kind, code) is None:
        problems.append(
            (
                "organisation_code",
                f"no {kind} '{code}' in the reference data (a trust code of the sites, a "
                "council's ONS code, or a home-care provider id or care home CQC location id)",
            )
        )


# -- reading ------------------------------------------------------------------------------


def _scope_of(row: Action) -> ActionScope:
    return ActionScope(
        site=row.scope_site,
        council=row.scope_council,
        pathway=row.scope_pathway,
        reason=row.scope_reason,
        hicm_change=row.scope_hicm_change,
    )


def _to_out(
    row: Action,
    organisation_name: str,
    updates: Iterable[ActionUpdate],
    today: date,
) -> ActionOut:
    return ActionOut(
        id=row.id,
        title=row.title,
        organisation=Organisation(
            kind=row.organisation_kind,
            code=row.organisation_code,
            name=organisation_name,
        ),
        owner=row.owner,
        due_date=row.due_date,
        status=row.status,
        overdue=rules.is_overdue(row.status, row.due_date, today),
        metric=row.metric_slug,
        scope=_scope_of(row),
        coordinator_view=row.coordinator_view,
        meeting_id=row.meeting_id,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
        closed_at=row.closed_at,
        updates=[ActionUpdateOut(id=u.id, at=u.at, author=u.author, text=u.text) for u in updates],
    )


def _outs(session: Session, rows: list[Action], today: date) -> list[ActionOut]:
    ids = [row.id for row in rows]
    updates: dict[int, list[ActionUpdate]] = {i: [] for i in ids}
    if ids:
        for update in session.scalars(
            select(ActionUpdate)
            .where(ActionUpdate.action_id.in_(ids))
            .order_by(ActionUpdate.at, ActionUpdate.id)
        ):
            updates[update.action_id].append(update)
    names: dict[tuple[str, str], str] = {}
    out = []
    for row in rows:
        key = (row.organisation_kind, row.organisation_code)
        if key not in names:
            names[key] = _organisation_name(session, *key) or row.organisation_code
        out.append(_to_out(row, names[key], updates[row.id], today))
    return out


def _load(session: Session, action_id: int) -> Action:
    row = session.get(Action, action_id)
    if row is None:
        raise ActionNotFound(action_id)
    return row


def get_action(session: Session, action_id: int, *, today: date | None = None) -> ActionOut:
    """One action with its update log (``ActionNotFound`` when there is none)."""
    return _outs(session, [_load(session, action_id)], today or today_local())[0]


def _conditions(filters: ActionFilter, today: date) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.organisation is not None:
        conditions.append(Action.organisation_code == filters.organisation)
    if filters.status is not None:
        conditions.append(Action.status == filters.status)
    if filters.overdue is True:
        conditions += [Action.status == "open", Action.due_date < today]
    elif filters.overdue is False:
        conditions.append((Action.status != "open") | (Action.due_date >= today))
    if filters.metric is not None:
        conditions.append(Action.metric_slug == filters.metric)
    for name, column in _SCOPE_COLUMNS.items():
        value = getattr(filters, name)
        if value is not None:
            conditions.append(getattr(Action, column) == value)
    if filters.meeting_id is not None:
        conditions.append(Action.meeting_id == filters.meeting_id)
    if filters.due_from is not None:
        conditions.append(Action.due_date >= filters.due_from)
    if filters.due_to is not None:
        conditions.append(Action.due_date <= filters.due_to)
    return conditions


def list_actions(
    session: Session, filters: ActionFilter | None = None, *, today: date | None = None
) -> ActionList:
    """The actions matching ``filters`` (due date first, then the order they were raised) and
    how many match in all."""
    filters = filters or ActionFilter()
    today = today or today_local()
    conditions = _conditions(filters, today)
    total = session.scalar(select(func.count()).select_from(Action).where(*conditions)) or 0
    rows = list(
        session.scalars(
            select(Action)
            .where(*conditions)
            .order_by(Action.due_date, Action.id)
            .limit(max(0, min(filters.limit, MAX_LIMIT)))
            .offset(max(0, filters.offset))
        )
    )
    return ActionList(total=int(total), actions=_outs(session, rows, today))


def wall_view(action: ActionOut) -> ActionWallOut:
    """What the wall may see of an action: title, owner, status (and whether it is overdue)."""
    return ActionWallOut(
        id=action.id,
        title=action.title,
        organisation=action.organisation,
        owner=action.owner,
        status=action.status,
        overdue=action.overdue,
    )


def list_wall_actions(
    session: Session, filters: ActionFilter | None = None, *, today: date | None = None
) -> ActionWallList:
    listed = list_actions(session, filters, today=today)
    return ActionWallList(total=listed.total, actions=[wall_view(a) for a in listed.actions])


def history(session: Session, action_id: int) -> ActionHistory:
    """Every change to an action, oldest first."""
    _load(session, action_id)
    rows = session.scalars(
        select(ActionChange)
        .where(ActionChange.action_id == action_id)
        .order_by(ActionChange.at, ActionChange.id)
    )
    return ActionHistory(
        action_id=action_id,
        changes=[
            ActionChangeOut(
                id=r.id, at=r.at, actor=r.actor, role=r.role, field=r.field, old=r.old, new=r.new
            )
            for r in rows
        ],
    )


# -- writing ------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _record(
    session: Session,
    row: Action,
    actor: Actor,
    kind: str,
    changes: list[tuple[str, Any, Any]],
    now: datetime,
) -> None:
    """Keep each change (history) and one audit event for the call, in the same transaction."""
    for field, old, new in changes:
        session.add(
            ActionChange(
                action_id=row.id,
                at=now,
                actor=actor.name[:150],
                role=actor.role,
                field=field,
                old=_text(old),
                new=_text(new),
            )
        )
    session.add(
        AuditEvent(
            at=now,
            actor=actor.name[:150],
            role=actor.role,
            action=kind,
            what=f"action {row.id}",
            filters={
                "changes": [
                    {"field": f, "old": (_text(o) or "")[:200], "new": (_text(n) or "")[:200]}
                    for f, o, n in changes
                ][:20]
            },
        )
    )


def _finish(session: Session, commit: bool) -> None:
    if commit:
        session.commit()
    else:
        session.flush()


def create_action(
    session: Session,
    data: ActionCreate,
    actor: Actor,
    *,
    metrics: Collection[str],
    now: datetime | None = None,
    commit: bool = True,
) -> ActionOut:
    """Store a new open action (``ActionRefused`` when a field cannot be stored)."""
    now = now or days.now_utc()
    problems: list[tuple[str, str]] = []
    _check_text({f: getattr(data, f) for f in _TEXT_FIELDS}, problems)
    _check_view(data.coordinator_view, problems)
    _check_organisation(session, data.organisation_kind, data.organisation_code, problems)
    _check_metric(data.metric, metrics, problems)
    _check_scope(session, data.scope, problems)
    if problems:
        raise ActionRefused(problems)
    row = Action(
        title=data.title.strip(),
        organisation_kind=data.organisation_kind,
        organisation_code=data.organisation_code,
        owner=data.owner.strip(),
        due_date=data.due_date,
        status="open",
        metric_slug=data.metric,
        scope_site=data.scope.site,
        scope_council=data.scope.council,
        scope_pathway=data.scope.pathway,
        scope_reason=data.scope.reason,
        scope_hicm_change=data.scope.hicm_change,
        coordinator_view=data.coordinator_view,
        meeting_id=data.meeting_id,
        created_at=now,
        created_by=actor.name[:150],
        updated_at=now,
    )
    session.add(row)
    session.flush()
    _record(session, row, actor, "action_created", [("created", None, row.title)], now)
    _finish(session, commit)
    return get_action(session, row.id, today=today_local(now))


def update_action(
    session: Session,
    action_id: int,
    patch: ActionPatch,
    actor: Actor,
    *,
    metrics: Collection[str],
    now: datetime | None = None,
    commit: bool = True,
) -> ActionOut:
    """Change the fields ``patch`` sets (each change kept); the status has its own call."""
    now = now or days.now_utc()
    row = _load(session, action_id)
    given = patch.model_fields_set
    problems: list[tuple[str, str]] = []
    for required in ("title", "organisation_kind", "organisation_code", "owner", "due_date"):
        if required in given and getattr(patch, required) is None:
            problems.append((required, f"{required} cannot be cleared"))
    _check_text({f: getattr(patch, f) for f in _TEXT_FIELDS if f in given}, problems)
    if "coordinator_view" in given:
        _check_view(patch.coordinator_view, problems)
    if given & {"organisation_kind", "organisation_code"}:
        kind = patch.organisation_kind or row.organisation_kind
        code = patch.organisation_code or row.organisation_code
        _check_organisation(session, kind, code, problems)
    if "metric" in given:
        _check_metric(patch.metric, metrics, problems)
    if "scope" in given and patch.scope is not None:
        _check_scope(session, patch.scope, problems)
    if problems:
        raise ActionRefused(problems)
    new_values: dict[str, Any] = {}
    for field in (
        "title",
        "organisation_kind",
        "organisation_code",
        "owner",
        "due_date",
        "coordinator_view",
        "meeting_id",
    ):
        if field in given:
            value = getattr(patch, field)
            new_values[field] = value.strip() if field in ("title", "owner") else value
    if "metric" in given:
        new_values["metric_slug"] = patch.metric
    if "scope" in given:
        scope = patch.scope or ActionScope()
        for name, column in _SCOPE_COLUMNS.items():
            new_values[column] = getattr(scope, name)
    changes = []
    for column, value in new_values.items():
        old = getattr(row, column)
        if old != value:
            changes.append((column, old, value))
            setattr(row, column, value)
    if changes:
        row.updated_at = now
        _record(session, row, actor, "action_changed", changes, now)
    _finish(session, commit)
    return get_action(session, row.id, today=today_local(now))


def change_status(
    session: Session,
    action_id: int,
    change: StatusChange,
    actor: Actor,
    *,
    now: datetime | None = None,
    commit: bool = True,
) -> ActionOut:
    """Mark an action open, done or dropped (a note goes in its update log)."""
    now = now or days.now_utc()
    row = _load(session, action_id)
    problems: list[tuple[str, str]] = []
    _check_text({"note": change.note}, problems)
    if problems:
        raise ActionRefused(problems)
    changes: list[tuple[str, Any, Any]] = []
    if row.status != change.status:
        changes.append(("status", row.status, change.status))
        row.status = change.status
        row.closed_at = None if change.status == "open" else now
    if change.note:
        session.add(
            ActionUpdate(action_id=row.id, at=now, author=actor.name[:150], text=change.note)
        )
        changes.append(("update", None, change.note))
    if changes:
        row.updated_at = now
        _record(session, row, actor, "action_status", changes, now)
    _finish(session, commit)
    return get_action(session, row.id, today=today_local(now))


def add_update(
    session: Session,
    action_id: int,
    entry: UpdateCreate,
    actor: Actor,
    *,
    now: datetime | None = None,
    commit: bool = True,
) -> ActionOut:
    """Add an entry to an action's update log."""
    now = now or days.now_utc()
    row = _load(session, action_id)
    problems: list[tuple[str, str]] = []
    _check_text({"text": entry.text}, problems)
    if problems:
        raise ActionRefused(problems)
    session.add(ActionUpdate(action_id=row.id, at=now, author=actor.name[:150], text=entry.text))
    row.updated_at = now
    _record(session, row, actor, "action_update", [("update", None, entry.text)], now)
    _finish(session, commit)
    return get_action(session, row.id, today=today_local(now))
