"""Events and their notices: record an event once (by its key), then send each notice once.

An event is written with one ``pending`` notice per channel — and the action it raises, if any
— in one transaction; the unique event key makes a second evaluation that finds the same event
a no-op, whichever process runs it. :func:`send_due` then sends every notice that is due: it
claims a notice (a conditional update of its attempt count, so two senders never send the same
one), sends it through apprise and records ``sent`` or ``failed`` with the reason and when to
try again; after ``max_attempts`` failures it stays ``failed``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.actions import rules as action_rules
from app.actions import store as actions
from app.actions.schemas import ActionCreate, Actor
from app.core.config import Settings
from app.domain.days import local_date
from app.metrics.registry import METRICS
from app.triggers.config import Channel, Rule, TriggersConfig
from models import TriggerEvent, TriggerNotice

log = logging.getLogger(__name__)
CONTACT_PREFIX = "contact:"
#: sends one notice to apprise URLs; raises NoticeFailed (or any error) when it was not sent
Sender = Callable[[list[str], str, str], None]


class NoticeFailed(RuntimeError):
    """A notice was not sent, in words that name no address or secret."""


@dataclass(frozen=True)
class NewEvent:
    key: str
    rule: str
    kind: str
    subject: str
    body: str
    path: str
    channels: list[str]


def record_event(
    session: Session,
    event: NewEvent,
    *,
    settings: Settings,
    now: datetime,
    rule: Rule | None = None,
) -> bool:
    """Record a new event, its pending notices and its action; False when already recorded."""
    if session.scalar(select(TriggerEvent.id).where(TriggerEvent.event_key == event.key)):
        return False
    event = _without_identifiers(event)
    link = settings.public_base_url.rstrip("/") + event.path
    row = TriggerEvent(
        event_key=event.key,
        rule=event.rule,
        kind=event.kind,
        fired_at=now,
        subject=event.subject[:300],
        body=event.body,
        link=link[:500],
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:  # another process recorded it a moment ago
        session.rollback()
        return False
    if rule is not None and rule.action is not None:
        row.action_id = _raise_action(session, rule, event, now)
    for channel in event.channels or ["(no channel)"]:
        session.add(
            TriggerNotice(
                event_key=event.key,
                rule=event.rule,
                channel=channel,
                status="pending" if event.channels else "undeliverable",
                attempts=0,
                created_at=now,
                next_attempt_at=now,
                error=None if event.channels else "the rule names no channel",
            )
        )
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    log.info("trigger %s fired: %s", event.rule, event.key)
    return True


def _without_identifiers(event: NewEvent) -> NewEvent:
    """A last guard: words that look like a patient identifier are withheld, never sent."""
    for field in ("subject", "body"):
        if action_rules.identifier_problem(field, getattr(event, field)) is not None:
            log.error("trigger %s: its %s looked like a patient identifier", event.rule, field)
            return dataclasses.replace(
                event,
                subject=f"Homeward: rule {event.rule} fired",
                body="The rule fired; its words were withheld because they looked like a "
                "patient identifier. See the page linked.",
            )
    return event


def _raise_action(session: Session, rule: Rule, event: NewEvent, now: datetime) -> int | None:
    assert rule.action is not None
    data = ActionCreate(
        title=event.subject.removeprefix("Homeward: ")[:200],
        organisation_kind=rule.action.organisation_kind,
        organisation_code=rule.action.organisation_code,
        owner=rule.action.owner,
        due_date=local_date(now) + timedelta(days=rule.action.due_in_days),
    )
    try:
        with session.begin_nested():
            made = actions.create_action(
                session,
                data,
                Actor(f"trigger {rule.name}"),
                metrics=METRICS,
                now=now,
                commit=False,
            )
    except actions.ActionRefused as exc:
        log.warning("trigger %s could not raise its action: %s", rule.name, exc)
        return None
    return made.id


def channel_urls(name: str, config: TriggersConfig, settings: Settings) -> list[str]:
    """The apprise URLs of a channel (or of an organisation's contacts, ``contact:CODE``)."""
    if name.startswith(CONTACT_PREFIX):
        channel = config.contacts.get(name.removeprefix(CONTACT_PREFIX))
    else:
        channel = config.channels.get(name)
    if channel is None:
        return []
    return _urls(channel, settings)


def _urls(channel: Channel, settings: Settings) -> list[str]:
    urls = list(channel.urls)
    if channel.email:
        if not settings.smtp_host:
            raise NoticeFailed("e-mail needs an SMTP server: set HOMEWARD_SMTP_HOST")
        urls.append(email_url(channel.email, settings))
    return urls


def email_url(to: list[str], settings: Settings) -> str:
    """apprise's ``mailto``/``mailtos`` URL for the SMTP settings and these recipients."""
    scheme = "mailto" if settings.smtp_security == "none" else "mailtos"
    auth = ""
    if settings.smtp_username:
        auth = quote(settings.smtp_username, safe="")
        if settings.smtp_password:
            auth += ":" + quote(settings.smtp_password, safe="")
        auth += "@"
    mode = {"none": "", "starttls": "&mode=starttls", "ssl": "&mode=ssl"}[settings.smtp_security]
    host = settings.smtp_host
    return (
        f"{scheme}://{auth}{host}:{settings.smtp_port}?smtp={host}"
        f"&from={quote(settings.smtp_from)}&to={quote(','.join(to))}{mode}"
    )


def apprise_send(urls: list[str], subject: str, body: str) -> None:
    """Send through apprise; NoticeFailed with what apprise said when any URL failed."""
    import apprise

    notifier = apprise.Apprise()
    for url in urls:
        if not notifier.add(url):
            raise NoticeFailed("an address of the channel is not one apprise can read")
    with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as said:
        sent = notifier.notify(title=subject, body=body, body_format=apprise.NotifyFormat.TEXT)
    if not sent:
        words = " ".join(line.strip() for line in said.getvalue().splitlines() if line.strip())
        raise NoticeFailed(f"not sent: {words[:400] or 'apprise reported a failure'}")


def send_due(
    session: Session,
    config: TriggersConfig,
    settings: Settings,
    *,
    now: datetime,
    sender: Sender = apprise_send,
) -> tuple[int, int]:
    """Send every pending notice and every failed one whose retry is due: (sent, failed)."""
    due = session.execute(
        select(TriggerNotice, TriggerEvent)
        .join(TriggerEvent, TriggerEvent.event_key == TriggerNotice.event_key)
        .where(
            TriggerNotice.status.in_(("pending", "failed")),
            TriggerNotice.attempts < config.max_attempts,
            or_(TriggerNotice.next_attempt_at.is_(None), TriggerNotice.next_attempt_at <= now),
        )
        .order_by(TriggerNotice.id)
    ).all()
    sent = failed = 0
    for notice, event in due:
        claimed = session.execute(
            update(TriggerNotice)
            .where(TriggerNotice.id == notice.id, TriggerNotice.attempts == notice.attempts)
            .values(attempts=notice.attempts + 1, last_attempt_at=now)
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
        if not claimed:
            continue  # another sender has it
        status, error = "sent", None
        try:
            urls = channel_urls(notice.channel, config, settings)
            if not urls:
                status, error = "undeliverable", f"no address for {notice.channel}"
            else:
                sender(urls, event.subject, f"{event.body}\n\n{event.link}")
        except NoticeFailed as exc:
            status, error = "failed", str(exc)
        except Exception as exc:  # a library's own failure: its class only (may quote URLs)
            status, error = "failed", f"not sent: {type(exc).__name__}"
        session.execute(
            update(TriggerNotice)
            .where(TriggerNotice.id == notice.id)
            .values(
                status=status,
                error=error,
                sent_at=now if status == "sent" else None,
                next_attempt_at=now + timedelta(minutes=config.retry_minutes)
                if status == "failed"
                else None,
            )
        )
        session.commit()
        if status == "sent":
            sent += 1
        elif status == "failed":
            failed += 1
            log.warning("notice %s on %s failed: %s", notice.event_key, notice.channel, error)
    return sent, failed
