"""Recording and reading the self-assessments. An assessment is never changed: a later one for
the same change supersedes it, and the history keeps both."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.hicm import LEVELS, change_name
from app.hicm.schemas import AssessmentCreate, AssessmentList, AssessmentOut
from models.hicm import HicmAssessment

MAX_LIMIT = 500


class AssessmentRefused(ValueError):
    """The assessment cannot be stored; ``problems`` says which field and why."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))
        self.problems = problems


def _out(row: HicmAssessment) -> AssessmentOut:
    return AssessmentOut(
        id=row.id,
        change=row.change_number,
        change_name=change_name(row.change_number),
        level=row.level,
        level_name=LEVELS[row.level].name,
        assessed_on=row.assessed_on,
        assessed_by=row.assessed_by,
        notes=row.notes,
        evidence=json.loads(row.evidence),
        recorded_at=row.recorded_at,
        recorded_by=row.recorded_by,
        recorded_role=row.recorded_role,
    )


def record_assessment(
    session: Session,
    body: AssessmentCreate,
    *,
    evidence: dict[str, Any],
    recorded_by: str,
    recorded_role: str,
    now: datetime | None = None,
    today: date | None = None,
) -> AssessmentOut:
    """Store a self-assessment with the evidence shown at the time, and commit."""
    if today is not None and body.assessed_on > today:
        raise AssessmentRefused([("assessed_on", f"{body.assessed_on} is in the future")])
    row = HicmAssessment(
        change_number=body.change,
        level=body.level,
        assessed_on=body.assessed_on,
        assessed_by=body.assessed_by,
        notes=body.notes or None,
        evidence=json.dumps(evidence, default=str, sort_keys=True),
        recorded_at=now or datetime.now(UTC),
        recorded_by=recorded_by,
        recorded_role=recorded_role,
    )
    session.add(row)
    session.commit()
    return _out(row)


def list_assessments(
    session: Session, *, change: int | None = None, limit: int = 100, offset: int = 0
) -> AssessmentList:
    """Assessments, newest first (by the day agreed, then the order recorded)."""
    conditions = [HicmAssessment.change_number == change] if change is not None else []
    total = session.scalar(select(func.count()).select_from(HicmAssessment).where(*conditions))
    rows = session.scalars(
        select(HicmAssessment)
        .where(*conditions)
        .order_by(HicmAssessment.assessed_on.desc(), HicmAssessment.id.desc())
        .limit(max(0, min(limit, MAX_LIMIT)))
        .offset(max(0, offset))
    )
    return AssessmentList(total=int(total or 0), assessments=[_out(r) for r in rows])


def history_by_change(session: Session) -> dict[int, list[AssessmentOut]]:
    """Every change's assessments, newest first (an empty list for a change never assessed)."""
    rows = session.scalars(
        select(HicmAssessment).order_by(HicmAssessment.assessed_on.desc(), HicmAssessment.id.desc())
    )
    found: dict[int, list[AssessmentOut]] = {n: [] for n in range(1, 10)}
    for row in rows:
        found[row.change_number].append(_out(row))
    return found
