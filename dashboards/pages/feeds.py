"""/feeds — for feed owners and the data team: what arrived, what was rejected, what is stale."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from app.metrics import feed_runs, freshness
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
ABANDONED = "Abandoned (the loading process stopped; send again)"


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


def _run_rows(runs: list[feed_runs.RunOut]) -> list[dict]:
    words = {
        "succeeded": "Loaded",
        "failed": "Failed",
        "duplicate": "Duplicate (nothing changed)",
        "running": "Running",
    }
    return [
        {
            "id": run.id,
            "feed": run.feed,
            "source": " · ".join(s for s in (run.source, run.source_name or run.file_name) if s),
            "status": ABANDONED if run.abandoned else words.get(run.status, run.status),
            "started": formats.date_time(run.started_at),
            "snapshot": formats.date_time(run.snapshot_at),
            "rows_in": formats.number(run.rows_in),
            "rows_loaded": formats.number(run.rows_loaded),
            "rows_quarantined": formats.number(run.rows_quarantined),
            "warnings": formats.number(run.warnings),
            "error": run.error or "",
        }
        for run in runs
    ]


def _rejected_table(run_id: int | None) -> Any:
    with read_session() as session:
        total, rows = feed_runs.rejected_rows(session, run_id=run_id, limit=REJECTED_LIMIT)
    # the values received are patient-level: this page shows the line, column and reason only;
    # the coordinator and the sending feed client read them through the audited API
    caption = (
        f"Quarantined rows of run {run_id} ({total} in all)"
        if run_id is not None
        else f"Newest quarantined rows over all runs (showing {len(rows)} of {total})"
    )
    return components.simple_table(
        [
            ("run", "Run"),
            ("line", "Line"),
            ("column", "Column"),
            ("reason", "Why it was quarantined"),
        ],
        [
            {
                "run": row.ingest_run_id,
                "line": row.line_number if row.line_number is not None else "–",
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
        runs = feed_runs.list_runs(session, limit=RUN_LIMIT)
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
                        "A batch delivered twice is recorded as a duplicate and changes nothing."
                    ),
                    components.simple_table(
                        [
                            ("id", "Run"),
                            ("feed", "Feed"),
                            ("source", "Source"),
                            ("status", "Result"),
                            ("started", "Started"),
                            ("snapshot", "Data as of"),
                            ("rows_in", "Rows in"),
                            ("rows_loaded", "Loaded"),
                            ("rows_quarantined", "Quarantined"),
                            ("warnings", "Warnings"),
                            ("error", "Error"),
                        ],
                        _run_rows(runs),
                        caption=f"The {RUN_LIMIT} newest runs",
                        numeric=("id", "rows_in", "rows_loaded", "rows_quarantined", "warnings"),
                        empty="No feed has been loaded yet.",
                        table_id="runs-table",
                    ),
                ],
                className="hw-panel",
            ),
            html.Section(
                [
                    html.H2("Quarantined rows and why"),
                    dbc.Label("Show the quarantined rows of", html_for="rejected-run"),
                    dbc.Select(
                        id="rejected-run",
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
    prevent_initial_call=True,
)
def show_rejected(run: str | None) -> Any:
    return _rejected_table(None if run in (None, ALL_RUNS) else int(run))
