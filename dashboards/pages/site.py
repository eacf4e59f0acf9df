"""/site/<site_code> — one hospital site: the same measures as the system, and its wards."""

from __future__ import annotations

import dash
from dash import html

from dashboards import components, flow_view
from dashboards.data import parse_at, read_session, safe_layout

dash.register_page(
    __name__,
    path_template="/site/<site_code>",
    name="Site",
    title="Site – Homeward",
    description="Discharge flow at one hospital site, ward by ward.",
    order=11,
)


@safe_layout
def layout(site_code: str | None = None, at: str | None = None, **_query: str) -> html.Div:
    with read_session() as session:
        data = flow_view.collect(session, at=parse_at(at), site=site_code)
    area = data.area
    code = area.site_code or site_code or ""
    period = flow_view.period_words(data.start, data.today)
    at_query = f"?at={at}" if at else ""
    return html.Div(
        [
            components.breadcrumbs([("System", f"/{at_query}"), (area.name, None)]),
            components.page_header(
                f"{area.name}: discharge flow now",
                f"Site {code} ({area.kind}). Choose a ward to see its patients waiting to "
                "leave hospital.",
                as_of=data.summary.as_of.get("patients"),
                extra=flow_view.viewing_note(data, at),
            ),
            flow_view.escalation_line(area),
            flow_view.area_tiles(data),
            html.Section(
                [
                    html.H2("Wards"),
                    components.note(
                        "Select a column heading to sort. Occupancy and NCtR are now; "
                        f"delayed bed days and red-day % are for {period}."
                    ),
                    flow_view.breakdown_grid(
                        data.breakdown.rows,
                        level="ward",
                        grid_id="wards-grid",
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
                                f"{area.name}: patients with no criteria to reside, each day",
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
        ]
    )
