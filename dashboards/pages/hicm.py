"""/hicm — the High Impact Change Model tied to the data: the nine changes, each with its live
evidence and SPC icon, its self-assessed maturity history and the actions raised against it;
analysts and coordinators record an assessment here (the evidence shown is kept with it).

Aggregates only. Query parameter ``at``: the model as of a past moment (its last complete week).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from pydantic import ValidationError

from app.core.db import get_sessionmaker
from app.domain.days import local_date
from app.domain.hicm import CHANGES, MATURITY_LEVELS
from app.hicm import service, store
from app.hicm.schemas import AssessmentCreate
from app.metrics import freshness
from app.security.principal import current_principal_or_none
from app.security.roles import HICM_WRITERS
from dashboards import components
from dashboards import hicm_view as view
from dashboards.data import parse_at, read_session, safe_layout

dash.register_page(
    __name__,
    path="/hicm",
    name="High Impact Changes",
    title="High Impact Change Model – Homeward",
    description="The nine High Impact Changes with their live evidence and maturity history.",
    order=5,
)


def _may_record() -> bool:
    principal = current_principal_or_none()
    return principal is not None and principal.role in HICM_WRITERS


def _field(label: str, control: Any, control_id: str) -> html.Div:
    return html.Div([dbc.Label(label, html_for=control_id), control], className="hicm-field")


def _form(at: datetime | None) -> html.Section:
    return html.Section(
        [
            html.H2("Record a self-assessment"),
            html.P(
                "Agree the level with the partners, then record it here. The evidence shown "
                "for the change now is kept with the assessment.",
                className="hw-note",
            ),
            html.Div(
                [
                    _field(
                        "Change",
                        dbc.Select(
                            id="hicm-form-change",
                            options=[
                                {"label": f"{c.number}. {c.name}", "value": str(c.number)}
                                for c in CHANGES
                            ],
                            value="1",
                        ),
                        "hicm-form-change",
                    ),
                    _field(
                        "Maturity level",
                        dbc.Select(
                            id="hicm-form-level",
                            options=[
                                {"label": f"{m.level}. {m.name}", "value": str(m.level)}
                                for m in MATURITY_LEVELS
                            ],
                            value="1",
                        ),
                        "hicm-form-level",
                    ),
                    _field(
                        "Agreed on",
                        dbc.Input(id="hicm-form-date", type="date", value=view.today_text(at)),
                        "hicm-form-date",
                    ),
                    _field(
                        "Assessed by",
                        dbc.Input(
                            id="hicm-form-by",
                            maxLength=150,
                            placeholder="e.g. weekly system meeting",
                        ),
                        "hicm-form-by",
                    ),
                ],
                className="hicm-form-row",
            ),
            _field(
                "Notes (no patient identifiers)",
                dbc.Textarea(id="hicm-form-notes", maxLength=2000, rows=2),
                "hicm-form-notes",
            ),
            dbc.Button("Record assessment", id="hicm-form-record", color="primary"),
            html.Div(id="hicm-form-result", role="status", **components.attrs(aria_live="polite")),
        ],
        className="hicm-form",
        id="hicm-form",
    )


@safe_layout
def layout(at: str | None = None, **_q: str) -> html.Div:
    moment = parse_at(at)
    with read_session() as session:
        overview = view.load(session, moment)
        newest = freshness.newest_data(session, moment)  # the evidence's "as of"
    return html.Div(
        [
            dcc.Store(id="hicm-settings", data={"at": at}),
            components.page_header(
                "High Impact Change Model",
                "The nine changes of the Managing Transfers of Care High Impact Change Model, "
                "each with the Homeward measures that evidence it, the system's self-assessed "
                "maturity and the actions raised against it.",
                extra=html.P(
                    html.A("What each measure counts (metric definitions)", href="/about/metrics"),
                    className="hw-note",
                ),
                as_of=newest,
            ),
            _form(moment) if _may_record() else None,
            html.Div(view.changes_section(overview), id="hicm-section-holder"),
        ]
    )


def _problems_text(problems: list[tuple[str, str]]) -> str:
    return "; ".join(f"{field.replace('_', ' ')}: {message}" for field, message in problems)


@callback(
    Output("hicm-form-result", "children"),
    Output("hicm-section-holder", "children"),
    Input("hicm-form-record", "n_clicks"),
    State("hicm-form-change", "value"),
    State("hicm-form-level", "value"),
    State("hicm-form-date", "value"),
    State("hicm-form-by", "value"),
    State("hicm-form-notes", "value"),
    State("hicm-settings", "data"),
    prevent_initial_call=True,
)
def record(
    _clicks: int | None,
    change: str | None,
    level: str | None,
    assessed_on: str | None,
    assessed_by: str | None,
    notes: str | None,
    settings: dict[str, Any] | None,
) -> tuple[Any, Any]:
    """Record the assessment as the signed-in analyst or coordinator, then redraw the model."""
    principal = current_principal_or_none()
    if principal is None or principal.role not in HICM_WRITERS:
        return dbc.Alert("Only analysts and coordinators record assessments.", color="danger"), (
            dash.no_update
        )
    moment = parse_at((settings or {}).get("at"))
    try:
        body = AssessmentCreate(
            change=int(change or 0),
            level=int(level or 0),
            assessed_on=assessed_on,  # pydantic parses the text
            assessed_by=assessed_by or "",
            notes=notes or None,
        )
    except (ValidationError, ValueError) as exc:
        words = (
            "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            if isinstance(exc, ValidationError)
            else str(exc)
        )
        return dbc.Alert(f"Not recorded: {words}", color="danger"), dash.no_update
    with get_sessionmaker()() as session:
        try:
            saved = service.record(
                session,
                body,
                recorded_by=principal.name,
                recorded_role=principal.role.value,
                now=datetime.now(UTC),
                end=local_date(moment) if moment else None,
            )
        except store.AssessmentRefused as exc:
            return dbc.Alert(f"Not recorded: {_problems_text(exc.problems)}", color="danger"), (
                dash.no_update
            )
        overview = view.load(session, moment)
    words = (
        f"Recorded: change {saved.change}, {saved.change_name}, "
        f"level {saved.level} ({saved.level_name})."
    )
    return dbc.Alert(words, color="success", id="hicm-recorded"), view.changes_section(overview)
