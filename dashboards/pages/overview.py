"""/ — the system overview: the whole system now, each site, and the last four weeks."""

from __future__ import annotations

import dash
from dash import html

from dashboards import components, flow_view
from dashboards.data import parse_at, read_session, safe_layout

dash.register_page(
    __name__,
    path="/",
    name="System overview",
    title="System overview – Homeward",
    description="Discharge flow across the health and care system now.",
    order=0,
)


@components.live("overview")
@safe_layout
def layout(at: str | None = None, **_query: str) -> html.Div:
    with read_session() as session:
        data = flow_view.collect(session, at=parse_at(at), site=None)
    page = flow_view.area_page(
        data,
        at=at,
        crumbs=[("System", None)],
        heading="System overview: discharge flow now",
        intro="The whole system at a glance. Choose a site below to see its wards; "
        "the coordinator page lists every patient waiting to leave.",
        level="site",
        nctr_title="Patients with no criteria to reside, each day (last 4 weeks)",
        after=[
            html.Section(
                components.graph(
                    flow_view.delay_band_chart(
                        data.area,
                        "Patients with no criteria to reside in hospital now, "
                        "by days since their discharge ready date",
                    )
                ),
                className="hw-panel",
            )
        ],
    )
    return html.Div(page, className="hw-overview")  # the tablet and phone layout's hook
