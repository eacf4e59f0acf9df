"""/patient/<spell_id> — one patient's journey on one line (coordinator level: identifiers)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import dash
from dash import html
from sqlalchemy.orm import Session

from app.domain.scopes import Scope
from app.metrics import patient_level
from app.metrics.cache import cached
from app.metrics.schemas import Journey, JourneySpell
from dashboards import components, figures, formats
from dashboards.coordinator_view import viewer_scope
from dashboards.data import parse_at, read_session, safe_layout

dash.register_page(
    __name__,
    path_template="/patient/<spell_id>",
    name="Patient journey",
    title="Patient journey – Homeward",
    description="One patient's stay: admission, ready date, delays, red and green days.",
    order=12,
)

DAY_PREFIX = "day_"
DESTINATION_WORDS = {
    "usual_residence": "usual place of residence",
    "care_home": "a care home",
    "community_bed": "a community bed",
    "hospice": "a hospice",
    "other_hospital": "another hospital",
    "died": "died in hospital",
    "other": "other destination",
}


def _timeline(journey: Journey) -> Any:
    days = [
        figures.TimelineDay(
            day=event.date,
            status=event.type.removeprefix(DAY_PREFIX),
            reason=event.label.split(": ", 1)[1] if ": " in event.label else None,
        )
        for event in journey.events
        if event.type.startswith(DAY_PREFIX)
    ]
    events = [
        # the chart reads wall-clock times: Europe/London, as the facts and the table show
        figures.TimelineEvent(at=formats.local(event.at), label=event.label, kind=event.type)
        for event in journey.events
        if not event.type.startswith(DAY_PREFIX)
    ]
    return figures.journey_timeline(days=days, events=events)


#: why "delayed bed days" and "days beyond the discharge ready date" differ (DESIGN §4.3, §4.4)
WHY_THEY_DIFFER = (
    "Delayed bed days count each day of this stay whose end (the midnight census) found the "
    "patient in hospital with no criteria to reside: every such period, the day of the "
    "discharge ready date included, and today while the patient is still here. Days beyond "
    "the discharge ready date are the date (or the discharge date) minus the ready date in "
    "force now. So while a patient waits, the first is one more than the second. They differ "
    "further when the ready date was cleared (the patient met the criteria again) and set "
    "again — the earlier period still counts in delayed bed days, but days beyond count from "
    "the new date — or when a census was late or recorded the ready date late, for an "
    "earlier day."
)


def _place(name: str | None, code: str) -> str:
    return f"{name} ({code})" if name and name != code else code


def _delay_facts(spell: JourneySpell) -> list[tuple[str, Any]]:
    beyond = (
        formats.number(spell.days_beyond_drd)
        if spell.days_beyond_drd is not None
        else "None: meets the criteria to reside"
    )
    return [
        ("Delayed bed days", html.Span(formats.number(spell.delayed_days), id="fact-delayed")),
        ("Days beyond discharge ready date", html.Span(beyond, id="fact-beyond")),
    ]


def _why_they_differ() -> html.Details:
    return html.Details(
        [
            html.Summary(
                [
                    html.Span("i", className="info-glyph", **components.attrs(aria_hidden="true")),
                    " ",
                    "Why delayed bed days and days beyond the discharge ready date differ",
                ]
            ),
            html.P(WHY_THEY_DIFFER, id="delay-days-why"),
        ],
        className="hw-why",
        id="delay-days-why-details",
    )


def _facts(journey: Journey) -> html.Dl:
    spell = journey.spell
    if spell.discharged_at:
        destination = DESTINATION_WORDS.get(spell.discharge_destination or "", "not recorded")
        status = f"Discharged {formats.date_time(spell.discharged_at)} to {destination}" + (
            " (inferred: missing from the census)" if spell.discharge_inferred else ""
        )
    else:
        status = "In hospital"
    facts = [
        ("Spell", spell.spell_id),
        ("Local patient id", spell.local_patient_id),
        ("Age", str(spell.age)),
        (
            "Site and ward",
            f"{_place(spell.site_name, spell.site)}, ward {_place(spell.ward_name, spell.ward)}",
        ),
        ("Admitted", f"{formats.date_time(spell.admitted_at)} ({spell.admission_method})"),
        ("Status", status),
        ("Expected discharge date", formats.day(spell.expected_discharge_date)),
        (
            "Discharge ready date",
            formats.day(spell.discharge_ready_date)
            if spell.discharge_ready_date
            else "None: meets the criteria to reside",
        ),
        ("Pathway", formats.pathway(spell.pathway)),
        ("Waiting for", spell.delay_reason.label if spell.delay_reason else "Not recorded"),
        (
            "Also held up by",
            "; ".join(r.label for r in spell.contributing_reasons) or "None recorded",
        ),
        (
            "Council",
            _place(spell.local_authority_name, spell.local_authority)
            if spell.local_authority
            else "Not recorded",
        ),
        *_delay_facts(spell),
        (
            "Board-round days",
            f"{formats.number(spell.red_days)} red, {formats.number(spell.green_days)} green",
        ),
    ]
    return html.Dl(
        [html.Div([html.Dt(term), html.Dd(description)]) for term, description in facts],
        className="journey-facts",
    )


def _event_rows(journey: Journey) -> list[dict[str, Any]]:
    return [
        {
            "when": formats.date_time(event.at),
            "what": event.label,
            "detail": event.detail or "",
        }
        for event in journey.events
        if not event.type.startswith(DAY_PREFIX)
    ]


def _day_rows(journey: Journey) -> list[dict[str, Any]]:
    return [
        {"day": formats.day(event.date), "status": event.label, "detail": event.detail or ""}
        for event in journey.events
        if event.type.startswith(DAY_PREFIX)
    ]


def _journey(
    session: Session, *, spell_id: str, scope: Scope, at: datetime | None = None
) -> Journey:
    return patient_level.journey(session, spell_id, scope=scope, at=at)


@safe_layout
def layout(spell_id: str | None = None, at: str | None = None, **_query: str) -> html.Div:
    moment = parse_at(at)
    with read_session() as session:
        # outside the viewer's scope the spell is "not found", exactly as an unknown one
        journey = cached(
            session,
            _journey,
            now_bound=moment is None,
            spell_id=spell_id or "",
            scope=viewer_scope(),
            at=moment,
        )
    spell = journey.spell
    at_query = f"?at={at}" if at else ""
    return html.Div(
        [
            components.breadcrumbs(
                [
                    ("System", f"/{at_query}"),
                    (spell.site_name or spell.site, f"/site/{spell.site}{at_query}"),
                    (
                        spell.ward_name or f"Ward {spell.ward}",
                        f"/site/{spell.site}/ward/{spell.ward}{at_query}",
                    ),
                    (f"Spell {spell.spell_id}", None),
                ]
            ),
            html.Header(
                [
                    html.H1(f"Patient journey: spell {spell.spell_id}"),
                    html.P(
                        "Everything the feeds recorded about this stay, in time order: "
                        "admission, expected and discharge ready dates, changes of reason, "
                        "pathway and ward, each board-round day, and the discharge.",
                        className="lead-text",
                    ),
                    html.P(
                        [html.A("Back to the coordinator", href=f"/coordinator{at_query}")],
                        className="no-print",
                    ),
                ],
                className="page-header",
            ),
            html.Section([_facts(journey), _why_they_differ()], className="hw-panel"),
            html.Section(
                # on a phone the chart keeps a readable width and scrolls within its box
                html.Div(
                    components.graph(_timeline(journey), graph_id="journey-timeline"),
                    className="hw-journey-scroll",
                    tabIndex="0",
                    role="region",
                    **components.attrs(aria_label="Journey chart (scrolls sideways on a phone)"),
                ),
                className="hw-panel",
            ),
            html.Section(
                [
                    html.H2("Events"),
                    components.simple_table(
                        [("when", "When"), ("what", "What happened"), ("detail", "Detail")],
                        _event_rows(journey),
                        caption="Events of this stay, oldest first",
                        table_id="journey-events",
                    ),
                ],
                className="hw-panel",
            ),
            html.Section(
                html.Details(
                    [
                        html.Summary(
                            f"Board-round days ({formats.number(spell.red_days)} red, "
                            f"{formats.number(spell.green_days)} green)"
                        ),
                        components.simple_table(
                            [("day", "Day"), ("status", "Status"), ("detail", "Note")],
                            _day_rows(journey),
                            caption="Each day's Red2Green status",
                        ),
                    ]
                ),
                className="hw-panel",
            ),
        ]
    )
