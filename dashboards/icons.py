"""Making Data Count variation and assurance icons, drawn as simple SVG with words beside them.

The icons follow the NHS England convention (a coloured circle; H or L for the side of a
special cause; P, F or ? for assurance) but never stand alone: every icon comes with a sentence.
"""

from __future__ import annotations

from base64 import b64encode
from dataclasses import dataclass
from html import escape

from dashboards import theme


@dataclass(frozen=True)
class Icon:
    key: str
    letter: str
    colour: str
    words: str

    def svg(self, size: int = 32) -> str:
        """The icon as an inline SVG element, titled with its words."""
        text_colour = theme.WHITE if self.colour == theme.SPC_NEUTRAL else theme.NHS_BLACK
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            f'viewBox="0 0 32 32" role="img" aria-label="{escape(self.words)}">'
            f"<title>{escape(self.words)}</title>"
            f'<circle cx="16" cy="16" r="14" fill="{theme.WHITE}" stroke="{self.colour}" '
            f'stroke-width="3"/>'
            f'<circle cx="16" cy="16" r="10" fill="{self.colour}"/>'
            f'<text x="16" y="21" text-anchor="middle" font-family="Arial, sans-serif" '
            f'font-size="14" font-weight="700" fill="{text_colour}">{escape(self.letter)}</text>'
            "</svg>"
        )

    def data_uri(self, size: int = 32) -> str:
        """The SVG as a ``data:`` URI for an ``<img>`` (no request leaves the page)."""
        return "data:image/svg+xml;base64," + b64encode(self.svg(size).encode()).decode()


VARIATION: dict[str, Icon] = {
    "none": Icon("none", "–", theme.SPC_COMMON, "No data, so no variation icon"),
    "common_cause": Icon(
        "common_cause", "~", theme.SPC_COMMON, "Common cause variation: no significant change"
    ),
    "special_cause_improvement_high": Icon(
        "special_cause_improvement_high",
        "H",
        theme.SPC_IMPROVEMENT,
        "Special cause variation: improvement (higher values)",
    ),
    "special_cause_improvement_low": Icon(
        "special_cause_improvement_low",
        "L",
        theme.SPC_IMPROVEMENT,
        "Special cause variation: improvement (lower values)",
    ),
    "special_cause_concern_high": Icon(
        "special_cause_concern_high",
        "H",
        theme.SPC_CONCERN,
        "Special cause variation: concern (higher values)",
    ),
    "special_cause_concern_low": Icon(
        "special_cause_concern_low",
        "L",
        theme.SPC_CONCERN,
        "Special cause variation: concern (lower values)",
    ),
    "special_cause_neutral_high": Icon(
        "special_cause_neutral_high",
        "H",
        theme.SPC_NEUTRAL,
        "Special cause variation: higher, neither better nor worse",
    ),
    "special_cause_neutral_low": Icon(
        "special_cause_neutral_low",
        "L",
        theme.SPC_NEUTRAL,
        "Special cause variation: lower, neither better nor worse",
    ),
}

ASSURANCE: dict[str, Icon] = {
    "pass": Icon("pass", "P", theme.SPC_IMPROVEMENT, "Assurance: consistently meets the target"),
    "fail": Icon("fail", "F", theme.SPC_CONCERN, "Assurance: consistently misses the target"),
    "hit_and_miss": Icon(
        "hit_and_miss",
        "?",
        theme.SPC_COMMON,
        "Assurance: hit and miss, the target lies within the process limits",
    ),
    "none": Icon("none", "–", theme.SPC_COMMON, "No target set, so no assurance icon"),
}


def variation(key: str) -> Icon:
    return VARIATION.get(key, VARIATION["common_cause"])


def assurance(key: str) -> Icon:
    return ASSURANCE.get(key, ASSURANCE["none"])
