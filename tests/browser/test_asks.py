"""NHS England's 2025/26 asks on the pages, in a real headless Chromium: the wall's asks tile
(dashboards/asks_view.py) shows the metrics' own numbers, adds no height (no taller than the
escalation badge), and the kiosk wall with it fits a 1920×1080 screen without scrolling; the
coordinator's "NHS England ask" filter lists the metrics' patients. (The wall's "no identifier"
test, tests/browser/test_pages.py, reads the whole wall, this tile included.)"""

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
    # the tile sits in the header beside the escalation badge and is no taller than it: the
    # wall is as tall with the tile as without it
    tile_height, badge_height = browser.execute_script(
        "return [document.querySelector('.wall-asks').getBoundingClientRect().height,"
        " document.querySelector('.wall-escalation').getBoundingClientRect().height];"
    )
    assert tile_height <= badge_height, f"the asks tile ({tile_height} px) is taller than the badge"
    assert _overflow(browser)[0] == 0, "the wall scrolls sideways"


def _overflow(browser: WebDriver) -> tuple[int, int]:
    width, height = browser.execute_script(
        "const e = document.scrollingElement;"
        "return [e.scrollWidth - e.clientWidth, e.scrollHeight - e.clientHeight];"
    )
    return int(width), int(height)


def _fits(browser: WebDriver, url: str) -> tuple[int, int]:
    support.open_page(browser, url, ".wall-asks")
    assert browser.execute_script("return [window.innerWidth, window.innerHeight]") == [
        support.WIDTH,
        support.HEIGHT,
    ]
    return _overflow(browser)


def test_the_kiosk_wall_with_the_asks_fits_1920_by_1080(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    at = quote(sample_at.isoformat())
    width, height = _fits(browser, f"{base_url}/wall?kiosk=1&at={at}")
    assert (width, height) == (0, 0), f"the kiosk wall overflows the screen by {width}×{height} px"


def test_the_wall_fits_1920_by_1080_without_scrolling(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    width, height = _fits(browser, f"{base_url}/wall?at={quote(sample_at.isoformat())}")
    assert (width, height) == (0, 0), f"the wall overflows the screen by {width}×{height} px"


def test_the_coordinator_ask_filter_lists_the_internal_delays(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    from app.metrics import patient_level
    from tests.browser.test_pages import wait_for_rows

    at = f"at={quote(sample_at.isoformat())}"
    support.open_page(browser, f"{base_url}/coordinator?{at}", "#coordinator-grid")
    held = patient_level.delayed(sample_session, at=sample_at, internal_over_48h=True)
    everyone = patient_level.delayed(sample_session, at=sample_at)
    assert 0 < held.count < everyone.count, "the sample needs some internal delays over 48 h"
    wait_for_rows(browser, "coordinator-grid", everyone.count)
    ask = (
        "//fieldset[legend[text()='NHS England ask']]//label[text()='Internal delay over 48 hours']"
    )
    browser.find_element(By.XPATH, ask).click()
    rows = wait_for_rows(browser, "coordinator-grid", held.count)
    assert [(r["spell_id"], r["internal_days"]) for r in rows] == [
        (p.spell_id, p.internal_days) for p in held.patients
    ]
    assert all(r["internal_days"] >= 2 for r in rows)
    support.wait_until(
        browser, lambda d: "ask=internal_48h" in d.current_url, "the ask never reached the address"
    )
    # the 21+ preset: the minimum of 21 days beyond the ready date
    beyond = patient_level.delayed(sample_session, at=sample_at, min_days=21)
    browser.find_element(
        By.XPATH,
        "//fieldset[legend[text()='NHS England ask']]//label[text()='21+ days beyond ready date']",
    ).click()
    rows = wait_for_rows(browser, "coordinator-grid", beyond.count)
    assert all(r["days_beyond_drd"] >= 21 for r in rows)
