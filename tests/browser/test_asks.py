"""The wall's NHS England discharge asks tile (dashboards/asks_view.py) in a real headless
Chromium: it shows the metrics' own numbers, carries no identifier, and the wall with it still
fits a 1920×1080 screen without scrolling."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy.orm import Session

from app.metrics import discharge_asks
from dashboards import formats
from tests.browser import support

pytestmark = pytest.mark.browser


def test_the_wall_shows_the_asks_and_still_fits_the_screen(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    support.open_page(browser, f"{base_url}/wall?at={quote(sample_at.isoformat())}", ".wall-asks")
    asks = discharge_asks.discharge_asks(sample_session, at=sample_at)
    internal = browser.find_element(By.ID, "wall-ask-internal").text
    beyond = browser.find_element(By.ID, "wall-ask-beyond21").text
    assert internal == formats.number(asks.internal_over_48h)
    assert beyond == formats.number(asks.beyond_drd_21.in_hospital)
    tile = browser.find_element(By.CSS_SELECTOR, ".wall-asks").text
    assert "target 0" in tile and "Internal delays over 48 h" in tile
    # the whole wall is on one 1920×1080 screen: nothing to scroll, across or down
    width, height = browser.execute_script(
        "const e = document.scrollingElement;"
        "return [e.scrollWidth - e.clientWidth, e.scrollHeight - e.clientHeight];"
    )
    assert browser.execute_script("return [window.innerWidth, window.innerHeight]") == [
        support.WIDTH,
        support.HEIGHT,
    ]
    browser.save_screenshot("/tmp/n1_wall.png")
    assert (width, height) == (0, 0), f"the wall overflows the screen by {width}×{height} px"
