"""/meeting — the daily escalation call and the weekly system meeting (DESIGN.md §4.13).

Choose or start today's meeting of a kind; the agenda is built from the data (the escalation
level and what drives it, the SPC signals of the week, the largest blockages by bed days lost,
the actions due or overdue by organisation, the forecast's coming days). One click on an
agenda line opens a small form to raise an action on it with its scope filled in, or to record
a decision on it. The minutes (attendees, decisions, actions raised, updated and closed)
download as one offline HTML file and as CSV (``/api/v1/meetings/{id}/minutes.*``).

Coordinators and analysts only (``app/security/roles.py``). The page writes through
``app.actions`` (its rules refuse patient identifiers); every number comes from
``app.metrics``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, ctx, dcc, html
from dash.exceptions import PreventUpdate
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.actions import meetings, store
from app.actions.meeting_schemas import (
    KIND_WORDS,
    ActionLinkCreate,
    AttendeeCreate,
    DecisionCreate,
    MeetingCreate,
    MeetingOut,
    OrganisationActions,
)
from app.actions.schemas import ActionCreate, ActionOut, ActionScope, Actor
from app.core.db import get_sessionmaker
from app.metrics.meeting_agenda import AgendaItem, MetricsAgenda, metrics_agenda
from app.metrics.registry import METRICS
from app.security.principal import current_principal_or_none
from dashboards import components, forecast_view, formats, hicm_view
from dashboards.data import parse_at, read_session, safe_layout

dash.register_page(
    __name__,
    path="/meeting",
    name="Meeting",
    title="Meeting – Homeward",
    description="Run the daily escalation call or the weekly system meeting from the data.",
    order=4,
)

log = logging.getLogger("homeward.dashboards")
DUE_DAYS = 7  # an action raised in the meeting is due in a week unless changed
SECTIONS = (
    ("escalation", "Escalation level and what drives it"),
    ("spc", "SPC signals of the week"),
    ("blockage", "Largest blockages by bed days lost"),
)


@contextmanager
def write_session() -> Iterator[Session]:
    """A session for one change the meeting makes (the store commits it)."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.close()


def _actor() -> Actor:
    principal = current_principal_or_none()
    if principal is None:  # the pages served without the gate (development)
        return Actor(name="unknown", role=None)
    return Actor(name=principal.name, role=principal.role.value)


def _refusal_words(exc: Exception) -> str:
    if isinstance(exc, SQLAlchemyError):
        log.exception("meeting page: the store refused a change")
        return "the store could not be written just now; try again in a minute"
    if isinstance(exc, store.ActionRefused):
        return "; ".join(message for _field, message in exc.problems)
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return str(exc)


def _message(text: str, *, ok: bool) -> dbc.Alert:
    return dbc.Alert(text, color="success" if ok else "danger", className="mtg-message py-2")


# -- the agenda ---------------------------------------------------------------------------


def _line(item: AgendaItem) -> html.Li:
    return html.Li(
        [
            html.Span(item.text, className="mtg-line-text"),
            html.Span(
                [
                    html.Button(
                        "Raise action",
                        id={"type": "mtg-raise", "index": item.key},
                        className="btn btn-sm btn-primary",
                        n_clicks=0,
                        **components.attrs(aria_label=f"Raise action on: {item.text}"),
                    ),
                    html.Button(
                        "Record decision",
                        id={"type": "mtg-decide", "index": item.key},
                        className="btn btn-sm btn-outline-primary",
                        n_clicks=0,
                        **components.attrs(aria_label=f"Record decision on: {item.text}"),
                    ),
                ],
                className="mtg-line-buttons",
            ),
        ],
        className="mtg-line",
        id=f"mtg-line-{item.key}",
    )


def _section(title: str, items: list[AgendaItem], empty: str, note: str | None = None) -> Any:
    body: list[Any] = [html.H3(title)]
    if note:
        body.append(html.P(note, className="hw-note"))
    body.append(
        html.Ul([_line(i) for i in items], className="mtg-lines")
        if items
        else html.P(empty, className="empty-note")
    )
    return html.Section(body, className="mtg-section")


def _action_line(action: ActionOut) -> html.Li:
    due = formats.day(action.due_date)
    return html.Li(
        [
            html.Span(
                [
                    html.Strong(action.title),
                    f" — {action.owner}, due {due}",
                    html.Span(" overdue", className="mtg-overdue") if action.overdue else "",
                ],
                className="mtg-line-text",
            ),
            html.Span(
                [
                    html.Button(
                        "Updated",
                        id={"type": "mtg-update", "index": action.id},
                        className="btn btn-sm btn-outline-primary",
                        n_clicks=0,
                        **components.attrs(aria_label=f"Updated in this meeting: {action.title}"),
                    ),
                    html.Button(
                        "Closed",
                        id={"type": "mtg-close", "index": action.id},
                        className="btn btn-sm btn-outline-success",
                        n_clicks=0,
                        **components.attrs(aria_label=f"Closed in this meeting: {action.title}"),
                    ),
                ],
                className="mtg-line-buttons",
            ),
        ],
        className="mtg-line",
    )


def _actions_section(groups: list[OrganisationActions]) -> html.Section:
    body: list[Any] = [html.H3("Actions due or overdue, by organisation")]
    if not groups:
        body.append(
            html.P("No open action is overdue or due in the next 7 days.", className="empty-note")
        )
    for group in groups:
        body.append(
            html.Div(
                [
                    html.H4(
                        f"{group.organisation.name}: {len(group.overdue)} overdue, "
                        f"{len(group.due)} due"
                    ),
                    html.Ul(
                        [_action_line(a) for a in group.overdue + group.due], className="mtg-lines"
                    ),
                ],
                className="mtg-organisation",
            )
        )
    return html.Section(body, className="mtg-section", id="mtg-actions-due")


def _agenda(agenda: MetricsAgenda, groups: list[OrganisationActions], coming: Any) -> html.Section:
    by_section = {
        "escalation": agenda.escalation,
        "spc": agenda.spc_signals,
        "blockage": agenda.blockages,
    }
    notes = {
        "spc": f"The week ending {formats.day(agenda.week_ending)}: each measure of the weekly "
        "report whose latest week shows a special cause.",
        "blockage": f"Delayed days {formats.day(agenda.blockage_start)} to "
        f"{formats.day(agenda.blockage_end)} by reason, pathway and council "
        f"({formats.number(agenda.blockage_total)} in all).",
    }
    empties = {
        "escalation": "No escalation data.",
        "spc": "No measure shows special cause variation this week.",
        "blockage": "No delayed days in these days.",
    }
    return html.Section(
        [
            html.H2("Agenda"),
            *[
                _section(title, by_section[key], empties[key], notes.get(key))
                for key, title in SECTIONS
            ],
            _actions_section(groups),
            coming,
        ],
        className="hw-panel mtg-agenda",
        id="mtg-agenda",
    )


# -- the minutes --------------------------------------------------------------------------


def minutes_panel(minutes: MeetingOut) -> list[Any]:
    """The minutes so far, with their downloads."""
    base = f"/api/v1/meetings/{minutes.id}/minutes"
    attendees = components.simple_table(
        [("organisation", "Organisation"), ("name", "Name")],
        [{"organisation": a.organisation, "name": a.name} for a in minutes.attendees],
        caption="Attendees by organisation",
        empty="none recorded yet.",
        table_id="mtg-attendees",
    )
    decisions = components.simple_table(
        [("text", "Decision"), ("item", "On"), ("by", "Recorded by"), ("at", "When")],
        [
            {
                "text": d.text,
                "item": d.agenda_item or "",
                "by": d.recorded_by,
                "at": formats.date_time(d.recorded_at),
            }
            for d in minutes.decisions
        ],
        caption="Decisions",
        empty="none recorded yet.",
        table_id="mtg-decisions",
    )
    actions = components.simple_table(
        [
            ("kind", "In this meeting"),
            ("title", "Action"),
            ("organisation", "Organisation"),
            ("owner", "Owner"),
            ("due", "Due"),
            ("status", "Status"),
            ("about", "About"),
        ],
        [
            {
                "kind": link.kind,
                "title": link.action.title,
                "organisation": link.action.organisation.name,
                "owner": link.action.owner,
                "due": formats.day(link.action.due_date),
                "status": link.action.status,
                "about": _about(link.action.metric, link.action.scope),
            }
            for link in minutes.actions
        ],
        caption="Actions raised, updated and closed",
        empty="none yet.",
        table_id="mtg-actions",
    )
    return [
        html.H2("Minutes"),
        html.P(
            [
                html.A(
                    "Download minutes (HTML, opens offline)",
                    href=f"{base}.html",
                    id="mtg-download-html",
                    className="btn btn-outline-primary btn-sm me-2",
                ),
                html.A(
                    "Download minutes (CSV)",
                    href=f"{base}.csv",
                    id="mtg-download-csv",
                    className="btn btn-outline-primary btn-sm",
                ),
            ]
        ),
        attendees,
        decisions,
        actions,
    ]


def _about(metric: str | None, scope: ActionScope) -> str:
    parts = [metric] if metric else []
    parts += [
        f"{name} {value}"
        for name in ("site", "council", "pathway", "reason")
        if (value := getattr(scope, name)) is not None
    ]
    return " · ".join(parts) or formats.MISSING


# -- the page -----------------------------------------------------------------------------


def _forms(organisations: list[dict[str, str]]) -> html.Section:
    due = (store.today_local() + timedelta(days=DUE_DAYS)).isoformat()
    return html.Section(
        [
            html.H2("Raise an action"),
            html.P(
                "Choose “Raise action” on an agenda line: its scope is filled in here.",
                id="mtg-raise-about",
                className="hw-note",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Title", html_for="mtg-title"),
                            dbc.Input(id="mtg-title", maxLength=200),
                        ],
                        md=6,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Owning organisation", html_for="mtg-org"),
                            dbc.Select(id="mtg-org", options=organisations),
                        ],
                        md=6,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Person responsible", html_for="mtg-owner"),
                            dbc.Input(id="mtg-owner", maxLength=150),
                        ],
                        md=6,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Due date (YYYY-MM-DD)", html_for="mtg-due"),
                            dbc.Input(id="mtg-due", value=due, maxLength=10),
                        ],
                        md=6,
                    ),
                ],
                className="g-2",
            ),
            html.Button(
                "Raise the action",
                id="mtg-raise-submit",
                className="btn btn-primary mt-2",
                n_clicks=0,
            ),
            html.Div(id="mtg-raise-message", **components.attrs(aria_live="polite")),
            html.H2("Record a decision", className="mt-3"),
            html.P(
                "Choose “Record decision” on an agenda line, or record one on the meeting.",
                id="mtg-decision-about",
                className="hw-note",
            ),
            dbc.Label("Decision", html_for="mtg-decision-text"),
            dbc.Textarea(id="mtg-decision-text", maxLength=2000, rows=2),
            html.Button(
                "Record the decision",
                id="mtg-decision-submit",
                className="btn btn-primary mt-2",
                n_clicks=0,
            ),
            html.Div(id="mtg-decision-message", **components.attrs(aria_live="polite")),
            html.H2("Attendees", className="mt-3"),
            dbc.Row(
                [
                    dbc.Col(
                        [dbc.Label("Name", html_for="mtg-att-name"), dbc.Input(id="mtg-att-name")],
                        md=5,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Attending for (organisation)", html_for="mtg-att-org"),
                            dbc.Input(id="mtg-att-org"),
                        ],
                        md=5,
                    ),
                    dbc.Col(
                        html.Button(
                            "Add",
                            id="mtg-att-submit",
                            className="btn btn-primary mt-4",
                            n_clicks=0,
                        ),
                        md=2,
                    ),
                ],
                className="g-2",
            ),
            html.Div(id="mtg-att-message", **components.attrs(aria_live="polite")),
        ],
        className="hw-panel mtg-forms",
        id="mtg-forms",
    )


def _chooser(kind: str, recent: list[Any], at: str | None) -> html.Section:
    def href(meeting_id: int) -> str:
        query = {"meeting": str(meeting_id), **({"at": at} if at else {})}
        return "/meeting?" + urlencode(query)

    return html.Section(
        [
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Meeting", html_for="mtg-kind"),
                            dbc.RadioItems(
                                id="mtg-kind",
                                options=[{"label": w, "value": k} for k, w in KIND_WORDS.items()],
                                value=kind,
                                inline=True,
                            ),
                        ],
                        md=5,
                    ),
                    dbc.Col(
                        [dbc.Label("Chair", html_for="mtg-chair"), dbc.Input(id="mtg-chair")],
                        md=3,
                    ),
                    dbc.Col(
                        html.Button(
                            "Start or open today's meeting",
                            id="mtg-start",
                            className="btn btn-primary mt-4",
                            n_clicks=0,
                        ),
                        md=4,
                    ),
                ],
                className="g-2",
            ),
            html.Div(id="mtg-start-message"),
            html.P(
                ["Earlier meetings: "]
                + [
                    html.A(
                        f"{m.kind_label}, {formats.day(m.meeting_date)}",
                        href=href(m.id),
                        className="me-3",
                    )
                    for m in recent
                ]
                if recent
                else "No meetings yet.",
                className="hw-note mt-2",
            ),
        ],
        className="hw-panel mtg-chooser",
    )


@safe_layout
def layout(meeting: str | None = None, at: str | None = None, **_q: str) -> html.Div:
    moment = parse_at(at)
    with read_session() as session:
        recent = meetings.list_meetings(session, limit=10).meetings
        chosen: MeetingOut | None = None
        if meeting and meeting.isdigit():
            try:
                chosen = meetings.get_meeting(session, int(meeting))
            except meetings.MeetingNotFound:
                chosen = None
        body: list[Any] = []
        lines: dict[str, Any] = {}
        if chosen is not None:
            agenda = metrics_agenda(session, at=moment)
            groups = meetings.actions_due_by_organisation(session)
            coming = forecast_view.coming_days_section(
                forecast_view.forecast_or_none(
                    lambda: forecast_view.pathway_forecast(
                        session, days=forecast_view.PAGE_DAYS, at=moment
                    )
                ),
                section_id="mtg-coming-days",
                heading_level=3,
            )
            # the weekly system meeting also reviews the High Impact Change Model (docs/hicm.md)
            hicm = (
                hicm_view.changes_section(
                    hicm_view.load(session, moment),
                    heading="High Impact Changes: evidence and maturity",
                )
                if chosen.kind == "weekly"
                else None
            )
            trusts = meetings.site_trusts(session)
            organisations = [
                {"label": f"{o.name} ({o.kind})", "value": f"{o.kind}:{o.code}"}
                for o in meetings.organisation_choices(session)
            ]
            for item in agenda.escalation + agenda.spc_signals + agenda.blockages:
                owner = None
                if item.scope.council:
                    owner = f"council:{item.scope.council}"
                elif item.scope.site and item.scope.site in trusts:
                    owner = f"trust:{trusts[item.scope.site]}"
                lines[item.key] = {**item.model_dump(), "owner": owner}
            body = [
                html.H2(
                    f"{chosen.kind_label}, {formats.day(chosen.meeting_date)}",
                    id="mtg-title-heading",
                ),
                html.Div(
                    [
                        html.Div(
                            [_agenda(agenda, groups, coming), *([hicm] if hicm else [])],
                            className="mtg-main",
                        ),
                        html.Div(
                            [
                                _forms(organisations),
                                html.Section(
                                    minutes_panel(chosen),
                                    className="hw-panel mtg-minutes",
                                    id="mtg-minutes",
                                ),
                            ],
                            className="mtg-side",
                        ),
                    ],
                    className="mtg-layout",
                ),
            ]
    return html.Div(
        [
            dcc.Location(id="mtg-go", refresh=True),
            dcc.Store(id="mtg-meeting", data=chosen.id if chosen else None),
            dcc.Store(id="mtg-at", data=at),
            dcc.Store(id="mtg-lines", data=lines),
            dcc.Store(id="mtg-selected", data=None),
            components.page_header(
                "Meeting",
                "The daily escalation call and the weekly system meeting: the agenda from the "
                "data, actions raised on it, decisions and minutes kept.",
                as_of=moment,
            ),
            _chooser(chosen.kind if chosen else "daily", recent, at),
            *body,
        ],
        className="mtg-page",
    )


# -- callbacks ----------------------------------------------------------------------------


@callback(
    Output("mtg-go", "href"),
    Output("mtg-start-message", "children"),
    Input("mtg-start", "n_clicks"),
    State("mtg-kind", "value"),
    State("mtg-chair", "value"),
    State("mtg-at", "data"),
    prevent_initial_call=True,
)
def start(_n: int, kind: str | None, chair: str | None, at: str | None) -> tuple[Any, Any]:
    """Open today's meeting of the chosen kind (starting it if nobody has yet)."""
    try:
        data = MeetingCreate(kind=kind or "daily", chair=chair or None)
        with write_session() as session:
            started = meetings.start_meeting(session, data, _actor())
    except (store.ActionRefused, ValidationError, SQLAlchemyError) as exc:
        return dash.no_update, _message(_refusal_words(exc), ok=False)
    query = {"meeting": str(started.id), **({"at": at} if at else {})}
    return "/meeting?" + urlencode(query), dash.no_update


@callback(
    Output("mtg-selected", "data"),
    Output("mtg-raise-about", "children"),
    Output("mtg-decision-about", "children"),
    Output("mtg-org", "value"),
    Input({"type": "mtg-raise", "index": ALL}, "n_clicks"),
    Input({"type": "mtg-decide", "index": ALL}, "n_clicks"),
    State("mtg-lines", "data"),
    prevent_initial_call=True,
)
def choose_line(_raise: list[int], _decide: list[int], lines: dict[str, Any]) -> tuple[Any, ...]:
    """One click on an agenda line: the forms now say what they are about."""
    trigger = ctx.triggered_id
    if not isinstance(trigger, dict) or not ctx.triggered or not ctx.triggered[0]["value"]:
        raise PreventUpdate
    line = lines.get(str(trigger["index"]))
    if line is None:
        raise PreventUpdate
    scope = ActionScope.model_validate(line["scope"])
    about = html.Span(
        [
            "On the agenda line: ",
            html.Strong(line["text"], id="mtg-chosen-line"),
            html.Br(),
            "About: ",
            html.Span(_about(line["metric"], scope), id="mtg-chosen-scope"),
        ]
    )
    if trigger["type"] == "mtg-raise":
        return trigger["index"], about, dash.no_update, line.get("owner")
    decision_about = html.Span(["On the agenda line: ", html.Strong(line["text"])])
    return trigger["index"], dash.no_update, decision_about, dash.no_update


def _minutes(meeting: MeetingOut) -> list[Any]:
    return minutes_panel(meeting)


@callback(
    Output("mtg-raise-message", "children"),
    Output("mtg-minutes", "children", allow_duplicate=True),
    Input("mtg-raise-submit", "n_clicks"),
    State("mtg-meeting", "data"),
    State("mtg-selected", "data"),
    State("mtg-lines", "data"),
    State("mtg-title", "value"),
    State("mtg-org", "value"),
    State("mtg-owner", "value"),
    State("mtg-due", "value"),
    prevent_initial_call=True,
)
def raise_action(
    _n: int,
    meeting_id: int | None,
    selected: str | None,
    lines: dict[str, Any],
    title: str | None,
    organisation: str | None,
    owner: str | None,
    due: str | None,
) -> tuple[Any, Any]:
    """Raise the action on the chosen agenda line, with its metric and scope."""
    if not meeting_id:
        raise PreventUpdate
    if not selected or selected not in lines:
        return _message("Choose “Raise action” on an agenda line first.", ok=False), dash.no_update
    if not organisation:
        return _message("Choose the owning organisation.", ok=False), dash.no_update
    line = lines[selected]
    kind, _, code = organisation.partition(":")
    try:
        due_date = date.fromisoformat((due or "").strip())
    except ValueError:
        return _message("The due date is a day written YYYY-MM-DD.", ok=False), dash.no_update
    scope = {k: v for k, v in line["scope"].items() if v is not None}
    try:
        data = ActionCreate(
            title=(title or "").strip(),
            organisation_kind=kind,
            organisation_code=code,
            owner=(owner or "").strip(),
            due_date=due_date,
            metric=line["metric"],
            scope=ActionScope(**scope),
        )
        with write_session() as session:
            minutes = meetings.raise_action(
                session, int(meeting_id), data, _actor(), metrics=METRICS
            )
    except (store.ActionRefused, ValidationError, SQLAlchemyError) as exc:
        return _message(f"Not raised: {_refusal_words(exc)}", ok=False), dash.no_update
    return _message(f"Action raised: {data.title}", ok=True), _minutes(minutes)


@callback(
    Output("mtg-decision-message", "children"),
    Output("mtg-minutes", "children", allow_duplicate=True),
    Output("mtg-decision-text", "value"),
    Input("mtg-decision-submit", "n_clicks"),
    State("mtg-meeting", "data"),
    State("mtg-selected", "data"),
    State("mtg-lines", "data"),
    State("mtg-decision-text", "value"),
    prevent_initial_call=True,
)
def record_decision(
    _n: int,
    meeting_id: int | None,
    selected: str | None,
    lines: dict[str, Any],
    text: str | None,
) -> tuple[Any, Any, Any]:
    """Record the decision (on the chosen agenda line, if any)."""
    if not meeting_id:
        raise PreventUpdate
    item = lines[selected]["text"][:300] if selected and selected in lines else None
    try:
        data = DecisionCreate(text=(text or "").strip(), agenda_item=item)
        with write_session() as session:
            minutes = meetings.add_decision(session, int(meeting_id), data, _actor())
    except (store.ActionRefused, ValidationError, SQLAlchemyError) as exc:
        words = _refusal_words(exc)
        return _message(f"Not recorded: {words}", ok=False), dash.no_update, dash.no_update
    return _message("Decision recorded.", ok=True), _minutes(minutes), ""


@callback(
    Output("mtg-att-message", "children"),
    Output("mtg-minutes", "children", allow_duplicate=True),
    Input("mtg-att-submit", "n_clicks"),
    State("mtg-meeting", "data"),
    State("mtg-att-name", "value"),
    State("mtg-att-org", "value"),
    prevent_initial_call=True,
)
def add_attendee(
    _n: int, meeting_id: int | None, name: str | None, organisation: str | None
) -> tuple[Any, Any]:
    """Record who attended, for which organisation."""
    if not meeting_id:
        raise PreventUpdate
    try:
        data = AttendeeCreate(name=(name or "").strip(), organisation=(organisation or "").strip())
        with write_session() as session:
            minutes = meetings.add_attendee(session, int(meeting_id), data, _actor())
    except (store.ActionRefused, ValidationError, SQLAlchemyError) as exc:
        return _message(f"Not added: {_refusal_words(exc)}", ok=False), dash.no_update
    return _message(f"Added {data.name}.", ok=True), _minutes(minutes)


@callback(
    Output("mtg-raise-message", "children", allow_duplicate=True),
    Output("mtg-minutes", "children", allow_duplicate=True),
    Input({"type": "mtg-update", "index": ALL}, "n_clicks"),
    Input({"type": "mtg-close", "index": ALL}, "n_clicks"),
    State("mtg-meeting", "data"),
    prevent_initial_call=True,
)
def record_action(_updated: list[int], _closed: list[int], meeting_id: int | None) -> Any:
    """An action of the agenda updated or closed in this meeting."""
    trigger = ctx.triggered_id
    if not meeting_id or not isinstance(trigger, dict) or not ctx.triggered[0]["value"]:
        raise PreventUpdate
    kind = "closed" if trigger["type"] == "mtg-close" else "updated"
    try:
        data = ActionLinkCreate(
            action_id=int(trigger["index"]),
            kind=kind,
            note=f"{kind.capitalize()} in the meeting",
        )
        with write_session() as session:
            minutes = meetings.record_action(session, int(meeting_id), data, _actor())
    except (store.ActionRefused, store.ActionNotFound, ValidationError, SQLAlchemyError) as exc:
        return _message(_refusal_words(exc), ok=False), dash.no_update
    return _message(f"Action {kind} in this meeting.", ok=True), _minutes(minutes)
