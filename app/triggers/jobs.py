"""The triggers' scheduler jobs: evaluate the rules (and send what is due), chase overdue actions.

Both are :class:`ingest.scheduler.ExtraJob`\\ s that the entry points (``app.main``'s embedded
scheduler, ``homeward scheduler``) hand to the scheduler, as ``app.demo`` hands it the simulator:
the scheduler's leadership and tick claims run each tick once, in one process, and ``ingest``
never imports the metrics these jobs read. Sending is idempotent besides (events are unique by
key, notices claimed before they are sent), so a retried or overlapping run sends nothing twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from app.actions import store as actions
from app.actions.schemas import ActionFilter
from app.core.config import Settings, get_settings
from app.core.db import get_sessionmaker
from app.domain.days import local_date, zone
from app.triggers.config import TriggersConfig, get_config
from app.triggers.kinds import KINDS, options_of
from app.triggers.notices import (
    CONTACT_PREFIX,
    NewEvent,
    Sender,
    apprise_send,
    record_event,
    send_due,
)
from ingest.scheduler import ExtraJob

log = logging.getLogger(__name__)
CHASE_RULE = "chase"
CHASE_EVERY_SECONDS = 3600  # hourly ticks; each action is chased once a day by its event key


def evaluate(session: Session, config: TriggersConfig, settings: Settings, now: datetime) -> int:
    """Evaluate every enabled rule and record the new events; how many were new."""
    new = 0
    for rule in config.rules.values():
        if not rule.enabled:
            continue
        kind = KINDS[rule.kind]
        try:
            firings = kind.evaluate(session, options_of(rule), now)
        except Exception:
            session.rollback()
            log.exception("trigger rule %s could not be evaluated", rule.name)
            continue
        for firing in firings:
            event = NewEvent(
                key=f"{rule.name}:{firing.key}",
                rule=rule.name,
                kind=rule.kind,
                subject=firing.subject,
                body=firing.body,
                path=firing.path,
                channels=list(rule.channels),
            )
            new += record_event(session, event, settings=settings, now=now, rule=rule)
    return new


def chase(session: Session, config: TriggersConfig, settings: Settings, now: datetime) -> int:
    """Record today's chase of each overdue action (from ``chase_from_hour`` local time)."""
    if now.astimezone(zone()).hour < config.chase_from_hour:
        return 0
    today = local_date(now)
    new, offset = 0, 0
    while True:
        page = actions.list_actions(
            session,
            ActionFilter(status="open", overdue=True, limit=500, offset=offset),
            today=today,
        )
        for action in page.actions:
            late = (today - action.due_date).days
            organisation = action.organisation
            event = NewEvent(
                key=f"{CHASE_RULE}:{action.id}:{today.isoformat()}",
                rule=CHASE_RULE,
                kind="overdue_action",
                subject=f"Homeward: overdue action for {organisation.name}: {action.title}",
                body=(
                    f'The action "{action.title}" for {organisation.name} (owner '
                    f"{action.owner}) was due on {action.due_date:%d %b %Y} and is still open, "
                    f"{late} day{'s' if late != 1 else ''} overdue. Please update it or close it."
                ),
                path=f"/meeting?action={action.id}",
                channels=[CONTACT_PREFIX + organisation.code],
            )
            new += record_event(session, event, settings=settings, now=now)
        offset += len(page.actions)
        if not page.actions or offset >= page.total:
            return new


def run_evaluation(
    settings: Settings | None = None,
    *,
    now: datetime | None = None,
    sender: Sender = apprise_send,
    config: TriggersConfig | None = None,
) -> str | None:
    """The ``triggers_evaluate`` job: new events, then every notice due (retries included)."""
    settings = settings or get_settings()
    config = config or get_config()
    now = now or datetime.now(UTC)
    with get_sessionmaker()() as session:
        new = evaluate(session, config, settings, now)
        sent, failed = send_due(session, config, settings, now=now, sender=sender)
    return _describe(new, sent, failed)


def run_chase(
    settings: Settings | None = None,
    *,
    now: datetime | None = None,
    sender: Sender = apprise_send,
    config: TriggersConfig | None = None,
) -> str | None:
    """The ``triggers_chase`` job: today's chase of the overdue actions, then what is due."""
    settings = settings or get_settings()
    config = config or get_config()
    now = now or datetime.now(UTC)
    with get_sessionmaker()() as session:
        new = chase(session, config, settings, now)
        sent, failed = send_due(session, config, settings, now=now, sender=sender)
    return _describe(new, sent, failed)


def _describe(new: int, sent: int, failed: int) -> str | None:
    if not (new or sent or failed):
        return None
    return (
        f"{new} new event{'' if new == 1 else 's'}; "
        f"{sent} notice{'' if sent == 1 else 's'} sent, {failed} failed"
    )


def trigger_jobs(settings: Settings) -> list[ExtraJob]:
    """The scheduler jobs of the triggers (none when ``enabled = false``)."""
    config = get_config()
    if not config.enabled:
        return []
    every = config.evaluate_every_minutes * 60
    return [
        ExtraJob("triggers_evaluate", lambda: run_evaluation(settings), every, grace=every),
        ExtraJob("triggers_chase", lambda: run_chase(settings), CHASE_EVERY_SECONDS, grace=1800),
    ]
