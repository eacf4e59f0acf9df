"""The store of meetings (DESIGN.md §4.13): start one, its attendees and decisions, the actions
raised, updated or closed in it, and the actions due or overdue by organisation for its agenda.

An action raised in a meeting is created by ``app.actions.store`` in the same transaction as
the meeting's link to it, so the minutes never name an action that does not exist (nor the
other way round). Decision and attendee text goes through the actions' own identifier rule
(``app.actions.rules.identifier_problem``): no patient identifiers in the minutes either.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.actions import rules, store
from app.actions.meeting_schemas import (
    KIND_WORDS,
    ActionLinkCreate,
    AttendeeCreate,
    AttendeeOut,
    DecisionCreate,
    DecisionOut,
    MeetingActionOut,
    MeetingCreate,
    MeetingList,
    MeetingOut,
    MeetingSummary,
    OrganisationActions,
)
from app.actions.schemas import (
    ActionCreate,
    ActionFilter,
    ActionOut,
    Actor,
    Organisation,
    StatusChange,
    UpdateCreate,
)
from app.core import events
from app.domain import days
from models.meetings import Meeting, MeetingAction, MeetingAttendee, MeetingDecision
from models.reference import Council, Site

#: the agenda's "due" horizon: open actions due within this many days after today
DUE_WITHIN_DAYS = 7
LIST_LIMIT = 100


class MeetingNotFound(LookupError):
    def __init__(self, meeting_id: int) -> None:
        super().__init__(f"no meeting {meeting_id}")
        self.meeting_id = meeting_id


def _refuse_identifiers(values: dict[str, str | None]) -> None:
    problems = []
    for field, text in values.items():
        refusal = rules.identifier_problem(field, text)
        if refusal is not None:
            problems.append(
                (refusal.field, refusal.message.replace("actions never", "minutes never"))
            )
    if problems:
        raise store.ActionRefused(problems)


def _summary(row: Meeting) -> MeetingSummary:
    return MeetingSummary(
        id=row.id,
        meeting_date=row.meeting_date,
        kind=row.kind,
        kind_label=KIND_WORDS[row.kind],
        chair=row.chair,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _load(session: Session, meeting_id: int) -> Meeting:
    row = session.get(Meeting, meeting_id)
    if row is None:
        raise MeetingNotFound(meeting_id)
    return row


def start_meeting(
    session: Session, data: MeetingCreate, actor: Actor, *, now: datetime | None = None
) -> MeetingOut:
    """The meeting of a kind on ``meeting_date`` (today): the one started, else a new one."""
    now = now or days.now_utc()
    day = data.meeting_date or store.today_local(now)
    _refuse_identifiers({"chair": data.chair})
    existing = session.scalar(
        select(Meeting).where(Meeting.meeting_date == day, Meeting.kind == data.kind)
    )
    if existing is not None:
        if data.chair and not existing.chair:
            existing.chair = data.chair.strip()
            session.commit()
        return get_meeting(session, existing.id)
    row = Meeting(
        meeting_date=day,
        kind=data.kind,
        chair=data.chair.strip() if data.chair else None,
        created_at=now,
        created_by=actor.name[:150],
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError:  # started at the same moment by someone else: theirs is the one
        session.rollback()
        existing = session.scalar(
            select(Meeting).where(Meeting.meeting_date == day, Meeting.kind == data.kind)
        )
        if existing is None:
            raise
        return get_meeting(session, existing.id)
    return get_meeting(session, row.id)


def list_meetings(
    session: Session, *, kind: str | None = None, limit: int = LIST_LIMIT
) -> MeetingList:
    """The meetings, latest first."""
    query = select(Meeting).order_by(Meeting.meeting_date.desc(), Meeting.kind, Meeting.id)
    if kind is not None:
        query = query.where(Meeting.kind == kind)
    rows = session.scalars(query.limit(max(1, min(limit, 500))))
    return MeetingList(meetings=[_summary(row) for row in rows])


def get_meeting(session: Session, meeting_id: int, *, today: date | None = None) -> MeetingOut:
    """A meeting with its minutes: attendees, decisions, and each action linked to it."""
    row = _load(session, meeting_id)
    attendees = session.scalars(
        select(MeetingAttendee)
        .where(MeetingAttendee.meeting_id == meeting_id)
        .order_by(MeetingAttendee.organisation, MeetingAttendee.name, MeetingAttendee.id)
    )
    decisions = session.scalars(
        select(MeetingDecision)
        .where(MeetingDecision.meeting_id == meeting_id)
        .order_by(MeetingDecision.recorded_at, MeetingDecision.id)
    )
    links = list(
        session.scalars(
            select(MeetingAction)
            .where(MeetingAction.meeting_id == meeting_id)
            .order_by(MeetingAction.at, MeetingAction.id)
        )
    )
    today = today or store.today_local()
    actions: dict[int, ActionOut] = {}
    for link in links:
        if link.action_id not in actions:
            try:
                actions[link.action_id] = store.get_action(session, link.action_id, today=today)
            except store.ActionNotFound:
                continue
    return MeetingOut(
        **_summary(row).model_dump(),
        attendees=[
            AttendeeOut(id=a.id, name=a.name, organisation=a.organisation, added_at=a.added_at)
            for a in attendees
        ],
        decisions=[
            DecisionOut(
                id=d.id,
                text=d.text,
                agenda_item=d.agenda_item,
                recorded_by=d.recorded_by,
                recorded_at=d.recorded_at,
            )
            for d in decisions
        ],
        actions=[
            MeetingActionOut(
                kind=link.kind,
                at=link.at,
                by=link.by,
                action=actions[link.action_id],
            )
            for link in links
            if link.action_id in actions
        ],
    )


def add_attendee(
    session: Session,
    meeting_id: int,
    data: AttendeeCreate,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> MeetingOut:
    """Record who attended, for which organisation."""
    _load(session, meeting_id)
    _refuse_identifiers({"name": data.name, "organisation": data.organisation})
    session.add(
        MeetingAttendee(
            meeting_id=meeting_id,
            name=data.name.strip(),
            organisation=data.organisation.strip(),
            added_at=now or days.now_utc(),
        )
    )
    session.commit()
    return get_meeting(session, meeting_id)


def add_decision(
    session: Session,
    meeting_id: int,
    data: DecisionCreate,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> MeetingOut:
    """Record a decision (who recorded it, when)."""
    _load(session, meeting_id)
    _refuse_identifiers({"text": data.text, "agenda_item": data.agenda_item})
    session.add(
        MeetingDecision(
            meeting_id=meeting_id,
            text=data.text.strip(),
            agenda_item=data.agenda_item,
            recorded_by=actor.name[:150],
            recorded_at=now or days.now_utc(),
        )
    )
    session.commit()
    return get_meeting(session, meeting_id)


def _link(
    session: Session, meeting_id: int, action_id: int, kind: str, actor: Actor, now: datetime
) -> None:
    session.add(
        MeetingAction(
            meeting_id=meeting_id, action_id=action_id, kind=kind, at=now, by=actor.name[:150]
        )
    )


def raise_action(
    session: Session,
    meeting_id: int,
    data: ActionCreate,
    actor: Actor,
    *,
    metrics: Collection[str],
    now: datetime | None = None,
) -> MeetingOut:
    """Raise an action in the meeting: the action (through ``app.actions.store``, its rules
    and history) and the meeting's link to it, in one transaction."""
    now = now or days.now_utc()
    _load(session, meeting_id)
    data = data.model_copy(update={"meeting_id": meeting_id})
    try:
        action = store.create_action(session, data, actor, metrics=metrics, now=now, commit=False)
        _link(session, meeting_id, action.id, "raised", actor, now)
        session.commit()
    except Exception:
        session.rollback()
        raise
    events.announce_data_changed()  # the store's contract for commit=False callers
    return get_meeting(session, meeting_id)


def record_action(
    session: Session,
    meeting_id: int,
    data: ActionLinkCreate,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> MeetingOut:
    """An existing action updated (a note in its log) or closed (marked done) in the meeting."""
    now = now or days.now_utc()
    _load(session, meeting_id)
    try:
        if data.kind == "closed":
            store.change_status(
                session,
                data.action_id,
                StatusChange(status="done", note=data.note),
                actor,
                now=now,
                commit=False,
            )
        else:
            note = data.note or "Reviewed in the meeting"
            store.add_update(
                session, data.action_id, UpdateCreate(text=note), actor, now=now, commit=False
            )
        _link(session, meeting_id, data.action_id, data.kind, actor, now)
        session.commit()
    except Exception:
        session.rollback()
        raise
    events.announce_data_changed()  # the charts' data version counts action changes
    return get_meeting(session, meeting_id)


def actions_due_by_organisation(
    session: Session, *, today: date | None = None, within_days: int = DUE_WITHIN_DAYS
) -> list[OrganisationActions]:
    """Open actions overdue or due within ``within_days`` of today, by owning organisation
    (the organisations with the most overdue first)."""
    today = today or store.today_local()
    listed = store.list_actions(
        session,
        ActionFilter(
            status="open", due_to=today + timedelta(days=within_days), limit=store.MAX_LIMIT
        ),
        today=today,
    )
    groups: dict[tuple[str, str], OrganisationActions] = {}
    for action in listed.actions:
        key = (action.organisation.kind, action.organisation.code)
        group = groups.setdefault(
            key, OrganisationActions(organisation=action.organisation, overdue=[], due=[])
        )
        (group.overdue if action.overdue else group.due).append(action)
    return sorted(
        groups.values(),
        key=lambda g: (-len(g.overdue), -len(g.due), g.organisation.name),
    )


def organisation_choices(session: Session) -> list[Organisation]:
    """The organisations a meeting's action can be owned by: the trusts of the sites, then the
    councils (by name)."""
    trusts = session.execute(
        select(Site.trust_code, Site.trust_name).distinct().order_by(Site.trust_code)
    ).all()
    councils = session.execute(
        select(Council.local_authority_code, Council.name).order_by(Council.name)
    ).all()
    seen: set[str] = set()
    out = []
    for code, name in trusts:
        if code not in seen:
            seen.add(code)
            out.append(Organisation(kind="trust", code=code, name=name or code))
    out += [Organisation(kind="council", code=code, name=name) for code, name in councils]
    return out


def site_trusts(session: Session) -> dict[str, str]:
    """``{site code: trust code}``: the organisation an action about a site belongs to."""
    return dict(session.execute(select(Site.site_code, Site.trust_code)).tuples().all())
