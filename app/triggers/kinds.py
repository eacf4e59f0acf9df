"""The kinds of rule: what each looks at, when it fires and the event it names.

A kind is an options model and a function from the store to the firings now; adding one is
adding an entry to :data:`KINDS`. Each firing's key names the event, so that the same event
found again on the next evaluation is recognised and never sent twice:

- ``escalation_level`` — the system's (or a site's) escalation level reaches ``level``: one
  event per local day it does;
- ``spc_concern`` — a metric's latest complete week is a special cause of concern on its XmR
  chart: one event per metric and week;
- ``feed_stale`` — a feed is stale or failing: one event per feed and newest data it stopped
  at (it fires again only after data arrived and stopped again);
- ``internal_delay`` — an internal delay over 48 hours appears (DESIGN §4.11): one event per
  patient's internal run (the run's first day and a one-way digest of the spell: the key never
  holds a patient identifier, nor do the words — ward, reason, days and who must act only).

The words say what fired in aggregates only (levels, metrics, feeds): never a patient.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy.orm import Session

from app.domain.days import local_date
from app.metrics import discharge_asks, escalation, flow, freshness, trends
from app.metrics.registry import METRICS

if TYPE_CHECKING:
    from app.triggers.config import Rule

#: kinds named in the docs but not in this version (a rule of one is refused with the reason)
PENDING_KINDS: dict[str, str] = {}


@dataclass(frozen=True)
class Firing:
    """One event a rule found: its key within the rule, its words and the page it links to."""

    key: str
    subject: str
    body: str
    path: str


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EscalationOptions(_Options):
    level: int = Field(ge=2, le=4)
    site: str | None = None  # a site's level instead of the system's


class SpcOptions(_Options):
    metrics: list[str] = []  # empty: every metric of the registry
    site: str | None = None
    weeks: int = Field(default=26, ge=12, le=104)


class InternalDelayOptions(_Options):
    site: str | None = None  # one site's internal delays instead of the system's


class StaleOptions(_Options):
    states: list[Literal["stale", "failing"]] = ["stale", "failing"]


def escalation_level(session: Session, options: EscalationOptions, now: datetime) -> list[Firing]:
    summary = flow.summary(session, at=now, site=options.site)
    level = summary.total.escalation
    if level.level < options.level:
        return []
    where = f"site {options.site}" if options.site else "the system"
    return [
        Firing(
            key=f"{options.site or 'system'}:{local_date(now).isoformat()}",
            subject=f"Homeward: {where} is at escalation level {level.level}",
            body=(
                f"The escalation level of {where} is {level.level} (this rule fires at "
                f"{options.level} or above). What drives it: "
                f"{escalation.driver_sentence(level)}."
            ),
            path="/wall",
        )
    ]


def spc_concern(session: Session, options: SpcOptions, now: datetime) -> list[Firing]:
    last_week_end = local_date(now) - timedelta(days=1)
    firings = []
    for slug in options.metrics or list(METRICS):
        chart = trends.weekly(
            session, metric=slug, weeks=options.weeks, site=options.site, end=last_week_end
        )
        point = chart.points[-1] if chart.points else None
        if point is None or not point.special_cause or point.point_type != "concern":
            continue
        where = f"site {options.site}" if options.site else "the system"
        firings.append(
            Firing(
                key=f"{slug}:{options.site or 'system'}:{point.week_ending.isoformat()}",
                subject=f"Homeward: special cause of concern in {chart.metric.label}",
                body=(
                    f"{chart.metric.label} for {where} in the week ending "
                    f"{point.week_ending:%d %b %Y} is a special cause of concern on its SPC "
                    f"chart (value {point.value:g}, mean {chart.mean:g})."
                    if point.value is not None and chart.mean is not None
                    else f"{chart.metric.label} shows a special cause of concern."
                ),
                path=f"/reports/weekly#{slug}",
            )
        )
    return firings


def feed_stale(session: Session, options: StaleOptions, now: datetime) -> list[Firing]:
    firings = []
    for status in freshness.feed_status(session, now):
        if status.state not in options.states:
            continue
        since = status.last_snapshot_at
        newest = f"{since:%Y-%m-%d %H:%M} UTC" if since else "never"
        firings.append(
            Firing(
                key=f"{status.feed}:{since.isoformat() if since else 'never'}",
                subject=f"Homeward: the {status.label} feed is {status.state}",
                body=(
                    f"The {status.label} feed is {status.state}: {status.message}. "
                    f"Its newest data: {newest}; expected every "
                    f"{status.expected_interval_minutes} minutes."
                ),
                path="/feeds",
            )
        )
    return firings


def internal_delay(session: Session, options: InternalDelayOptions, now: datetime) -> list[Firing]:
    """Each internal delay over 48 hours in hospital now: one event per run (a run that goes on
    is the same event at every evaluation; a new run after an external day is a new one)."""
    found = discharge_asks.internal_delays(session, at=now, site=options.site)
    today = local_date(now)
    firings = []
    for patient in found.patients:
        started = today - timedelta(days=patient.internal_days)
        digest = hashlib.sha256(patient.spell_id.encode()).hexdigest()[:16]
        reason = patient.delay_reason.label if patient.delay_reason else "an internal reason"
        who = patient.agency or "not recorded"
        firings.append(
            Firing(
                key=f"{digest}:{started.isoformat()}",
                subject=f"Homeward: an internal delay over 48 hours at {patient.site}",
                body=(
                    f"A patient on {patient.ward_name} ({patient.site}) has been delayed for "
                    f"{patient.internal_days} days by a reason within the hospital's own "
                    f"control: {reason}. Who must act: {who}. NHS England asks that no "
                    "internal delay lasts over 48 hours; the coordinator's list names the "
                    "patient."
                ),
                path="/coordinator?ask=internal_48h",
            )
        )
    return firings


@dataclass(frozen=True)
class Kind:
    options: type[_Options]
    evaluate: Callable[[Session, _Options, datetime], list[Firing]]


KINDS: dict[str, Kind] = {
    "escalation_level": Kind(EscalationOptions, escalation_level),  # type: ignore[arg-type]
    "spc_concern": Kind(SpcOptions, spc_concern),  # type: ignore[arg-type]
    "feed_stale": Kind(StaleOptions, feed_stale),  # type: ignore[arg-type]
    "internal_delay": Kind(InternalDelayOptions, internal_delay),  # type: ignore[arg-type]
}


def options_of(rule: Rule) -> _Options:
    """The rule's options, read by its kind's model."""
    return KINDS[rule.kind].options.model_validate(rule.options)


def check_options(rule: Rule) -> None:
    """Refuse an unknown or pending kind, or options its kind does not read."""
    if rule.kind in PENDING_KINDS:
        raise ValueError(
            f"rule {rule.name!r}: kind {rule.kind!r} is pending: {PENDING_KINDS[rule.kind]}"
        )
    if rule.kind not in KINDS:
        raise ValueError(
            f"rule {rule.name!r}: unknown kind {rule.kind!r}; one of {', '.join(KINDS)}"
        )
    try:
        options = options_of(rule)
    except ValidationError as exc:
        raise ValueError(f"rule {rule.name!r}: {exc}") from None
    if isinstance(options, SpcOptions):
        unknown = sorted(set(options.metrics) - set(METRICS))
        if unknown:
            raise ValueError(f"rule {rule.name!r}: unknown metrics {', '.join(unknown)}")
