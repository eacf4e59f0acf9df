"""Triggers, notices and the chase with real parts: a real SMTP server (aiosmtpd on 127.0.0.1)
and a real HTTP endpoint (http.server in a thread) receive what Homeward sends, on both
databases.

The scenario, by hand: at T = Friday 4 Dec 2026 09:00 UTC (09:00 in London), the patients
census last delivered data as of T − 48 h. Its expected interval is 6 h, so 48 h is more than
4× (24 h): the feed is **failing**; the other feeds have never delivered (state "never", which
the feed-stale rule does not fire on). One feed stale or failing scores 2 on the escalation
parameter ``stale_feeds`` (thresholds 1, 2, 3); with no beds, no census rows and no capacity,
every other parameter is unknown or at 1, so the system's level is 2.
"""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.actions import store as actions
from app.actions.rules import identifier_problem
from app.actions.schemas import ActionCreate, Actor
from app.core.config import Settings
from app.metrics.registry import METRICS
from app.triggers import jobs
from app.triggers.config import TriggersConfig, load_config
from models import Action, Council, IngestRun, Site, TriggerEvent, TriggerNotice

T = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
FAILING_BODY = (
    "The Patients (discharge-ready census) feed is failing: no new data for more than 4× the "
    "expected interval (6 hours). Its newest data: 2026-12-02 09:00 UTC; expected every 360 "
    "minutes."
)
SLACK_STYLE = "?:message=text&:version=&:type=&:attachments=&:title="


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler that keeps each message it accepts."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 OK"


class SmtpServer:
    """A real SMTP server on 127.0.0.1 that can be started late (to be "down" first)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def texts(self) -> list[tuple[str, str, str]]:
        """(to, subject, plain-text body) of each message received."""
        out = []
        for message in self.mailbox.messages:
            part = message.get_body(preferencelist=("plain",))
            assert part is not None
            out.append(
                (
                    str(message["To"]),
                    str(message["Subject"]),
                    part.get_content().replace("\r\n", "\n").strip(),
                )
            )
        return out


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down() -> Iterator[SmtpServer]:
    server = SmtpServer()  # not started: nothing listens on its port yet
    yield server
    server.stop()


class Webhook:
    """A real HTTP endpoint in a thread that keeps each POST's path and JSON body."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, Any]] = []
        self.answer = 200  # what the endpoint answers (500: it is failing)
        posts = self.posts
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                body = json.loads(self.rfile.read(length))
                if hook.answer == 200:
                    posts.append((self.path, body))
                self.send_response(hook.answer)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/hook{SLACK_STYLE}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def settings_for(smtp: SmtpServer) -> Settings:
    return Settings(
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,
        smtp_security="none",
        smtp_from="homeward@example.org",
        public_base_url="https://homeward.example.org/",
    )


def config_file(tmp_path: Path, text: str) -> TriggersConfig:
    """The shipped defaults with a local file merged over them (as in production)."""
    path = tmp_path / "triggers.local.toml"
    path.write_text(text)
    return load_config(path)


def only_feed_stale(tmp_path: Path, hook: Webhook) -> TriggersConfig:
    return config_file(
        tmp_path,
        f"""
[rules.system-level-4]
enabled = false
[rules.spc-concern]
enabled = false
[rules.feed-stale]
channels = ["bed-team", "hook"]
[channels.bed-team]
email = ["bed-team@example.org"]
[channels.hook]
urls = ["{hook.url()}"]
""",
    )


def patients_last_delivered(session: Session, at: datetime) -> None:
    session.add(
        IngestRun(
            feed="patients",
            source="folder",
            source_name="test",
            started_at=at,
            finished_at=at,
            status="succeeded",
            snapshot_at=at,
        )
    )
    session.commit()


def notices(session: Session) -> list[TriggerNotice]:
    session.expire_all()
    return list(session.scalars(select(TriggerNotice).order_by(TriggerNotice.channel)))


def test_a_trigger_sends_one_email_and_one_webhook_post_and_only_once(
    engine: Engine, session: Session, smtp: SmtpServer, webhook: Webhook, tmp_path: Path
) -> None:
    patients_last_delivered(session, T - timedelta(hours=48))
    config = only_feed_stale(tmp_path, webhook)
    settings = settings_for(smtp)

    said = jobs.run_evaluation(settings, now=T, config=config)
    assert said == "1 new event; 2 notices sent, 0 failed"
    link = "https://homeward.example.org/feeds"
    assert smtp.texts() == [
        (
            "bed-team@example.org",
            "Homeward: the Patients (discharge-ready census) feed is failing",
            f"{FAILING_BODY}\n\n{link}",
        )
    ]
    assert webhook.posts == [("/hook", {"text": f"{FAILING_BODY}\n\n{link}"})]
    for _to, subject, text in smtp.texts():
        assert identifier_problem("notice", f"{subject} {text}") is None

    # evaluated again (five minutes later, and again an hour later): the same event
    assert jobs.run_evaluation(settings, now=T + timedelta(minutes=5), config=config) is None
    assert jobs.run_evaluation(settings, now=T + timedelta(hours=1), config=config) is None
    assert len(smtp.mailbox.messages) == 1
    assert len(webhook.posts) == 1

    events = list(session.scalars(select(TriggerEvent)))
    assert [(e.event_key, e.rule, e.kind, e.link) for e in events] == [
        ("feed-stale:patients:2026-12-02T09:00:00+00:00", "feed-stale", "feed_stale", link)
    ]
    assert [(n.channel, n.status, n.attempts, n.sent_at, n.error) for n in notices(session)] == [
        ("bed-team", "sent", 1, T, None),
        ("hook", "sent", 1, T, None),
    ]


def test_a_feed_that_recovers_and_stops_again_is_a_new_event(
    engine: Engine, session: Session, smtp: SmtpServer, webhook: Webhook, tmp_path: Path
) -> None:
    patients_last_delivered(session, T - timedelta(hours=48))
    config = only_feed_stale(tmp_path, webhook)
    settings = settings_for(smtp)
    jobs.run_evaluation(settings, now=T, config=config)
    # data arrives at T + 1 h, then nothing: at T + 1 h + 13 h it is more than 2× 6 h old
    patients_last_delivered(session, T + timedelta(hours=1))
    assert jobs.run_evaluation(settings, now=T + timedelta(hours=2), config=config) is None
    said = jobs.run_evaluation(settings, now=T + timedelta(hours=14), config=config)
    assert said == "1 new event; 2 notices sent, 0 failed"
    subjects = [subject for _, subject, _ in smtp.texts()]
    assert subjects == [
        "Homeward: the Patients (discharge-ready census) feed is failing",
        "Homeward: the Patients (discharge-ready census) feed is stale",
    ]
    assert len(webhook.posts) == 2


def test_smtp_down_is_recorded_retried_then_sent_once(
    engine: Engine, session: Session, smtp_down: SmtpServer, webhook: Webhook, tmp_path: Path
) -> None:
    patients_last_delivered(session, T - timedelta(hours=48))
    config = only_feed_stale(tmp_path, webhook)  # retry_minutes = 10 (the default)
    settings = settings_for(smtp_down)

    said = jobs.run_evaluation(settings, now=T, config=config)
    assert said == "1 new event; 1 notice sent, 1 failed"
    email_notice, hook_notice = notices(session)
    assert (email_notice.channel, email_notice.status, email_notice.attempts) == (
        "bed-team",
        "failed",
        1,
    )
    # apprise's words, without its log line's time and level
    assert email_notice.error == 'not sent: Connection error while submitting email to "127.0.0.1"'
    assert email_notice.next_attempt_at == T + timedelta(minutes=10)
    assert email_notice.sent_at is None
    assert (hook_notice.status, hook_notice.attempts) == ("sent", 1)

    # 5 minutes later: not due yet, so not tried (still one attempt)
    assert jobs.run_evaluation(settings, now=T + timedelta(minutes=5), config=config) is None
    assert notices(session)[0].attempts == 1

    smtp_down.start()  # the server is back
    later = T + timedelta(minutes=10)
    assert jobs.run_evaluation(settings, now=later, config=config) == (
        "0 new events; 1 notice sent, 0 failed"
    )
    email_notice, hook_notice = notices(session)
    assert (email_notice.status, email_notice.attempts, email_notice.sent_at) == (
        "sent",
        2,
        later,
    )
    assert email_notice.error is None
    assert jobs.run_evaluation(settings, now=later + timedelta(minutes=10), config=config) is None
    assert len(smtp_down.mailbox.messages) == 1
    assert len(webhook.posts) == 1  # the webhook had it the first time, and only then


def test_escalation_level_fires_once_a_day_and_raises_an_action(
    engine: Engine, session: Session, smtp: SmtpServer, webhook: Webhook, tmp_path: Path
) -> None:
    session.add(
        Site(site_code="RXA01", name="Test General", trust_code="RXA", trust_name="Test Trust")
    )
    session.commit()
    patients_last_delivered(session, T - timedelta(hours=48))
    config = config_file(
        tmp_path,
        f"""
[rules.system-level-4]
enabled = false
[rules.spc-concern]
enabled = false
[rules.feed-stale]
enabled = false
[rules.system-level-2]
kind = "escalation_level"
level = 2
channels = ["hook"]
[rules.system-level-2.action]
organisation_kind = "trust"
organisation_code = "RXA"
owner = "Site manager"
due_in_days = 1
[channels.hook]
urls = ["{webhook.url()}"]
""",
    )
    settings = settings_for(smtp)
    assert jobs.run_evaluation(settings, now=T, config=config) == (
        "1 new event; 1 notice sent, 0 failed"
    )
    body = (
        "The escalation level of the system is 2 (this rule fires at 2 or above). What drives "
        "it: Feeds stale or failing: 1 (level 2).\n\nhttps://homeward.example.org/wall"
    )
    assert webhook.posts == [("/hook", {"text": body})]
    # later the same day: the same event; the next day: a new one (and a new action)
    assert jobs.run_evaluation(settings, now=T + timedelta(hours=3), config=config) is None
    assert jobs.run_evaluation(settings, now=T + timedelta(days=1), config=config) == (
        "1 new event; 1 notice sent, 0 failed"
    )
    assert len(webhook.posts) == 2
    raised = list(session.scalars(select(Action).order_by(Action.id)))
    assert [(a.title, a.organisation_code, a.owner, a.due_date, a.status) for a in raised] == [
        ("the system is at escalation level 2", "RXA", "Site manager", date(2026, 12, 5), "open"),
        ("the system is at escalation level 2", "RXA", "Site manager", date(2026, 12, 6), "open"),
    ]
    events = list(session.scalars(select(TriggerEvent).order_by(TriggerEvent.id)))
    assert [e.event_key for e in events] == [
        "system-level-2:system:2026-12-04",
        "system-level-2:system:2026-12-05",
    ]
    assert [e.action_id for e in events] == [a.id for a in raised]
    assert smtp.mailbox.messages == []


def test_an_overdue_action_is_chased_once_a_day_at_its_organisations_contacts(
    engine: Engine, session: Session, smtp: SmtpServer, tmp_path: Path
) -> None:
    session.add(Council(local_authority_code="E06000901", name="Test Council"))
    session.commit()
    made = actions.create_action(
        session,
        ActionCreate(
            title="Open 4 more P1 slots",
            organisation_kind="council",
            organisation_code="E06000901",
            owner="J Smith",
            due_date=date(2026, 12, 2),
        ),
        Actor("coordinator1", "coordinator"),
        metrics=METRICS,
        now=T - timedelta(days=5),
    )
    # due on Wednesday: open on Friday is 2 days overdue; one due today is not overdue
    actions.create_action(
        session,
        ActionCreate(
            title="Review the P3 list",
            organisation_kind="council",
            organisation_code="E06000901",
            owner="J Smith",
            due_date=date(2026, 12, 4),
        ),
        Actor("coordinator1", "coordinator"),
        metrics=METRICS,
        now=T - timedelta(days=5),
    )
    config = config_file(
        tmp_path,
        """
chase_from_hour = 8
[contacts.E06000901]
email = ["council-team@example.org"]
""",
    )
    settings = settings_for(smtp)

    # 07:30 in London: before the chase hour, nothing yet
    assert jobs.run_chase(settings, now=T - timedelta(minutes=90), config=config) is None
    assert jobs.run_chase(settings, now=T, config=config) == (
        "1 new event; 1 notice sent, 0 failed"
    )
    assert jobs.run_chase(settings, now=T + timedelta(hours=1), config=config) is None
    assert jobs.run_chase(settings, now=T + timedelta(hours=8), config=config) is None
    link = f"https://homeward.example.org/meeting?action={made.id}"
    assert smtp.texts() == [
        (
            "council-team@example.org",
            "Homeward: overdue action for Test Council: Open 4 more P1 slots",
            'The action "Open 4 more P1 slots" for Test Council (owner J Smith) was due on '
            "02 Dec 2026 and is still open, 2 days overdue. Please update it or close it."
            f"\n\n{link}",
        )
    ]
    # the next day both are overdue: one chase each
    assert jobs.run_chase(settings, now=T + timedelta(days=1), config=config) == (
        "2 new events; 2 notices sent, 0 failed"
    )
    assert len(smtp.mailbox.messages) == 3
    assert [n.channel for n in notices(session)] == ["contact:E06000901"] * 3


def test_an_organisation_without_contacts_is_recorded_undeliverable(
    engine: Engine, session: Session, smtp: SmtpServer, tmp_path: Path
) -> None:
    session.add(Council(local_authority_code="E06000902", name="Other Council"))
    session.commit()
    actions.create_action(
        session,
        ActionCreate(
            title="Check the housing list",
            organisation_kind="council",
            organisation_code="E06000902",
            owner="A Jones",
            due_date=date(2026, 12, 1),
        ),
        Actor("coordinator1", "coordinator"),
        metrics=METRICS,
        now=T - timedelta(days=5),
    )
    config = config_file(tmp_path, "chase_from_hour = 8\n")
    assert jobs.run_chase(settings_for(smtp), now=T, config=config) == (
        "1 new event; 0 notices sent, 0 failed"
    )
    [notice] = notices(session)
    assert (notice.channel, notice.status, notice.error) == (
        "contact:E06000902",
        "undeliverable",
        "no address for contact:E06000902",
    )
    assert smtp.mailbox.messages == []


def test_an_action_the_store_refuses_leaves_the_notice_to_go(
    engine: Engine, session: Session, smtp: SmtpServer, webhook: Webhook, tmp_path: Path
) -> None:
    patients_last_delivered(session, T - timedelta(hours=48))
    config = config_file(
        tmp_path,
        f"""
[rules.system-level-4]
enabled = false
[rules.spc-concern]
enabled = false
[rules.feed-stale]
channels = ["hook"]
[rules.feed-stale.action]
organisation_kind = "council"
organisation_code = "E06009999"
owner = "Nobody"
[channels.hook]
urls = ["{webhook.url()}"]
""",
    )
    said = jobs.run_evaluation(settings_for(smtp), now=T, config=config)
    assert said == "1 new event; 1 notice sent, 0 failed"
    [event] = session.scalars(select(TriggerEvent)).all()
    assert event.action_id is None  # E06009999 is not in the reference data
    assert session.scalars(select(Action)).all() == []
    assert len(webhook.posts) == 1


def test_a_webhook_answering_an_error_is_recorded_and_retried(
    engine: Engine, session: Session, smtp: SmtpServer, webhook: Webhook, tmp_path: Path
) -> None:
    patients_last_delivered(session, T - timedelta(hours=48))
    config = only_feed_stale(tmp_path, webhook)
    settings = settings_for(smtp)
    webhook.answer = 500
    assert jobs.run_evaluation(settings, now=T, config=config) == (
        "1 new event; 1 notice sent, 1 failed"
    )
    hook_notice = notices(session)[1]
    assert (hook_notice.channel, hook_notice.status, hook_notice.attempts) == ("hook", "failed", 1)
    assert hook_notice.error == (
        "not sent: Failed to send JSON POST notification: Internal server error., error=500."
    )
    webhook.answer = 200
    assert jobs.run_evaluation(settings, now=T + timedelta(minutes=10), config=config) == (
        "0 new events; 1 notice sent, 0 failed"
    )
    assert len(webhook.posts) == 1
    assert len(smtp.mailbox.messages) == 1
    assert [(n.channel, n.status, n.attempts) for n in notices(session)] == [
        ("bed-team", "sent", 1),
        ("hook", "sent", 2),
    ]
