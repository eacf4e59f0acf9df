"""/site/<site_code> — one hospital site: the same measures as the system, and its wards."""

from __future__ import annotations

import dash
from dash import html

from dashboards import flow_view
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
    at_query = f"?at={at}" if at else ""
    return flow_view.area_page(
        data,
        at=at,
        crumbs=[("System", f"/{at_query}"), (area.name, None)],
        heading=f"{area.name}: discharge flow now",
        intro=f"Site {code} ({area.kind}). Choose a ward to see its patients waiting to "
        "leave hospital.",
        level="ward",
        nctr_title=f"{area.name}: patients with no criteria to reside, each day",
    )
