"""/about/metrics — every definition in the metric registry, one anchor per slug.

Every info icon on the other pages links here (``/about/metrics#<slug>``).
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, clientside_callback, dcc, html

from app.core.feed_config import get_feed_config
from app.metrics import escalation
from dashboards import components, definitions, formats
from dashboards.forecast_view import DEFINITION_ANCHOR, definition_section

dash.register_page(
    __name__,
    path="/about/metrics",
    name="Metric definitions",
    title="Metric definitions – Homeward",
    description="What each number on Homeward means and how it is counted.",
    order=5,
)

DIRECTION_WORDS = {"decrease": "Lower", "increase": "Higher", "neutral": "Neutral"}


def _metric_section(info: Any) -> html.Section:
    target = definitions.target_words(info)
    return html.Section(
        [
            html.H2(info.label, className="h3"),
            html.P(info.definition),
            html.Dl(
                [
                    html.Dt("Unit"),
                    html.Dd(info.unit),
                    html.Dt("What good looks like"),
                    html.Dd(definitions.direction_words(info)),
                    html.Dt("Target"),
                    html.Dd(target or "None set."),
                    html.Dt("Identifier"),
                    html.Dd(html.Code(info.slug)),
                ]
            ),
        ],
        id=info.slug,
        className="hw-panel definition",
        tabIndex="-1",
    )


def _escalation_section() -> html.Section:
    config = escalation.get_config()
    rows = [
        {
            "label": setting.label,
            "scope": "System only" if setting.scope == "system" else "System and each site",
            "thresholds": " · ".join(
                f"level {level} from {formats.number(value, 1 if value % 1 else 0)}"
                for level, value in zip((2, 3, 4), setting.thresholds, strict=True)
            ),
        }
        for setting in config.parameters.values()
        if setting.enabled
    ]
    combination = (
        "the highest score of any parameter"
        if config.combination == "highest"
        else "the mean score of the parameters, rounded half up"
    )
    return html.Section(
        [
            html.H2("Escalation level (OPEL-style, 1 to 4)", className="h3"),
            html.P(
                f"Each parameter scores 1 to 4 against the thresholds below; the level is "
                f"{combination}. Level 1 is normal, 2 moderate, 3 severe and 4 extreme pressure."
            ),
            html.P(html.Strong(config.note)),
            components.simple_table(
                [
                    ("label", "Parameter"),
                    ("scope", "Counts for"),
                    ("thresholds", "Score 2, 3 and 4 start at"),
                ],
                rows,
                caption="Escalation parameters and thresholds",
            ),
        ],
        id=definitions.ESCALATION_ANCHOR,
        className="hw-panel definition",
        tabIndex="-1",
    )


def _freshness_section() -> html.Section:
    config = get_feed_config()
    rows = [
        {
            "feed": settings.label,
            "expected": f"every {formats.age(settings.expected_interval_minutes * 60)}",
        }
        for settings in config.feeds.values()
    ]
    return html.Section(
        [
            html.H2("Feed freshness", className="h3"),
            html.P(
                "A feed is fresh while its newest data is younger than twice its expected "
                "interval, stale when older than that, and failing when older than four times "
                "the interval or when its last run failed. Every number on screen shows the "
                "'as of' time of the data behind it."
            ),
            components.simple_table(
                [("feed", "Feed"), ("expected", "Expected to arrive")],
                rows,
                caption="Expected arrival of each feed",
            ),
        ],
        id=definitions.FRESHNESS_ANCHOR,
        className="hw-panel definition",
        tabIndex="-1",
    )


def layout(**_query: str) -> html.Div:
    metrics = definitions.all_metrics()
    contents = html.Nav(
        [
            html.H2("On this page", className="h4"),
            html.Ul(
                [html.Li(html.A(info.label, href=f"#{info.slug}")) for info in metrics]
                + [
                    html.Li(html.A("Escalation level", href=f"#{definitions.ESCALATION_ANCHOR}")),
                    html.Li(html.A("Feed freshness", href=f"#{definitions.FRESHNESS_ANCHOR}")),
                    html.Li(html.A("The next ten days (forecast)", href=f"#{DEFINITION_ANCHOR}")),
                ]
            ),
        ],
        className="hw-panel",
        **components.attrs(aria_label="Definitions on this page"),
    )
    return html.Div(
        [
            dcc.Store(id="about-rendered", data=True),
            html.Header(
                [
                    html.H1("Metric definitions"),
                    html.P(
                        "What each number on Homeward means and how it is counted. Days are "
                        "Europe/London calendar days; weeks end on Sunday. The definitions are "
                        "the same for the pages, the reports and the API.",
                        className="lead-text",
                    ),
                ],
                className="page-header",
            ),
            contents,
            *[_metric_section(info) for info in metrics],
            _escalation_section(),
            _freshness_section(),
            definition_section(),
        ]
    )


# After the page renders, bring the definition named in the address (#slug) into view.
clientside_callback(
    ClientsideFunction(namespace="homeward", function_name="scrollToHash"),
    Output("about-rendered", "data"),
    Input("about-rendered", "data"),
)
