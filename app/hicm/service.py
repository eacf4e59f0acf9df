"""The model as the API and the pages show it, and recording a self-assessment with the
evidence shown at the time."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.actions import store as actions_store
from app.actions.rules import identifier_problem
from app.actions.schemas import ActionFilter, ActionWallOut
from app.domain.days import local_date
from app.domain.hicm import MATURITY_LEVELS
from app.hicm import store
from app.hicm.schemas import AssessmentCreate, AssessmentOut
from app.metrics import hicm
from app.metrics.cache import cached


class Level(BaseModel):
    level: int
    name: str
    description: str


class ChangeOverview(hicm.ChangeEvidence):
    """A change with its evidence, its maturity history (newest first) and its actions (as the
    wall may see them: title, organisation, owner, status)."""

    latest: AssessmentOut | None
    history: list[AssessmentOut]
    actions: list[ActionWallOut]


class HicmOverview(BaseModel):
    end: date
    weeks: int
    levels: list[Level]
    changes: list[ChangeOverview]


LEVELS = [Level(level=m.level, name=m.name, description=m.description) for m in MATURITY_LEVELS]


def overview(session: Session, *, end: date | None, today: date) -> HicmOverview:
    """All nine changes: evidence (through the metrics cache: computed once per data version),
    assessments and actions (read now: they change without a feed arriving)."""
    found = cached(session, hicm.evidence, now_bound=end is None, end=end)
    history = store.history_by_change(session)
    changes = []
    for change in found.changes:
        listed = actions_store.list_wall_actions(
            session, ActionFilter(hicm_change=change.number), today=today
        )
        past = history[change.number]
        changes.append(
            ChangeOverview(
                **change.model_dump(),
                latest=past[0] if past else None,
                history=past,
                actions=listed.actions,
            )
        )
    return HicmOverview(end=found.end, weeks=found.weeks, levels=LEVELS, changes=changes)


def refusals(body: AssessmentCreate) -> list[tuple[str, str]]:
    """Why the text of ``body`` may not be stored: a self-assessment never holds a patient
    identifier (the actions' rule, DESIGN §4.13)."""
    problems = []
    for field in ("assessed_by", "notes"):
        found = identifier_problem(field, getattr(body, field))
        if found is not None:
            message = found.message.replace("actions never hold", "an assessment never holds")
            problems.append((field, message))
    return problems


def record(
    session: Session,
    body: AssessmentCreate,
    *,
    recorded_by: str,
    recorded_role: str,
    now: datetime,
    end: date | None = None,
) -> AssessmentOut:
    """Record ``body`` with the evidence of its change as shown now; refused
    (``store.AssessmentRefused``) with the reasons when a field cannot be stored."""
    problems = refusals(body)
    if problems:
        raise store.AssessmentRefused(problems)
    shown = cached(session, hicm.evidence, now_bound=end is None, end=end)
    change = next(c for c in shown.changes if c.number == body.change)
    return store.record_assessment(
        session,
        body,
        evidence=change.model_dump(mode="json"),
        recorded_by=recorded_by,
        recorded_role=recorded_role,
        now=now,
        today=local_date(now),
    )
