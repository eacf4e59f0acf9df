"""The High Impact Change Model as a block of the pages: each of the nine changes with its live
evidence (the latest weekly value and its Making Data Count variation icon), its self-assessed
maturity history and the actions raised against it. ``/hicm`` shows it with the form that
records an assessment; the weekly meeting page can include ``changes_section`` as it is.

The numbers come from ``app.hicm.service`` (the API's own composition of ``app.metrics.hicm``,
the assessments and the actions store); nothing here computes one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dash import html
from sqlalchemy.orm import Session

from app.domain.days import local_date
from app.hicm import service
from app.hicm.schemas import AssessmentOut
from app.metrics.errors import InvalidParameter
from app.metrics.hicm import Evidence
from app.metrics.timebase import resolve_at
from dashboards import components, formats, icons

SECTION_ID = "hicm-changes"


def load(session: Session, at: datetime | None = None) -> service.HicmOverview:
    """The model as of ``at`` (default now): evidence up to the last complete week before it."""
    if at is not None and not 1990 <= at.year <= 2999:
        raise InvalidParameter("at", f"{at.date()} is outside the feeds' plausible dates")
    moment = resolve_at(at)
    end = local_date(moment) if at is not None else None
    return service.overview(session, end=end, today=local_date(moment))


def value_text(measure: Evidence) -> str:
    """A measure's value in its unit's words."""
    if measure.unit == "%":
        return formats.percent(measure.value)
    if measure.unit.startswith("%"):
        return f"{formats.percent(measure.value, 0)}{measure.unit[1:]}"
    decimals = 0 if measure.value is None or float(measure.value).is_integer() else 1
    return f"{formats.number(measure.value, decimals)} {measure.unit}"


def _measure(measure: Evidence) -> html.Li:
    variation = icons.variation(measure.variation_icon)
    week = f"week ending {formats.day(measure.week_ending)}" if measure.week_ending else "no data"
    return html.Li(
        [
            html.Img(
                src=variation.data_uri(),
                alt=variation.words,
                title=variation.words,
                width=32,
                height=32,
                className="hicm-icon",
            ),
            html.Div(
                [
                    html.Span(measure.label, className="hicm-measure-label"),
                    components.info_link(measure.slug, measure.label),
                    html.Div(
                        [
                            html.Span(value_text(measure), className="hicm-value"),
                            html.Span(f" {week}", className="hicm-week"),
                            " (provisional limits)" if measure.provisional else "",
                        ]
                    ),
                    html.Span(variation.words, className="visually-hidden"),
                ]
            ),
        ],
        className="hicm-measure",
        **components.attrs(data_slug=measure.slug),
    )


def maturity_words(assessment: AssessmentOut | None) -> str:
    if assessment is None:
        return "Not assessed yet"
    return (
        f"Level {assessment.level}: {assessment.level_name} "
        f"({formats.day(assessment.assessed_on)}, {assessment.assessed_by})"
    )


def _history(change: service.ChangeOverview) -> html.Details | None:
    if not change.history:
        return None
    rows = [
        html.Li(
            [
                html.Strong(f"{formats.day(a.assessed_on)}: level {a.level}, {a.level_name}"),
                f" — {a.assessed_by}",
                html.Div(a.notes, className="hicm-notes") if a.notes else None,
                html.Div(
                    "Evidence then: "
                    + "; ".join(
                        f"{m['label']} {formats.number(m['value'], 1)}"
                        for m in a.evidence.get("measures", [])
                    ),
                    className="hicm-evidence-then",
                ),
            ]
        )
        for a in change.history
    ]
    return html.Details(
        [html.Summary(f"Maturity history ({len(change.history)})"), html.Ul(rows)],
        className="hicm-history",
    )


def _actions(change: service.ChangeOverview) -> html.Div:
    if not change.actions:
        return html.Div("No actions raised against this change.", className="hicm-no-actions")
    return html.Div(
        [
            html.H4("Actions", className="hicm-subhead"),
            html.Ul(
                [
                    html.Li(
                        [
                            html.Span(a.title, className="hicm-action-title"),
                            f" — {a.owner}, {a.organisation.name or a.organisation.code}: ",
                            html.Span(
                                "overdue" if a.overdue else a.status,
                                className="hicm-overdue" if a.overdue else "hicm-status",
                            ),
                        ]
                    )
                    for a in change.actions
                ],
                className="hicm-actions",
            ),
        ]
    )


def change_card(change: service.ChangeOverview) -> html.Article:
    """One change: its evidence, its latest maturity level and history, its actions."""
    level = change.latest.level if change.latest else 0
    return html.Article(
        [
            html.H3(f"{change.number}. {change.name}", className="hicm-change-name"),
            html.P(
                maturity_words(change.latest),
                className=f"hicm-maturity hicm-level-{level}",
            ),
            html.Ul([_measure(m) for m in change.measures], className="hicm-measures"),
            html.P(
                [html.A(link.label, href=link.href) for link in change.links],
                className="hicm-links",
            )
            if change.links
            else None,
            _actions(change),
            _history(change),
        ],
        className="hicm-change",
        id=f"hicm-change-{change.number}",
        **components.attrs(data_change=str(change.number)),
    )


def changes_section(overview: service.HicmOverview, *, heading: str | None = None) -> Any:
    """The nine changes as cards (the weekly meeting page includes this as it is)."""
    children: list[Any] = []
    if heading:
        children.append(html.H2(heading))
    children.append(
        html.P(
            f"Evidence: the latest of {overview.weeks} weekly points up to the week ending "
            f"{formats.day(overview.end)}, with its Making Data Count variation icon. The "
            "maturity level is the system's own self-assessment (a vehicle for improvement, not "
            "a performance measure).",
            className="hw-note",
        )
    )
    children.append(html.Div([change_card(c) for c in overview.changes], className="hicm-grid"))
    return html.Section(children, id=SECTION_ID, className="hicm-section")


def today_text(at: datetime | None) -> str:
    """The day an assessment is dated by default: today, or the day of ``at``."""
    return local_date(resolve_at(at)).isoformat()
