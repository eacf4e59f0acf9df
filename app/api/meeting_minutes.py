"""A meeting's minutes as one self-contained HTML file and as CSV (pure functions).

As the weekly report (``dashboards/report.py``): CSV cells go through
``app.security.csv_safety`` (spreadsheet formulas neutralised); the HTML file has its styles
inline and references nothing outside itself, so it opens offline and can be e-mailed. The
page's download buttons fetch these from ``/api/v1/meetings/{id}/minutes.html`` and ``.csv``.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from zoneinfo import ZoneInfo

from app.actions.meeting_schemas import MeetingOut
from app.security import csv_safety

LONDON = ZoneInfo("Europe/London")
LINK_WORDS = {"raised": "Raised", "updated": "Updated", "closed": "Closed"}
CSV_HEADER = (
    "meeting_id",
    "meeting_date",
    "meeting_kind",
    "section",
    "at",
    "by",
    "organisation",
    "text",
    "action_id",
    "owner",
    "due_date",
    "status",
    "metric",
    "scope",
)
# the weekly report's palette (dashboards/theme.py): NHS blue, dark blue, black, grey
_STYLE = """
body { font-family: Arial, Helvetica, sans-serif; color: #212b32; margin: 2rem; max-width: 1100px; }
h1 { color: #003087; }
h2 { border-bottom: 3px solid #005eb8; padding-bottom: 0.2rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 1rem 0; min-width: 28rem; }
caption { text-align: left; font-weight: 700; padding-bottom: 0.3rem; }
th, td { border-bottom: 1px solid #d8dde0; padding: 0.35rem 0.6rem; text-align: left;
  vertical-align: top; }
th { background: #f0f4f5; }
.note { color: #4c6272; }
"""


def file_name(minutes: MeetingOut, extension: str) -> str:
    return f"homeward-minutes-{minutes.kind}-{minutes.meeting_date.isoformat()}.{extension}"


def _when(moment: datetime) -> str:
    return moment.astimezone(LONDON).strftime("%d %b %Y %H:%M")


def _scope_words(scope: object) -> str:
    parts = [
        f"{name} {value}"
        for name in ("site", "council", "pathway", "reason", "hicm_change")
        if (value := getattr(scope, name, None)) is not None
    ]
    return ", ".join(parts)


def minutes_csv(minutes: MeetingOut) -> str:
    """The minutes as one CSV: a row per attendee, decision and action of the meeting."""
    head = [minutes.id, minutes.meeting_date.isoformat(), minutes.kind_label]
    rows: list[list[object]] = []
    for a in minutes.attendees:
        rows.append([*head, "attendee", _when(a.added_at), None, a.organisation, a.name])
    for d in minutes.decisions:
        text = d.text if not d.agenda_item else f"{d.text} (on: {d.agenda_item})"
        rows.append([*head, "decision", _when(d.recorded_at), d.recorded_by, None, text])
    for link in minutes.actions:
        action = link.action
        rows.append(
            [
                *head,
                f"action {link.kind}",
                _when(link.at),
                link.by,
                action.organisation.name,
                action.title,
                action.id,
                action.owner,
                action.due_date.isoformat(),
                action.status,
                action.metric,
                _scope_words(action.scope),
            ]
        )
    width = len(CSV_HEADER)
    return csv_safety.to_csv(CSV_HEADER, (row + [None] * (width - len(row)) for row in rows))


def _table(caption: str, headings: list[str], rows: list[list[str]], empty: str) -> str:
    head = "".join(f"<th scope='col'>{escape(h)}</th>" for h in headings)
    body = (
        "".join(
            "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
        )
        or f"<tr><td colspan='{len(headings)}'>{escape(empty)}</td></tr>"
    )
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


def minutes_html(minutes: MeetingOut, *, generated_at: datetime) -> str:
    """The minutes as one HTML document that opens offline."""
    title = f"{minutes.kind_label}, {minutes.meeting_date:%d %B %Y}: minutes"
    attendees = _table(
        "Attendees by organisation",
        ["Organisation", "Name"],
        [[a.organisation, a.name] for a in minutes.attendees],
        "No attendees recorded.",
    )
    decisions = _table(
        "Decisions",
        ["Decision", "On the agenda line", "Recorded by", "When"],
        [
            [d.text, d.agenda_item or "", d.recorded_by, _when(d.recorded_at)]
            for d in minutes.decisions
        ],
        "No decisions recorded.",
    )
    sections = []
    for kind in ("raised", "updated", "closed"):
        links = [link for link in minutes.actions if link.kind == kind]
        sections.append(
            _table(
                f"Actions {kind}",
                ["Action", "Organisation", "Owner", "Due", "Status", "About"],
                [
                    [
                        link.action.title,
                        link.action.organisation.name,
                        link.action.owner,
                        f"{link.action.due_date:%d %b %Y}",
                        link.action.status + (" (overdue)" if link.action.overdue else ""),
                        " · ".join(
                            part
                            for part in (link.action.metric, _scope_words(link.action.scope))
                            if part
                        ),
                    ]
                    for link in links
                ],
                f"No actions {kind} in this meeting.",
            )
        )
    chair = f"Chair: {minutes.chair}. " if minutes.chair else ""
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en-GB"><head><meta charset="utf-8">',
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
            f"<h1>{escape(title)}</h1>",
            f"<p>{escape(chair)}Started by {escape(minutes.created_by)} at "
            f"{escape(_when(minutes.created_at))}.</p>",
            f"<p class='note'>Generated {escape(_when(generated_at))} by Homeward. "
            "No patient identifiers: Homeward refuses them in minutes and actions.</p>",
            "<h2>Attendees</h2>",
            attendees,
            "<h2>Decisions</h2>",
            decisions,
            "<h2>Actions</h2>",
            *sections,
            "</body></html>",
        ]
    )
