"""The audit trail: who read which patients' data, when, with which filters; and sign-ins.

A patient-level read is recorded in its own committed transaction BEFORE the data leaves the
server. If the record cannot be written the read fails (``AuditUnavailable``, answered as 503
"audit unavailable, nothing shown"): no patient-level data without its audit row.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.security.principal import Principal, utc_now
from models.security import AuditEvent

log = logging.getLogger("homeward.audit")

MAX_FILTERS_CHARS = 4000
PATIENT_READ = "patient_read"


class AuditUnavailable(RuntimeError):
    """The audit row could not be written: the read it guards must not happen."""


def _engine_of(target: Session | Engine | Connection) -> Engine:
    if isinstance(target, Engine):
        return target
    if isinstance(target, Connection):
        return target.engine
    bind = target.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


def _json_safe(filters: dict[str, Any] | None) -> dict[str, Any] | None:
    if not filters:
        return None
    kept = {key: value for key, value in filters.items() if value not in (None, "", [])}
    if not kept:
        return None
    text = json.dumps(kept, default=str, sort_keys=True)
    if len(text) > MAX_FILTERS_CHARS:
        return {"truncated": text[:MAX_FILTERS_CHARS]}
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _write(target: Session | Engine | Connection, event: AuditEvent) -> None:
    try:
        with Session(_engine_of(target)) as own, own.begin():
            own.add(event)
    except SQLAlchemyError as exc:
        log.error("audit write failed (%s): %s by %s", type(exc).__name__, event.what, event.actor)
        raise AuditUnavailable("the audit trail cannot be written") from exc


def record_patient_read(
    session_or_engine: Session | Engine | Connection,
    principal: Principal,
    what: str,
    filters: dict[str, Any] | None,
    patients: int | None,
    client: str | None,
    *,
    now: datetime | None = None,
) -> None:
    """Record (committed, in a transaction of its own) that ``principal`` read patient data.

    Call it after the data is fetched and before it is returned; it raises
    ``AuditUnavailable`` when the row cannot be written, and then nothing may be shown.
    """
    _write(
        session_or_engine,
        AuditEvent(
            at=now or utc_now(),
            actor=principal.name[:150],
            role=principal.role.value,
            action=PATIENT_READ,
            what=what[:400],
            # the scope the read was limited to is part of what was asked (DESIGN §7)
            filters=_json_safe({**(filters or {}), "scope": str(principal.scope)}),
            patients=patients,
            client=(client or "")[:64] or None,
        ),
    )


def record_event(
    session_or_engine: Session | Engine | Connection,
    *,
    actor: str,
    action: str,
    what: str,
    role: str | None = None,
    client: str | None = None,
    detail: str | None = None,
    filters: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Record a security event (sign-in, failed sign-in, sign-out, a user or token changed)."""
    _write(
        session_or_engine,
        AuditEvent(
            at=now or utc_now(),
            actor=actor[:150],
            role=role,
            action=action[:32],
            what=what[:400],
            filters=_json_safe(filters),
            client=(client or "")[:64] or None,
            detail=detail,
        ),
    )


@dataclass(frozen=True)
class AuditQuery:
    user: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    what: str | None = None  # a substring of what was read (a path, a page, a spell id)
    action: str | None = None
    limit: int = 100
    offset: int = 0


def search(session: Session, query: AuditQuery) -> tuple[int, list[AuditEvent]]:
    """Audit events matching the query, newest first, and how many match in all."""
    conditions = []
    if query.user:
        conditions.append(func.lower(AuditEvent.actor) == query.user.lower())
    if query.since:
        conditions.append(AuditEvent.at >= query.since)
    if query.until:
        conditions.append(AuditEvent.at < query.until)
    if query.what:
        pattern = "%" + query.what.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(AuditEvent.what.like(pattern + "%", escape="\\"))  # contains
    if query.action:
        conditions.append(AuditEvent.action == query.action)
    total = session.scalar(select(func.count()).select_from(AuditEvent).where(*conditions)) or 0
    rows = session.scalars(
        select(AuditEvent)
        .where(*conditions)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(query.limit)
        .offset(query.offset)
    ).all()
    return int(total), list(rows)
