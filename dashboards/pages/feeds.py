"""/feeds — for feed owners and the data team: what arrived, what was rejected, what is stale."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from app.metrics import feed_runs, freshness
from app.security import audit
from app.security.principal import Principal, current_principal_or_none
from app.security.roles import Role
from dashboards import components, formats, theme
from dashboards.data import read_session, safe_layout

dash.register_page(
    __name__,
    path="/feeds",
    name="Feeds",
    title="Feeds and data quality – Homeward",
    description="Ingest runs, feed freshness, scheduler heartbeat and quarantined rows.",
    order=4,
)

RUN_LIMIT = 50
REJECTED_LIMIT = 200
ALL_RUNS = "all"
ALL = "all"
ABANDONED = "Abandoned (the loading process stopped; send again)"
RESULT_WORDS = {
    "succeeded": "Loaded",
    "failed": "Failed",
    "abandoned": "Abandoned",
    "duplicate": "Duplicate (nothing changed)",
    "running": "Running",
}
#: an error longer than this shows its start; the whole text opens on demand
ERROR_PREVIEW_CHARS = 90


def _interval(minutes: int) -> str:
    return formats.age(minutes * 60).replace(" 0 min", "")


def _freshness_rows(statuses: list[freshness.FeedStatus], *, by_source: bool) -> list[dict]:
    rows = []
    for status in statuses:
        row: dict[str, Any] = {
            "feed": status.label,
            "state": components.freshness_badge(status.state),
            "as_of": formats.date_time(status.last_snapshot_at),
            "age": formats.age(status.age_minutes * 60) if status.age_minutes is not None else "–",
            "expected": f"every {_interval(status.expected_interval_minutes)}",
            "last_run": (
                f"{status.last_run_status or '–'} at {formats.date_time(status.last_run_at)}"
                if status.last_run_at
                else "no run yet"
            ),
            "message": status.message,
        }
        if by_source:
            row["source"] = " · ".join(s for s in (status.source, status.source_name) if s)
        rows.append(row)
    return rows


def _scheduler(statuses: list[freshness.SchedulerStatus]) -> html.Ul:
    items = []
    for status in statuses:
        background, text, words = theme.SCHEDULER.get(status.state, theme.SCHEDULER["stopped"])
        items.append(
            html.Li(
                [
                    html.Strong(status.name),
                    " ",
                    components.badge(words, background, text),
                    f" Last heartbeat {formats.date_time(status.last_beat_at)}"
                    if status.last_beat_at
                    else " No heartbeat recorded",
                    f" — {status.message}.",
                ]
            )
        )
    return html.Ul(items, className="list-unstyled mb-0")


def _error_cell(error: str | None) -> Any:
    """A run's error that never widens its column: short text as is, a long one clipped to
    its start, the whole text opening beneath it on demand."""
    if not error:
        return ""
    if len(error) <= ERROR_PREVIEW_CHARS:
        return html.Span(error, className="hw-run-error")
    preview = error[:ERROR_PREVIEW_CHARS].rsplit(" ", 1)[0] + "…"
    return html.Details(
        [html.Summary(preview), html.P(error, className="hw-run-error-full")],
        className="hw-run-error",
    )


def _run_rows(runs: list[feed_runs.RunOut]) -> list[dict]:
    return [
        {
            "id": run.id,
            "feed": run.feed,
            "source": " · ".join(s for s in (run.source, run.source_name) if s),
            "file": run.file_name or "–",
            "status": ABANDONED if run.abandoned else RESULT_WORDS.get(run.status, run.status),
            "started": formats.date_time(run.started_at),
            "snapshot": formats.date_time(run.snapshot_at),
            "rows_in": formats.number(run.rows_in),
            "rows_loaded": formats.number(run.rows_loaded),
            "rows_quarantined": formats.number(run.rows_quarantined),
            "warnings": formats.number(run.warnings),
            "error": _error_cell(run.error),
            "_class": "hw-run-abandoned"
            if run.abandoned
            else ("hw-run-failed" if run.status == "failed" else None),
        }
        for run in runs
    ]


RUN_COLUMNS = (
    ("id", "Run"),
    ("feed", "Feed"),
    ("source", "Source"),
    ("file", "File"),
    ("status", "Result"),
    ("started", "Started"),
    ("snapshot", "Data as of"),
    ("rows_in", "Rows in"),
    ("rows_loaded", "Loaded"),
    ("rows_quarantined", "Quarantined"),
    ("warnings", "Warnings"),
    ("error", "Error"),
)
RUN_NUMERIC = {"id", "rows_in", "rows_loaded", "rows_quarantined", "warnings"}


def _runs_table(feed: str | None, status: str | None) -> Any:
    """The newest runs, of one feed and one result when chosen; failed and abandoned rows are
    marked (a class and the words of the result, not colour alone)."""
    chosen_feed = None if feed in (None, ALL) else feed
    chosen_status = next((known for known in feed_runs.RUN_STATUSES if known == status), None)
    with read_session() as session:
        runs = feed_runs.list_runs(
            session,
            feed=chosen_feed,
            status=chosen_status,
            limit=RUN_LIMIT,
        )
    caption = f"The {RUN_LIMIT} newest runs" + "".join(
        f", {words}" for words in (chosen_feed, RESULT_WORDS.get(chosen_status or "")) if words
    )
    if not runs:
        return html.P([html.Strong(caption + ": "), "no run matches."], className="empty-note")
    head = html.Thead(
        html.Tr(
            [
                html.Th(heading, scope="col", className="num" if key in RUN_NUMERIC else None)
                for key, heading in RUN_COLUMNS
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(
                        row[key],
                        className="num" if key in RUN_NUMERIC else f"hw-col-{key}",
                    )
                    for key, _ in RUN_COLUMNS
                ],
                className=row["_class"],
            )
            for row in _run_rows(runs)
        ]
    )
    return dbc.Table(
        [html.Caption(caption), head, body],
        bordered=False,
        hover=True,
        striped=True,
        size="sm",
        className="hw-table hw-runs-table",
        id="runs-table",
    )


def _sees_spell_ids(principal: Principal | None) -> bool:
    """The coordinator of the whole system sees which spell a quarantined patients row named
    (as ``app.api.feeds.sees_rejected_values`` lets them see its values); the others see the
    line, column and reason only (DESIGN §7)."""
    return (
        principal is not None
        and principal.role is Role.COORDINATOR
        and principal.is_person
        and principal.scope.is_system
    )


def _rejected_table(run_id: int | None) -> Any:
    principal = current_principal_or_none()
    show_spells = _sees_spell_ids(principal)
    with read_session() as session:
        total, rows = feed_runs.rejected_rows(
            session, run_id=run_id, limit=REJECTED_LIMIT, spell_ids=show_spells
        )
        if show_spells and principal is not None:
            # a spell id is patient-level: audited before it is shown, or not shown at all
            try:
                audit.record_patient_read(
                    session,
                    principal,
                    "feeds page: quarantined rows (spell ids)",
                    {"run_id": run_id, "limit": REJECTED_LIMIT},
                    sum(1 for row in rows if row.spell_id),
                    None,
                )
            except audit.AuditUnavailable:
                show_spells = False
                rows = [row.model_copy(update={"spell_id": None}) for row in rows]
    # the other values received are patient-level: this page shows the line, column, reason
    # (and to the coordinator the spell); the values are read through the audited API
    caption = (
        f"Quarantined rows of run {run_id} ({total} in all)"
        if run_id is not None
        else f"Newest quarantined rows over all runs (showing {len(rows)} of {total})"
    )
    columns = [("run", "Run"), ("line", "Line")]
    if show_spells:
        columns.append(("spell", "Spell"))
    columns += [("column", "Column"), ("reason", "Why it was quarantined")]
    return components.simple_table(
        columns,
        [
            {
                "run": row.ingest_run_id,
                "line": row.line_number if row.line_number is not None else "–",
                "spell": row.spell_id or "–",
                "column": row.column or "(whole row)",
                "reason": row.reason,
            }
            for row in rows
        ],
        caption=caption,
        numeric=("run", "line"),
        empty="No rows have been quarantined.",
        table_id="rejected-table",
    )


@components.live("feeds")  # refreshes itself like the wall (?refresh=, default 60 s)
@safe_layout
def layout(**_query: str) -> html.Div:
    now = datetime.now(UTC)
    with read_session() as session:
        feeds = freshness.feed_status(session, now)
        sources = freshness.feed_status(session, now, by_source=True)
        scheduler = freshness.scheduler_status(session, now)
        runs = feed_runs.list_runs(session, limit=RUN_LIMIT)  # for the quarantine choice
        newest = freshness.newest_data(session, now)
    run_options = [{"label": "All runs (newest rows first)", "value": ALL_RUNS}] + [
        {
            "label": f"Run {run.id}: {run.feed}, {run.rows_quarantined} rows, "
            f"{formats.date_time(run.started_at)}",
            "value": str(run.id),
        }
        for run in runs
        if run.rows_quarantined
    ]
    freshness_columns = [
        ("feed", "Feed"),
        ("state", "State"),
        ("as_of", "Newest data (as of)"),
        ("age", "Age"),
        ("expected", "Expected"),
        ("last_run", "Last run"),
        ("message", "What this means"),
    ]
    return html.Div(
        [
            components.page_header(
                "Feeds: what arrived, what was rejected, what is stale",
                "A feed is stale when its newest data is older than twice its expected "
                "interval and failing when older than four times, or when its last run failed.",
                as_of=newest,
            ),
            html.Section(
                [
                    html.H2("Freshness of each feed"),
                    components.simple_table(
                        freshness_columns,
                        _freshness_rows(feeds, by_source=False),
                        caption=f"Freshness by feed (checked {formats.date_time(now)})",
                        table_id="freshness-table",
                    ),
                    components.simple_table(
                        [freshness_columns[0], ("source", "Source"), *freshness_columns[1:]],
                        _freshness_rows(sources, by_source=True),
                        caption="Freshness by feed and source",
                        empty="No source has delivered yet.",
                    ),
                ],
                className="hw-panel",
            ),
            html.Section(
                [html.H2("Scheduler heartbeat"), _scheduler(scheduler)],
                className="hw-panel",
                id="scheduler-panel",
            ),
            html.Section(
                [
                    html.H2("Ingest runs"),
                    components.note(
                        "Every batch is one run: rows in = rows loaded + rows quarantined. "
                        "A batch delivered twice is recorded as a duplicate and changes nothing. "
                        "Failed and abandoned runs are marked; a long error opens in full."
                    ),
                    html.Div(
                        [
                            html.Div(
                                [
                                    dbc.Label("Feed", html_for="runs-feed"),
                                    dbc.Select(
                                        id="runs-feed",
                                        persistence=True,  # kept when the page redraws itself
                                        persistence_type="memory",
                                        options=[{"label": "All feeds", "value": ALL}]
                                        + [
                                            {"label": status.label, "value": status.feed}
                                            for status in feeds
                                        ],
                                        value=ALL,
                                    ),
                                ]
                            ),
                            html.Div(
                                [
                                    dbc.Label("Result", html_for="runs-status"),
                                    dbc.Select(
                                        id="runs-status",
                                        persistence=True,  # kept when the page redraws itself
                                        persistence_type="memory",
                                        options=[{"label": "All results", "value": ALL}]
                                        + [
                                            {"label": RESULT_WORDS[s], "value": s}
                                            for s in feed_runs.RUN_STATUSES
                                        ],
                                        value=ALL,
                                    ),
                                ]
                            ),
                            # the page's auto-refresh (its dcc.Interval) goes here, and becomes
                            # an Input of refresh_runs below
                            html.Div(id="feeds-refresh-slot"),
                        ],
                        className="hw-filters",
                    ),
                    html.Div(_runs_table(ALL, ALL), id="runs-table-wrap", className="mt-2"),
                ],
                className="hw-panel",
            ),
            html.Section(
                [
                    html.H2("Quarantined rows and why"),
                    dbc.Label("Show the quarantined rows of", html_for="rejected-run"),
                    dbc.Select(
                        id="rejected-run",
                        persistence=True,  # kept when the page redraws itself
                        persistence_type="memory",
                        options=run_options,
                        value=ALL_RUNS,
                        style={"maxWidth": "36rem"},
                    ),
                    html.Div(_rejected_table(None), id="rejected-rows", className="mt-3"),
                ],
                className="hw-panel",
            ),
        ]
    )


@callback(
    Output("rejected-rows", "children"),
    Input("rejected-run", "value"),
)
def show_rejected(run: str | None) -> Any:
    return _rejected_table(None if run in (None, ALL_RUNS) else int(run))


@callback(
    Output("runs-table-wrap", "children"),
    Input("runs-feed", "value"),
    Input("runs-status", "value"),
)
def refresh_runs(feed: str | None, status: str | None) -> Any:
    """The runs table for the chosen feed and result."""
    return _runs_table(feed, status)
