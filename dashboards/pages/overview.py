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


@safe_layout
def layout(at: str | None = None, **_query: str) -> html.Div:
    with read_session() as session:
        data = flow_view.collect(session, at=parse_at(at), site=None)
    period = flow_view.period_words(data.start, data.today)
    at_query = f"?at={at}" if at else ""
    return html.Div(
        [
            components.breadcrumbs([("System", None)]),
            components.page_header(
                "System overview: discharge flow now",
                "The whole system at a glance. Choose a site below to see its wards; "
                "the coordinator page lists every patient waiting to leave.",
                as_of=data.summary.as_of.get("patients"),
                extra=flow_view.viewing_note(data, at),
            ),
            flow_view.escalation_line(data.area),
            flow_view.area_tiles(data),
            html.Section(
                [
                    html.H2("Sites"),
                    components.note(
                        "Select a column heading to sort. Occupancy and NCtR are now; "
                        f"delayed bed days and red-day % are for {period}."
                    ),
                    flow_view.breakdown_grid(
                        data.breakdown.rows,
                        level="site",
                        grid_id="sites-grid",
                        period=period,
                        at_query=at_query,
                    ),
                ],
                className="hw-panel",
            ),
            html.Div(
                [
                    html.Section(
                        components.graph(
                            flow_view.nctr_chart(
                                data.nctr_days,
                                "Patients with no criteria to reside, each day (last 4 weeks)",
                            )
                        ),
                        className="hw-panel",
                    ),
                    html.Section(
                        components.graph(
                            flow_view.reason_chart(
                                data.delayed, f"Delayed bed days by reason, {period}"
                            )
                        ),
                        className="hw-panel",
                    ),
                ],
                className="hw-two-columns",
            ),
            html.Section(
                components.graph(
                    flow_view.delay_band_chart(
                        data.area,
                        "Patients with no criteria to reside in hospital now, "
                        "by days since their discharge ready date",
                    )
                ),
                className="hw-panel",
            ),
        ]
    )
