"""What every user meets, in a real browser: each ⓘ opens the definition of its own tile, the
overview's NCtR chart marks today partial with its legend clear of the axis titles, the
overview and feeds pages refresh themselves, and sign-out ends the session."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser import support

pytestmark = pytest.mark.browser

# Every ⓘ's tile (its visible heading) and the registry slug it must open: written out by hand,
# so a tile that opens another tile's definition (a live count opening a weekly average, "Stays
# 7+" opening the 21+ definition) fails here.
OWN_DEFINITION = {
    # overview, site and ward tiles
    "G&A bed occupancy": "ga_occupancy",
    "Bed occupancy": "ga_occupancy",
    "No criteria to reside, in hospital": "nctr_in_hospital",
    "NCtR patients discharged today": "nctr_discharged_today",
    "Long stays (stranded)": "stays_7_plus",
    "Delayed bed days": "delayed_days",
    "Red days": "red_pct",
    "Waiting for pathway 1": "p1_waiting",
    "Waiting for pathway 2": "p2_waiting",
    "Waiting for pathway 3": "p3_waiting",
    "Community bed occupancy": "community_occupancy",
    "Community beds free": "community_beds_free",
    "escalation level": "escalation_level",
    # the wall's measures and its capacity table
    "G&A occupancy": "ga_occupancy",
    "NCtR in hospital": "nctr_in_hospital",
    "Discharged today": "nctr_discharged_today",
    "Stays 7+ days": "stays_7_plus",
    "Stays 21+ days": "super_stranded",
    "P1 waiting": "p1_waiting",
    "P2 waiting": "p2_waiting",
    "P3 waiting": "p3_waiting",
    # the forecast's panel (its definition is a section of the page, not a registry measure)
    "the forecast": "forecast",
    # the wall header's NHS England discharge asks (dashboards/asks_view.py)
    "Internal delays over 48 h": "internal_delay_over_48h",
    "21+ days beyond ready date": "beyond_drd_21_in_hospital",
    # the weekly report's charts (the registry labels of its measures)
    "Patients with no criteria to reside remaining in hospital": "nctr_remaining",
    "Delayed days (bed days lost)": "delayed_days",
    "Discharged within one day of being ready": "pct_discharged_within_1_day",
    "Super-stranded patients (21+ days)": "super_stranded",
    "Waiting for pathway 1 (home with support)": "p1_waiting",
    "Waiting for pathway 3 (care home)": "p3_waiting",
    "Internal delays over 48 hours": "internal_delay_over_48h",
    "In hospital 21+ days beyond discharge ready date": "beyond_drd_21_in_hospital",
    "Discharges 21+ days beyond discharge ready date": "beyond_drd_21_discharge_pct",
    "Overnight emergency length of stay": "overnight_emergency_los",
}

# The heading an ⓘ sits in: a tile's label, a wall measure's label, a table column's heading;
# else the label the link names for screen readers.
_LINKS = """
return Array.from(document.querySelectorAll('a.info-link')).map(link => {
  const first = el => el ? (el.childNodes[0].textContent || '').trim() : null;
  const tile = link.closest('.hw-tile');
  const heading = (tile && tile.querySelector('.tile-label').textContent.trim())
    || first(link.closest('.wall-measure-label'))
    || first(link.closest('th'))
    || link.querySelector('.visually-hidden').textContent.replace('Definition of ', '').trim();
  return [heading, link.getAttribute('href')];
});
"""


def at_query(moment: datetime) -> str:
    return "at=" + quote(moment.isoformat())


def info_links(driver: WebDriver) -> list[tuple[str, str]]:
    return [(str(h), str(href)) for h, href in driver.execute_script(_LINKS)]


def test_every_info_icon_opens_the_definition_of_its_own_tile(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    query = at_query(sample_at)
    support.open_page(browser, f"{base_url}/?{query}", "#tile-nctr")
    site_href = browser.execute_script(
        "const a = document.querySelector('#sites-grid a[href^=\"/site/\"]');"
        "return a ? a.getAttribute('href') : null;"
    )
    assert site_href, "the overview lists no site to open"
    site = urlparse(site_href).path
    pages = [
        ("/", "#tile-nctr"),
        ("/wall", ".wall-sites"),
        (site, "#tile-nctr"),
        ("/reports/weekly", "#main-content h1"),
    ]
    opened: dict[str, set[str]] = {}
    for path, ready in pages:
        support.open_page(browser, f"{base_url}{path}?{query}", ready)
        links = info_links(browser)
        assert links, f"no info icon on {path}"
        for heading, href in links:
            assert heading in OWN_DEFINITION, f"{path}: an info icon on an unknown tile {heading!r}"
            target = urlparse(href)
            assert target.path == "/about/metrics", (path, heading, href)
            assert target.fragment == OWN_DEFINITION[heading], (
                f"{path}: the ⓘ of {heading!r} opens #{target.fragment}, "
                f"not its own #{OWN_DEFINITION[heading]}"
            )
            opened.setdefault(target.fragment, set()).add(heading)
    for required in ("stays_7_plus", "nctr_in_hospital", "nctr_discharged_today", "p2_waiting"):
        assert required in opened, f"no tile opens #{required}"
    assert "community_beds_free" in opened and "community_occupancy" in opened
    # each definition opened names that measure: its section carries the slug
    for slug in sorted(opened):
        support.open_page(browser, f"{base_url}/about/metrics#{slug}", "#main-content h1")
        section = browser.find_element(By.ID, slug)
        assert section.is_displayed()
        if slug not in ("escalation_level", "forecast"):
            code = section.find_element(By.CSS_SELECTOR, "dd code").text
            assert code == slug, f"#{slug} opens the definition of {code}"
        support.wait_until(
            browser,
            lambda d, s=slug: d.execute_script(
                "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
                "return r.top < window.innerHeight && r.bottom > 0;",
                s,
            ),
            f"the definition #{slug} was never brought into view",
            10,
        )


def _box(driver: WebDriver, root: Any, selector: str) -> dict[str, float]:
    found = root.find_elements(By.CSS_SELECTOR, selector)
    assert found, f"no {selector} in the chart"
    box = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect();"
        "return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};",
        found[0],
    )
    return {k: float(v) for k, v in box.items()}


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return not (
        a["right"] <= b["left"]
        or b["right"] <= a["left"]
        or a["bottom"] <= b["top"]
        or b["bottom"] <= a["top"]
    )


def _nctr_chart(driver: WebDriver) -> Any:
    for graph in driver.find_elements(By.CSS_SELECTOR, ".js-plotly-plot"):
        title = graph.find_elements(By.CSS_SELECTOR, ".gtitle")
        if title and "no criteria to reside, each day" in title[0].text:
            return graph
    raise AssertionError("no NCtR daily chart on the overview")


def test_the_nctr_chart_marks_today_partial_and_keeps_its_legend_clear(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    support.open_page(browser, f"{base_url}/?{at_query(sample_at)}", "#tile-nctr")
    chart = _nctr_chart(browser)
    legend = _box(browser, chart, ".legend")
    for axis_title in (".xtitle", ".ytitle", ".gtitle"):
        other = _box(browser, chart, axis_title)
        assert not _overlap(legend, other), f"the legend overlaps {axis_title}"
    labels = [a.text for a in chart.find_elements(By.CSS_SELECTOR, ".annotation-text")]
    assert labels == ["partial"], labels  # the sample's last day is not over at 23:59
    dashed = browser.execute_script(
        "return Array.from(arguments[0].querySelectorAll('.scatterlayer .js-line'))"
        ".filter(p => (p.style.strokeDasharray || 'none') !== 'none').length;",
        chart,
    )
    assert dashed == 2, "today's part of each line is not dashed"


@pytest.mark.parametrize(("path", "key"), [("/", "overview"), ("/feeds", "feeds")])
def test_the_overview_and_feeds_refresh_themselves(
    browser: WebDriver, base_url: str, path: str, key: str
) -> None:
    support.open_page(browser, f"{base_url}{path}?refresh=2", f"#{key}-refreshed-at")
    stamp = browser.find_element(By.ID, f"{key}-refreshed")
    assert "refreshes every 2 s" in stamp.text
    first = browser.find_element(By.ID, f"{key}-refreshed-at").text
    support.wait_until(
        browser,
        lambda d: d.find_element(By.ID, f"{key}-refreshed-at").text not in ("", first),
        f"{path} never refreshed itself (its 'Updated' time stayed {first})",
        15,
        ignored=(Exception,),
    )


def test_who_is_signed_in_shows_and_sign_out_ends_the_session(
    browser: WebDriver, base_url: str, sample_database_url: str
) -> None:
    username, password = support.ensure_browser_user(sample_database_url)
    try:
        support.open_page(browser, f"{base_url}/about/metrics", "#hw-who")
        assert browser.find_element(By.ID, "hw-who").text == (
            f"Signed in as {username} (discharge coordinator)"
        )
        browser.find_element(By.ID, "hw-sign-out").click()
        support.wait_until(
            browser,
            lambda d: urlparse(d.current_url).path == "/login",
            "signing out did not lead to the sign-in page",
            15,
        )
        browser.get(f"{base_url}/wall")
        support.wait_until(
            browser,
            lambda d: urlparse(d.current_url).path == "/login",
            "after signing out a page still opened",
            15,
        )
    finally:
        support.sign_in(browser, base_url, username, password)


def test_a_refresh_keeps_the_sort_the_reader_chose(browser: WebDriver, base_url: str) -> None:
    state = (
        "return window.dash_ag_grid.getApi('sites-grid').getColumnState()"
        ".filter(c => c.sort).map(c => c.colId + ':' + c.sort);"
    )
    support.open_page(browser, f"{base_url}/?refresh=2", "#overview-refreshed-at")
    support.wait_for(browser, "#sites-grid .ag-header-cell[col-id='name']")
    assert browser.execute_script(state) == ["delayed_days:desc"]
    browser.execute_script(  # a script click: the grid may be redrawn between find and click
        "document.querySelector(\"#sites-grid .ag-header-cell[col-id='name'] "
        '.ag-header-cell-label").click();'
    )
    support.wait_until(
        browser, lambda d: d.execute_script(state) == ["name:asc"], "the sort did not change", 10
    )
    first = browser.find_element(By.ID, "overview-refreshed-at").text
    support.wait_until(
        browser,
        lambda d: d.find_element(By.ID, "overview-refreshed-at").text not in ("", first),
        "the overview never refreshed itself",
        15,
        ignored=(Exception,),
    )
    support.wait_for(browser, "#sites-grid .ag-header-cell[col-id='name']")
    assert browser.execute_script(state) == ["name:asc"], "the refresh lost the reader's sort"
