"""The palette: one source (theme.py) mirrored in CSS, and colour pairs readable (WCAG AA)."""

from __future__ import annotations

import re
from pathlib import Path

import plotly.io as pio
import pytest

from dashboards import theme

ASSETS = Path(theme.__file__).parent / "assets"


def test_css_variables_mirror_theme_py() -> None:
    assert (ASSETS / "10_theme.css").read_text(encoding="utf-8") == theme.css_variables()


def test_making_data_count_colours() -> None:
    assert theme.SPC_POINT_COLOURS == {
        "common": "#a6a6a6",
        "improvement": "#00b0f0",
        "concern": "#e46c0a",
        "neutral": "#490092",
    }


@pytest.mark.parametrize(
    ("name", "pairs"),
    [
        ("escalation", theme.ESCALATION),
        ("freshness", theme.FRESHNESS),
        ("scheduler", theme.SCHEDULER),
    ],
)
def test_badges_meet_wcag_aa_contrast(name: str, pairs: dict) -> None:
    for key, (background, text, words) in pairs.items():
        assert words, f"{name} {key} has no words"
        assert theme.contrast_ratio(text, background) >= 4.5, f"{name} {key}"


def test_text_colours_on_white_and_page_background() -> None:
    for colour in (
        theme.NHS_BLACK,
        theme.NHS_BLUE,
        theme.NHS_GREY_1,
        theme.NHS_RED,
        theme.NHS_GREEN,
    ):
        assert theme.contrast_ratio(colour, theme.WHITE) >= 4.5
        assert theme.contrast_ratio(colour, theme.NHS_GREY_5) >= 4.5
    assert theme.contrast_ratio(theme.WHITE, theme.NHS_BLUE) >= 4.5  # navbar links


def test_contrast_ratio_known_values() -> None:
    assert theme.contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert theme.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)


def test_plotly_template_is_registered_as_default() -> None:
    theme.register_plotly_template()
    assert pio.templates.default == theme.TEMPLATE_NAME
    layout = pio.templates[theme.TEMPLATE_NAME].layout
    assert list(layout.colorway) == theme.COLOURWAY


def test_assets_reference_nothing_outside_the_server() -> None:
    for path in ASSETS.iterdir():
        if path.suffix not in (".css", ".js"):
            continue
        text = path.read_text(encoding="utf-8")
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", text) + re.findall(
            r"@import\s+['\"]([^'\"]+)", text
        )
        assert all(u.startswith("data:") for u in urls), f"{path.name}: {urls}"
        assert "cdn." not in text.lower(), path.name
