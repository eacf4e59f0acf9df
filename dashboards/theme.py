"""Colours and type: the NHS.UK palette, the Making Data Count SPC colours, one Plotly template.

The same values are mirrored as CSS custom properties in ``assets/10_theme.css``;
``css_variables()`` renders that block and a unit test keeps the two in step
(``python -m dashboards.theme`` prints it).
"""

from __future__ import annotations

from typing import Final

import plotly.graph_objects as go
import plotly.io as pio

# NHS.UK frontend palette
NHS_BLUE: Final = "#005eb8"
NHS_DARK_BLUE: Final = "#003087"
NHS_BLACK: Final = "#212b32"
NHS_GREEN: Final = "#007f3b"
NHS_RED: Final = "#d5281b"
NHS_DARK_RED: Final = "#8a1538"
NHS_WARM_YELLOW: Final = "#ffb81c"
NHS_ORANGE: Final = "#ed8b00"
NHS_PURPLE: Final = "#330072"
NHS_AQUA_GREEN: Final = "#00a499"
NHS_GREY_1: Final = "#4c6272"
NHS_GREY_2: Final = "#768692"
NHS_GREY_3: Final = "#aeb7bd"
NHS_GREY_4: Final = "#d8dde0"
NHS_GREY_5: Final = "#f0f4f5"
WHITE: Final = "#ffffff"

# NHS England "Making Data Count" SPC colours (NHSRplotthedots)
SPC_COMMON: Final = "#a6a6a6"
SPC_IMPROVEMENT: Final = "#00b0f0"
SPC_CONCERN: Final = "#e46c0a"
SPC_NEUTRAL: Final = "#490092"
SPC_POINT_COLOURS: Final = {
    "common": SPC_COMMON,
    "improvement": SPC_IMPROVEMENT,
    "concern": SPC_CONCERN,
    "neutral": SPC_NEUTRAL,
}

# Red2Green day colours (always shown with the words "red day" / "green day" as well)
RED_DAY: Final = NHS_RED
GREEN_DAY: Final = NHS_GREEN
NOT_RECORDED_DAY: Final = NHS_GREY_3

# Escalation level 1–4: (background, text, words). Each pair is at least 4.5:1.
ESCALATION: Final = {
    1: (NHS_GREEN, WHITE, "Normal"),
    2: (NHS_WARM_YELLOW, NHS_BLACK, "Moderate pressure"),
    3: (NHS_ORANGE, NHS_BLACK, "Severe pressure"),
    4: (NHS_DARK_RED, WHITE, "Extreme pressure"),
}

# Feed freshness: (background, text, words)
FRESHNESS: Final = {
    "fresh": (NHS_GREEN, WHITE, "Fresh"),
    "stale": (NHS_WARM_YELLOW, NHS_BLACK, "Stale"),
    "failing": (NHS_RED, WHITE, "Failing"),
    "never": (NHS_GREY_1, WHITE, "No data yet"),
}

# Scheduler heartbeat: (background, text, words)
SCHEDULER: Final = {
    "running": (NHS_GREEN, WHITE, "Running"),
    "stale": (NHS_WARM_YELLOW, NHS_BLACK, "Late heartbeat"),
    "stopped": (NHS_RED, WHITE, "Stopped"),
}

# Series colours for categorical charts, in order (all ≥ 3:1 against white)
COLOURWAY: Final = [NHS_BLUE, NHS_DARK_RED, NHS_AQUA_GREEN, NHS_PURPLE, NHS_ORANGE, NHS_GREY_1]

FONT_FAMILY: Final = "Frutiger, Arial, 'Helvetica Neue', Helvetica, sans-serif"
TEMPLATE_NAME: Final = "homeward"

CSS_VARIABLES: Final = {
    "--nhs-blue": NHS_BLUE,
    "--nhs-dark-blue": NHS_DARK_BLUE,
    "--nhs-black": NHS_BLACK,
    "--nhs-green": NHS_GREEN,
    "--nhs-red": NHS_RED,
    "--nhs-dark-red": NHS_DARK_RED,
    "--nhs-warm-yellow": NHS_WARM_YELLOW,
    "--nhs-orange": NHS_ORANGE,
    "--nhs-purple": NHS_PURPLE,
    "--nhs-aqua-green": NHS_AQUA_GREEN,
    "--nhs-grey-1": NHS_GREY_1,
    "--nhs-grey-2": NHS_GREY_2,
    "--nhs-grey-3": NHS_GREY_3,
    "--nhs-grey-4": NHS_GREY_4,
    "--nhs-grey-5": NHS_GREY_5,
    "--nhs-white": WHITE,
    "--spc-common": SPC_COMMON,
    "--spc-improvement": SPC_IMPROVEMENT,
    "--spc-concern": SPC_CONCERN,
    "--spc-neutral": SPC_NEUTRAL,
    "--font-family": FONT_FAMILY,
}


def css_variables() -> str:
    """The ``:root`` block of ``assets/10_theme.css``."""
    lines = [f"  {name}: {value};" for name, value in CSS_VARIABLES.items()]
    header = "/* Generated from dashboards/theme.py (python -m dashboards.theme); keep in step. */"
    return header + "\n:root {\n" + "\n".join(lines) + "\n}\n"


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG 2.2 contrast ratio of two ``#rrggbb`` colours."""

    def luminance(colour: str) -> float:
        channels = [int(colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _template() -> go.layout.Template:
    axis = {
        "gridcolor": NHS_GREY_4,
        "linecolor": NHS_GREY_2,
        "zerolinecolor": NHS_GREY_3,
        "tickcolor": NHS_GREY_2,
        "title": {"font": {"color": NHS_BLACK, "size": 14}},
        "tickfont": {"color": NHS_BLACK, "size": 13},
        "automargin": True,
    }
    return go.layout.Template(
        layout={
            "font": {"family": FONT_FAMILY, "color": NHS_BLACK, "size": 14},
            "title": {"font": {"size": 18, "color": NHS_BLACK}, "x": 0, "xanchor": "left"},
            "paper_bgcolor": WHITE,
            "plot_bgcolor": WHITE,
            "colorway": COLOURWAY,
            "xaxis": axis,
            "yaxis": axis,
            "legend": {"font": {"size": 13}, "orientation": "h", "y": -0.18, "x": 0},
            "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 14}},
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        }
    )


def register_plotly_template() -> None:
    """Register the ``homeward`` template and make it the default for every figure."""
    pio.templates[TEMPLATE_NAME] = _template()
    pio.templates.default = TEMPLATE_NAME


register_plotly_template()

if __name__ == "__main__":  # pragma: no cover
    print(css_variables(), end="")
