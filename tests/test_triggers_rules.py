"""Trigger rules as configuration (the shipped file, a local file merged over it, what is
refused), the SPC rule on a hand-made weekly series, and the jobs on the scheduler's ticks."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.metrics import registry
from app.triggers import jobs
from app.triggers.config import TriggersConfig, load_config
from app.triggers.kinds import SpcOptions, spc_concern
from ingest import scheduler
from models import SchedulerJobRun, TriggerEvent, TriggerNotice

T = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # a Friday; the last complete week ended Sun 29 Nov


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "local.toml"
    path.write_text(text)
    return path


def test_the_shipped_rules() -> None:
    config = load_config(None)
    assert {name: rule.kind for name, rule in config.rules.items()} == {
        "system-level-4": "escalation_level",
        "spc-concern": "spc_concern",
        "feed-stale": "feed_stale",
        "internal-delay-48h": "internal_delay",
    }
    assert config.rules["system-level-4"].options == {"level": 4}
    assert config.channels["system"].email == [] and config.channels["system"].urls == []
    assert (config.evaluate_every_minutes, config.chase_from_hour) == (5, 8)


def test_a_local_file_is_merged_over_the_defaults(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
evaluate_every_minutes = 2
[rules.system-level-4]
level = 3
[channels.system]
email = ["bed-team@example.org"]
""",
        )
    )
    assert config.evaluate_every_minutes == 2
    assert config.rules["system-level-4"].options == {"level": 3}
    assert config.rules["system-level-4"].channels == ["system"]  # kept from the defaults
    assert config.channels["system"].email == ["bed-team@example.org"]
    assert set(config.rules) == {
        "system-level-4",
        "spc-concern",
        "feed-stale",
        "internal-delay-48h",
    }


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('[rules.x]\nkind = "internal_delay"\nhours = 48\n', "hours"),
        ('[rules.x]\nkind = "moon_phase"\n', "unknown kind 'moon_phase'; one of escalation_level"),
        ('[rules.x]\nkind = "escalation_level"\nlevel = 5\n', "rule 'x'"),
        ('[rules.x]\nkind = "escalation_level"\nlevel = 3\nlevl = 4\n', "levl"),
        ('[rules.x]\nkind = "spc_concern"\nmetrics = ["no_such"]\n', "unknown metrics no_such"),
        (
            '[rules.x]\nkind = "feed_stale"\nchannels = ["pager"]\n',
            "rule 'x' notifies unknown channels pager",
        ),
    ],
)
def test_what_a_rule_may_not_say(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(ValidationError) as refused:
        load_config(write(tmp_path, text))
    assert words in str(refused.value)


def test_the_settings_name_the_local_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "chase_from_hour = 7\n")
    monkeypatch.setenv("HOMEWARD_TRIGGERS_CONFIG_FILE", str(path))
    get_settings.cache_clear()
    try:
        from app.triggers.config import get_config

        assert get_config().chase_from_hour == 7
    finally:
        get_settings.cache_clear()


def series(values: list[float]) -> registry.WeeklySeries:
    """A weekly series that answers ``values`` for the weeks asked (the last is the newest)."""

    def weekly(_session: Session, sundays: object, _site: str | None) -> list[float | None]:
        assert len(sundays) == len(values)  # type: ignore[arg-type]
        return list(values)

    return weekly


def with_series(monkeypatch: pytest.MonkeyPatch, slug: str, values: list[float]) -> None:
    metric = registry.METRICS[slug]
    monkeypatch.setitem(registry.METRICS, slug, dataclasses.replace(metric, weekly=series(values)))


def test_spc_concern_fires_on_the_newest_week_only_when_it_is_a_concern(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # delayed days: lower is better. 25 weeks alternating 100, 110 (mR̄ = 10: limits
    # ≈ 105 ± 26.6), then 300 — far above the upper limit: a special cause of concern.
    with_series(monkeypatch, "delayed_days", [100, 110] * 12 + [100, 300])
    firings = spc_concern(session, SpcOptions(metrics=["delayed_days"]), T)
    assert [(f.key, f.subject, f.path) for f in firings] == [
        (
            "delayed_days:system:2026-11-29",
            "Homeward: special cause of concern in Delayed days (bed days lost)",
            "/reports/weekly#delayed_days",
        )
    ]
    assert "in the week ending 29 Nov 2026 is a special cause of concern" in firings[0].body
    assert "value 300" in firings[0].body

    # the same jump downwards is an improvement, not a concern: nothing fires
    with_series(monkeypatch, "delayed_days", [100, 110] * 12 + [100, 10])
    assert spc_concern(session, SpcOptions(metrics=["delayed_days"]), T) == []
    # and an ordinary week fires nothing
    with_series(monkeypatch, "delayed_days", [100, 110] * 13)
    assert spc_concern(session, SpcOptions(metrics=["delayed_days"]), T) == []


def test_the_jobs_run_on_the_schedulers_ticks_once_each(
    engine: Engine, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    sched = BackgroundScheduler(timezone=UTC)
    leadership = scheduler.Leadership(engine, tmp_path / "locks")
    try:
        scheduler.configure(sched, settings, jobs.trigger_jobs(settings), leadership=leadership)
    finally:
        leadership.release()
    by_id = {job.id: job for job in sched.get_jobs()}
    assert by_id["triggers_evaluate"].trigger.interval == timedelta(minutes=5)
    assert by_id["triggers_chase"].trigger.interval == timedelta(hours=1)

    # the evaluation as the scheduler wraps it: a second run in the same tick does nothing
    runs: list[datetime] = []
    monkeypatch.setattr(jobs, "run_evaluation", lambda *_a, **_k: runs.append(T) or "ran")
    [evaluate] = [j for j in jobs.trigger_jobs(settings) if j.job_id == "triggers_evaluate"]
    wrapped = scheduler.locked(
        "triggers_evaluate", evaluate.func, settings, seconds=evaluate.seconds, clock=lambda: T
    )
    assert wrapped() == "ran"
    assert wrapped() is None
    assert len(runs) == 1
    ticks = session.scalars(
        select(SchedulerJobRun.status).where(SchedulerJobRun.job_id == "triggers_evaluate")
    ).all()
    assert ticks == ["succeeded"]


def test_disabled_triggers_add_no_jobs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEWARD_TRIGGERS_CONFIG_FILE", str(write(tmp_path, "enabled = false\n")))
    get_settings.cache_clear()
    try:
        assert jobs.trigger_jobs(get_settings()) == []
    finally:
        get_settings.cache_clear()


def test_the_shipped_channel_without_addresses_records_undeliverable(
    engine: Engine, session: Session
) -> None:
    # a feed failing (48 h > 4 × 6 h) with the shipped configuration: one event, recorded
    # undeliverable on the "system" channel, which has no address until a local file gives one
    from models import IngestRun

    at = T - timedelta(hours=48)
    session.add(
        IngestRun(
            feed="patients",
            source="folder",
            started_at=at,
            finished_at=at,
            status="succeeded",
            snapshot_at=at,
        )
    )
    session.commit()
    config: TriggersConfig = load_config(None)
    sent: list[str] = []
    said = jobs.run_evaluation(
        Settings(), now=T, config=config, sender=lambda urls, s, b: sent.append(s)
    )
    assert said == "1 new event; 0 notices sent, 0 failed"
    assert sent == []
    keys = session.scalars(select(TriggerEvent.event_key)).all()
    assert keys == ["feed-stale:patients:2026-12-02T09:00:00+00:00"]
    statuses = session.execute(select(TriggerNotice.channel, TriggerNotice.status)).all()
    assert [tuple(r) for r in statuses] == [("system", "undeliverable")]


def test_words_that_look_like_a_patient_identifier_are_withheld(
    engine: Engine, session: Session
) -> None:
    from app.triggers.notices import NewEvent, record_event

    event = NewEvent(
        key="x:1",
        rule="x",
        kind="feed_stale",
        subject="Homeward: about 999 123 4567",  # NHS-number shaped: must never be sent
        body="nothing",
        path="/feeds",
        channels=["system"],
    )
    assert record_event(session, event, settings=Settings(), now=T) is True
    [row] = session.scalars(select(TriggerEvent)).all()
    assert row.subject == "Homeward: rule x fired"
    assert "999" not in row.subject + row.body
    assert "withheld" in row.body
