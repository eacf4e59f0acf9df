"""The wall at 1920×1080, read from four metres, in a real Chromium: everything the meeting
reads is at least FLOOR_PX, nothing wraps to a third line, tile tops line up, the page does
not scroll (normal and kiosk); and when refreshes fail — the server stopped, the session
ended — it says, large, that it is not updating and since when, within one refresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from app.metrics import escalation
from app.metrics.schemas import Escalation, EscalationParameter
from dashboards import wall_data
from tests.browser import support

FLOOR_PX = 28  # the smallest text the meeting must read (30_wall.css --wall-floor)
REFRESH_S = 3  # the wall's refresh interval in these tests (?refresh=)

#: (what, CSS selector) of the text that must be at least FLOOR_PX
READ_AT_FOUR_METRES = (
    ("the level sentence", ".wall-drivers"),
    ("the capacity table's cells", ".wall-capacity td"),
    ("the capacity table's headings", ".wall-capacity th"),
    ("the change since yesterday", "[id*='nctr.detail']"),
    ("the measure details", ".wall-measure-detail"),
    ("the updated time", ".wall-stamp"),
    ("the forecast panel's rows", ".wall-panel .fc-wall-table tbody td"),
)

LAYOUT = """
const px = (el) => parseFloat(getComputedStyle(el).fontSize);
// the lines a text takes: its text's boxes, grouped by how far down they sit
const lines = (el) => {
  const tops = [];
  const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) if (r.width > 0) tops.push(r.top);
  }
  tops.sort((a, b) => a - b);
  const half = px(el) / 2;
  return tops.filter((top, i) => i === 0 || top - tops[i - 1] > half).length;
};
const visible = (el) => el.offsetParent !== null;
const out = {
  scrollHeight: document.scrollingElement.scrollHeight,
  innerHeight: window.innerHeight,
  scrollWidth: document.scrollingElement.scrollWidth,
  innerWidth: window.innerWidth,
  fonts: {}, lines: {}, tileTops: [], nameOverflow: [],
};
for (const [what, selector] of arguments[0]) {
  const found = [...document.querySelectorAll(selector)].filter(visible);
  out.fonts[what] = found.length ? Math.min(...found.map(px)) : null;
}
for (const selector of ['.wall-level-sentence', "[id*='nctr.detail']"]) {
  const found = [...document.querySelectorAll(selector)].filter(visible);
  out.lines[selector] = found.length ? Math.max(...found.map(lines)) : null;
}
for (const tile of document.querySelectorAll('.wall-site')) {
  if (!visible(tile)) continue;
  out.tileTops.push(Math.round(tile.getBoundingClientRect().top));
  const name = tile.querySelector('.wall-site-name');
  out.nameOverflow.push({
    text: name.textContent, title: name.getAttribute('title'),
    lines: lines(name), nowrap: getComputedStyle(name).whiteSpace === 'nowrap',
  });
}
return out;
"""


def _wall_url(base_url: str, at: datetime | None, **extra: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in extra.items())
    if at is not None:
        query += ("&" if query else "") + f"at={quote(at.isoformat())}"
    return f"{base_url}/wall?{query}"


@pytest.mark.parametrize("kiosk", [False, True], ids=["normal", "kiosk"])
def test_the_wall_reads_from_four_metres_without_scrolling(
    browser: WebDriver, base_url: str, sample_at: datetime, kiosk: bool
) -> None:
    extra = {"kiosk": "1"} if kiosk else {}
    support.open_page(browser, _wall_url(base_url, sample_at, **extra), ".wall-sites")
    found = browser.execute_script(LAYOUT, [list(pair) for pair in READ_AT_FOUR_METRES])
    assert found["innerHeight"] == support.HEIGHT
    assert found["scrollHeight"] <= found["innerHeight"], (
        f"the wall scrolls: {found['scrollHeight']} px of content in {found['innerHeight']}"
    )
    assert found["scrollWidth"] <= found["innerWidth"]
    small = {what: px for what, px in found["fonts"].items() if px is None or px < FLOOR_PX}
    assert not small, f"text below {FLOOR_PX} px (None: not on the page): {small}"
    assert found["lines"][".wall-level-sentence"] <= 2, found["lines"]
    assert found["lines"]["[id*='nctr.detail']"] <= 2, found["lines"]
    tops = found["tileTops"]
    assert tops and len(set(tops)) == 1, f"tile tops not aligned: {tops}"
    for name in found["nameOverflow"]:
        # one line; when cut with an ellipsis the full name is in the title
        assert name["lines"] == 1 and name["nowrap"], name
        assert name["title"] == name["text"], name


_SHOWN_PANEL = """
const shown = [...document.querySelectorAll('#wall-panels .wall-panel')].filter(
  (p) => getComputedStyle(p).visibility === 'visible');
const pressed = [...document.querySelectorAll('#wall-panels .wall-panel-tab')].filter(
  (b) => b.getAttribute('aria-pressed') === 'true');
return [shown.map((p) => p.dataset.panel), pressed.map((b) => b.dataset.panel)];
"""


def _shown_panel(driver: WebDriver) -> str | None:
    shown, pressed = driver.execute_script(_SHOWN_PANEL)
    assert len(shown) == 1 and shown == pressed, (shown, pressed)
    return str(shown[0])


def test_the_bottom_panels_take_turns_and_pause(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    support.open_page(browser, _wall_url(base_url, sample_at, panel_seconds="2"), "#wall-panels")
    assert _shown_panel(browser) == "capacity"
    support.wait_until(
        browser, lambda d: _shown_panel(d) == "forecast", "the forecast never took its turn", 10
    )
    support.wait_until(
        browser, lambda d: _shown_panel(d) == "capacity", "the panels did not go round", 10
    )
    pause = browser.find_element(By.ID, "wall-panels-pause")
    pause.click()
    assert pause.text == "Play" and pause.get_attribute("aria-pressed") == "true"
    kept = _shown_panel(browser)
    with pytest.raises(support.TimeoutException):
        # paused: no other panel for three turns (a wait that must run out)
        support.wait_until(browser, lambda d: _shown_panel(d) != kept, "", 6)
    browser.find_element(By.CSS_SELECTOR, ".wall-panel-tab[data-panel='forecast']").click()
    assert _shown_panel(browser) == "forecast"


def test_a_pinned_panel_stays(browser: WebDriver, base_url: str, sample_at: datetime) -> None:
    url = _wall_url(base_url, sample_at, panel="forecast", panel_seconds="2")
    support.open_page(browser, url, "#wall-panels")
    assert _shown_panel(browser) == "forecast"
    assert browser.find_element(By.ID, "wall-panels-pause").text == "Play"
    with pytest.raises(support.TimeoutException):
        support.wait_until(browser, lambda d: _shown_panel(d) != "forecast", "", 5)


def _longest_level_sentence() -> str:
    """The sentence when every configured parameter drives the level, with wide values."""
    config = escalation.get_config()
    parameters = [
        EscalationParameter(
            name=name, label=setting.label, value=-188.8, score=4, thresholds=setting.thresholds
        )
        for name, setting in config.parameters.items()
    ]
    every = Escalation(
        level=4, parameters=parameters, driver=None, combination="highest", note=config.note
    )
    return wall_data._drivers(every)


def test_the_level_sentence_stays_within_two_lines_when_everything_drives_it(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    support.open_page(browser, _wall_url(base_url, sample_at), ".wall-sites")
    sentence = _longest_level_sentence()
    browser.execute_script(
        "document.getElementById(arguments[0]).textContent = arguments[1];",
        '{"key":"system.drivers","type":"wall-value"}',
        sentence,
    )
    found = browser.execute_script(LAYOUT, [])["lines"]
    assert found[".wall-level-sentence"] <= 2, (found, sentence)


def _banner(driver: WebDriver) -> str:
    shown = driver.execute_script(
        "const b = document.getElementById('wall-stale'); return b && !b.hidden ? b.innerText : ''"
    )
    return str(shown or "")


def _wait_for_banner(driver: WebDriver, what: str) -> str:
    # the banner must be up within one refresh interval of the next refresh failing; the
    # deadline allows one interval for that refresh to be due plus the one-second check
    return support.wait_until(
        driver,
        _banner,
        f"no 'Not updating' banner within one refresh ({REFRESH_S} s) of {what}",
        2 * REFRESH_S + 2,
        poll=0.2,
    )


def _check_banner(driver: WebDriver, text: str, updated: str) -> None:
    assert text.upper().startswith("NOT UPDATING"), text
    assert f"last updated {updated[:5]}" in text, (text, updated)
    assert "ago" in text
    size = driver.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('.wall-stale-title')).fontSize)"
    )
    assert size >= 40
    note = driver.find_element(By.ID, "wall-refresh-note").text
    assert "refreshes every" not in note, note
    # the banner lies over the page: it still does not scroll at 1080 px
    height, inner = driver.execute_script(
        "return [document.scrollingElement.scrollHeight, window.innerHeight]"
    )
    assert height <= inner, (height, inner)


def _updated(driver: WebDriver) -> str:
    return str(
        driver.execute_script(
            "return document.querySelector(\"#wall-refreshed [id*='refreshed']\").textContent"
        )
    )


@pytest.fixture
def own_server(sample_database_url: str, tmp_path: Path) -> Iterator[support.LiveServer]:
    """A server of this test's own, so it can be stopped without stopping the others'."""
    server = support.LiveServer(sample_database_url, tmp_path / "uvicorn.log")
    try:
        server.wait_until_healthy()
        yield server
    finally:
        if server.process.poll() is None:
            server.stop()


def test_the_wall_says_it_is_not_updating_when_the_server_goes_away(
    _chromium: WebDriver, own_server: support.LiveServer, sample_database_url: str
) -> None:
    driver = _chromium
    support.set_viewport(driver, support.WIDTH, support.HEIGHT)
    username, password = support.ensure_browser_user(sample_database_url)
    support.sign_in(driver, own_server.url, username, password)
    support.open_page(
        driver, _wall_url(own_server.url, None, refresh=str(REFRESH_S)), ".wall-sites"
    )
    assert _banner(driver) == ""
    assert "refreshes every 3 s" in driver.find_element(By.ID, "wall-refresh-note").text
    updated = _updated(driver)
    own_server.stop()
    _check_banner(driver, _wait_for_banner(driver, "the server stopping"), _updated(driver))
    assert _updated(driver)[:5] == updated[:5] or _updated(driver) >= updated
    support.severe_console_entries(driver)  # the failed refreshes are the point of the test


def test_the_wall_says_it_is_not_updating_when_the_session_ends(
    browser: WebDriver, base_url: str, sample_database_url: str
) -> None:
    support.open_page(browser, _wall_url(base_url, None, refresh=str(REFRESH_S)), ".wall-sites")
    assert _banner(browser) == ""
    browser.delete_all_cookies()  # the session ends: every refresh is now refused (401)
    try:
        _check_banner(browser, _wait_for_banner(browser, "the session ending"), _updated(browser))
    finally:
        support.severe_console_entries(browser)  # the refused refreshes are expected
        username, password = support.ensure_browser_user(sample_database_url)
        support.sign_in(browser, base_url, username, password)
