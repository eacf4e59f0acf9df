"""/site/<site_code>/ward/<ward_code> — one ward: its measures and the patients waiting."""

from __future__ import annotations

from urllib.parse import urlencode

import dash
from dash import html

from app.metrics import flow, patient_level, timebase, windows
from app.metrics.errors import NotFound
from dashboards import components, flow_view, formats, patient_grid
from dashboards.coordinator_view import viewer_scope
from dashboards.data import parse_at, read_session, safe_layout

dash.register_page(
    __name__,
    path_template="/site/<site_code>/ward/<ward_code>",
    name="Ward",
    title="Ward – Homeward",
    description="One ward: occupancy, delayed bed days, red days and the patients waiting.",
    order=10,  # before the site page: "/site/<site_code>" would match a ward address too
)


@safe_layout
def layout(
    site_code: str | None = None,
    ward_code: str | None = None,
    at: str | None = None,
    **_query: str,
) -> html.Div:
    moment = timebase.resolve_at(parse_at(at))
    today = timebase.local_date(moment)
    start = windows.days_ending(today).start
    with read_session() as session:
        breakdown = flow.by_ward(session, site=site_code or "", start=start, end=today, at=moment)
        summary = flow.summary(session, at=moment, site=site_code)
        row = next((r for r in breakdown.rows if r.ward_code == ward_code), None)
        if row is None:
            raise NotFound(f"no ward '{ward_code}' at site '{site_code}'")
        waiting = patient_level.delayed(
            session, at=moment, site=site_code, ward=ward_code, scope=viewer_scope()
        )
    site_name = summary.total.name
    period = flow_view.period_words(start, today)
    at_query = f"?at={at}" if at else ""
    as_of = summary.as_of
    coordinator_query = urlencode(
        {
            "site": row.site_code,
            "ward": f"{row.site_code}/{row.ward_code}",
            **({"at": at} if at else {}),
        }
    )
    tiles = html.Div(
        [
            components.tile(
                "Bed occupancy",
                formats.percent(row.occupancy.pct),
                slug="ga_occupancy",
                detail=f"{formats.number(row.occupancy.occupied)} of "
                f"{formats.number(row.occupancy.open_beds)} "
                f"open beds; {formats.number(row.occupancy.escalation_open)} escalation beds open",
                as_of=as_of.get("beds"),
                value_id="tile-occupancy",
            ),
            components.tile(
                "No criteria to reside, in hospital",
                formats.number(row.nctr_in_hospital),
                unit="patients",
                slug="nctr_in_hospital",
                detail="listed below, longest wait first",
                as_of=as_of.get("patients"),
                value_id="tile-nctr",
            ),
            components.tile(
                "Delayed bed days",
                formats.number(row.delayed_days),
                unit="days",
                slug="delayed_days",
                detail=f"bed days lost, {period}",
                as_of=as_of.get("patients"),
                value_id="tile-delayed-days",
            ),
            components.tile(
                "Red days",
                formats.percent(row.red_pct),
                slug="red_pct",
                detail=f"{formats.number(row.red)} red and {formats.number(row.green)} green "
                f"patient-days; {formats.number(row.not_recorded)} not recorded, {period}",
                as_of=as_of.get("patients"),
            ),
        ],
        className="hw-tiles",
    )
    return html.Div(
        [
            components.breadcrumbs(
                [
                    ("System", f"/{at_query}"),
                    (site_name, f"/site/{row.site_code}{at_query}"),
                    (row.name, None),
                ]
            ),
            components.page_header(
                f"{row.name}, {site_name}",
                f"Ward {row.ward_code} ({row.kind}). Each patient below has no criteria to "
                "reside: they are ready to leave hospital but still here.",
                as_of=as_of.get("patients"),
            ),
            tiles,
            html.Section(
                [
                    html.H2(f"Patients waiting to leave {row.name}"),
                    html.P(
                        [
                            "Sorted by days beyond the discharge ready date, longest first. "
                            "Select a spell to see the patient's journey. ",
                            html.A(
                                "Open this ward in the coordinator view",
                                href=f"/coordinator?{coordinator_query}",
                            ),
                            ".",
                        ]
                    ),
                    patient_grid.grid(
                        waiting.patients,
                        grid_id="ward-patients",
                        at_query=at_query,
                        hide=("ward", "site_name"),  # the heading names both
                    ),
                ],
                className="hw-panel",
            ),
        ]
    )
