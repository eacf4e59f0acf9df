"""Every page in a real browser: it loads cleanly, shows the metrics functions' numbers, and
does what its users need (the wall refreshes itself and shows no identifier, the coordinator's
filters narrow the grid and the address, the weekly report downloads and opens offline)."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, quote, urlparse

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy.orm import Session

from app.metrics import flow, patient_level, registry
from dashboards import formats
from tests.browser import support

pytestmark = pytest.mark.browser


def dash_id(**parts: str) -> str:
    """The DOM id Dash gives a pattern-matching (dict) id: JSON with sorted keys."""
    return json.dumps(parts, sort_keys=True, separators=(",", ":"))


def by_dash_id(driver: WebDriver, **parts: str) -> str:
    """The visible text of the element with a pattern-matching id."""
    script = "const e = document.getElementById(arguments[0]); return e ? e.innerText : null;"
    text = driver.execute_script(script, dash_id(**parts))
    assert text is not None, f"no element {parts}"
    return str(text)


def at_query(moment: datetime) -> str:
    return "at=" + quote(moment.isoformat())


def grid_rows(driver: WebDriver, grid_id: str) -> list[dict]:
    """The rows an AG Grid displays, in displayed order (sorted and filtered)."""
    script = """
        const api = window.dash_ag_grid.getApi(arguments[0]);
        const rows = [];
        api.forEachNodeAfterFilterAndSort(node => rows.push(node.data));
        return rows;
    """
    return list(driver.execute_script(script, grid_id))


def wait_for_rows(driver: WebDriver, grid_id: str, count: int, timeout: float = 20) -> list[dict]:
    """The grid's rows once it shows ``count`` of them."""
    support.wait_until(
        driver,
        lambda d: len(grid_rows(d, grid_id)) == count,
        f"grid #{grid_id} never showed {count} rows",
        timeout,
        detail=lambda: f"it shows {len(grid_rows(driver, grid_id))}",
    )
    return grid_rows(driver, grid_id)


# --- every page -----------------------------------------------------------------------------


def _pages(session: Session, at: datetime) -> dict[str, str]:
    summary = flow.summary(session, at=at)
    site = next(s for s in summary.sites if s.kind == "acute")
    first = patient_level.delayed(session, at=at).patients[0]
    return {
        "overview": "/",
        "site": f"/site/{site.site_code}",
        "ward": f"/site/{first.site}/ward/{first.ward}",
        "wall": "/wall",
        "coordinator": "/coordinator",
        "patient": f"/patient/{first.spell_id}",
        "weekly": "/reports/weekly",
        "forecast": "/forecast",
        "feeds": "/feeds",
        "metrics": "/about/metrics",
    }


PAGE_NAMES = (
    "overview",
    "site",
    "ward",
    "wall",
    "coordinator",
    "patient",
    "weekly",
    "forecast",
    "feeds",
    "metrics",
)


@pytest.mark.parametrize("page", PAGE_NAMES)
def test_page_loads_without_errors_and_is_accessible(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime, page: str
) -> None:
    path = _pages(sample_session, sample_at)[page]
    support.open_page(browser, f"{base_url}{path}?{at_query(sample_at)}", "#main-content h1")
    html = browser.find_element(By.TAG_NAME, "html")
    assert html.get_attribute("lang") == "en-GB"
    assert browser.find_element(By.CSS_SELECTOR, "#main-content h1").text.strip()
    assert browser.find_elements(By.CSS_SELECTOR, "nav, .hw-navbar"), "no navigation bar"
    # keyboard: the first Tab reaches the skip link, which leads to the main content
    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    focused = browser.switch_to.active_element
    assert focused.get_attribute("class") == "skip-link"
    assert (focused.get_attribute("href") or "").endswith("#main-content")
    # every form control has a label a screen reader can announce
    for control in browser.find_elements(By.CSS_SELECTOR, "#main-content input, select"):
        if control.get_attribute("aria-hidden") == "true" or control.get_attribute("type") in (
            "hidden",
        ):
            continue
        control_id = control.get_attribute("id")
        labelled = bool(
            control.get_attribute("aria-label") or control.get_attribute("aria-labelledby")
        )
        if not labelled and control_id:
            labelled = bool(browser.find_elements(By.CSS_SELECTOR, f"label[for='{control_id}']"))
        if not labelled:
            labelled = bool(control.find_elements(By.XPATH, "ancestor::label"))
        assert labelled, f"unlabelled control on {page}: {control.get_attribute('outerHTML')}"


# --- the wall -------------------------------------------------------------------------------


def test_wall_numbers_are_the_metrics_numbers(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    support.open_page(browser, f"{base_url}/wall?{at_query(sample_at)}", ".wall-sites")
    summary = flow.summary(sample_session, at=sample_at)
    total = summary.total
    assert by_dash_id(browser, key="system.nctr", type="wall-value") == formats.number(
        total.nctr_in_hospital
    )
    assert by_dash_id(browser, key="system.occupancy", type="wall-value") == formats.percent(
        total.occupancy.pct
    )
    assert by_dash_id(browser, key="system.los21", type="wall-value") == formats.number(
        total.long_stays.los_21
    )
    for site in (s for s in summary.sites if s.kind == "acute"):
        code = str(site.site_code)
        assert by_dash_id(browser, key=f"{code}.nctr", type="wall-value") == formats.number(
            site.nctr_in_hospital
        )
        assert by_dash_id(browser, key=f"{code}.occupancy", type="wall-value") == (
            formats.percent(site.occupancy.pct)
        )
    badge = browser.find_element(By.CSS_SELECTOR, ".wall-header .hw-badge").text
    assert badge.startswith(f"OPEL {total.escalation.level} · ")
    # every value shows its time: an as-of line on each tile and in the capacity panel
    tiles = browser.find_elements(By.CSS_SELECTOR, ".wall-site")
    assert tiles and all("As of:" in tile.text for tile in tiles)
    # values are legible from across the room
    size = browser.execute_script(
        "return parseFloat(getComputedStyle(document.querySelector('.wall-measure-value'))"
        ".fontSize)"
    )
    assert size >= 48


def test_wall_refreshes_itself_without_rebuilding(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    support.open_page(browser, f"{base_url}/wall?refresh=2&{at_query(sample_at)}", ".wall-sites")
    first = by_dash_id(browser, key="refreshed", type="wall-value")
    # mark the tiles' DOM node: a refresh that rebuilt the layout would lose the mark
    browser.execute_script("document.querySelector('.wall-sites').dataset.mark = 'kept'")
    support.wait_until(
        browser,
        lambda d: by_dash_id(d, key="refreshed", type="wall-value") != first,
        f"the wall's refreshed time never moved on from {first!r} (refresh=2)",
        15,
    )
    assert browser.execute_script("return document.querySelector('.wall-sites').dataset.mark")
    assert by_dash_id(browser, key="system.nctr", type="wall-value")


def _sample_identifiers(sample_dir: Path) -> set[str]:
    identifiers: set[str] = set()
    for path in sorted((sample_dir / "patients").glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                identifiers.update(
                    value
                    for value in (row["spell_id"], row["local_patient_id"], row["nhs_number"])
                    if value
                )
    return identifiers


def test_wall_shows_no_patient_identifier(
    browser: WebDriver, base_url: str, sample_dir: Path, sample_at: datetime
) -> None:
    identifiers = _sample_identifiers(sample_dir)
    assert len(identifiers) > 100
    support.open_page(browser, f"{base_url}/wall?{at_query(sample_at)}", ".wall-sites")
    page = browser.page_source
    tokens = set(re.findall(r"[A-Za-z0-9][A-Za-z0-9-]{5,}", page))
    assert not tokens & identifiers
    assert not re.search(r"\b9{3}\d{7}\b", page), "something shaped like an NHS number"


def test_wall_kiosk_cycles_through_the_sites(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    support.open_page(
        browser, f"{base_url}/wall?kiosk=1&cycle=3&{at_query(sample_at)}", ".wall-sites"
    )
    assert not browser.find_element(By.ID, "hw-navbar").is_displayed()

    def shown(driver: WebDriver) -> list[str]:
        tiles = driver.find_elements(By.CSS_SELECTOR, ".wall-site")
        return [t.find_element(By.TAG_NAME, "h2").text for t in tiles if t.is_displayed()]

    support.wait_until(
        browser,
        lambda d: len(shown(d)) == 1,
        "the kiosk wall never showed exactly one site",
        10,
        detail=lambda: f"it shows {shown(browser)}",
    )
    first = shown(browser)
    support.wait_until(
        browser,
        lambda d: len(shown(d)) == 1 and shown(d) != first,
        f"the kiosk wall never cycled on from {first} (cycle=3)",
        10,
        detail=lambda: f"it shows {shown(browser)}",
    )


# --- overview → site → ward -----------------------------------------------------------------


def test_overview_site_and_ward_show_the_same_measures(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    query = at_query(sample_at)
    support.open_page(browser, f"{base_url}/?{query}", "#tile-nctr")
    summary = flow.summary(sample_session, at=sample_at)
    assert browser.find_element(By.ID, "tile-nctr").text == formats.number(
        summary.total.nctr_in_hospital
    )
    assert browser.find_element(By.ID, "tile-occupancy").text == formats.percent(
        summary.total.occupancy.pct
    )
    rows = grid_rows(browser, "sites-grid")
    assert {r["code"] for r in rows} == {s.site_code for s in summary.sites}
    delayed = [r["delayed_days"] for r in rows]
    assert delayed == sorted(delayed, reverse=True), "sites not sorted by delayed bed days"

    site = next(s for s in summary.sites if s.kind == "acute")
    browser.find_element(By.LINK_TEXT, site.name).click()
    support.wait_for(browser, "#wards-grid")
    support.wait_until_settled(browser)
    assert urlparse(browser.current_url).path == f"/site/{site.site_code}"
    site_summary = flow.summary(sample_session, at=sample_at, site=site.site_code)
    assert browser.find_element(By.ID, "tile-nctr").text == formats.number(
        site_summary.total.nctr_in_hospital
    )
    wards = grid_rows(browser, "wards-grid")
    ward = next(w for w in wards if w["nctr"])
    browser.find_element(By.LINK_TEXT, ward["name"]).click()
    support.wait_for(browser, "#ward-patients")
    support.wait_until_settled(browser)
    assert urlparse(browser.current_url).path == f"/site/{site.site_code}/ward/{ward['code']}"
    assert browser.find_element(By.ID, "tile-nctr").text == formats.number(ward["nctr"])
    # breadcrumbs lead back up
    crumbs = browser.find_elements(By.CSS_SELECTOR, ".breadcrumb a")
    assert [c.text for c in crumbs][:2] == ["System", site.name]
    crumbs[0].click()
    support.wait_for(browser, "#sites-grid")
    assert urlparse(browser.current_url).path == "/"


# --- the coordinator ------------------------------------------------------------------------


def test_coordinator_finds_the_longest_waiting_p3_patient_in_two_clicks(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    support.open_page(browser, f"{base_url}/coordinator?{at_query(sample_at)}", "#coordinator-grid")
    everyone = patient_level.delayed(sample_session, at=sample_at)
    rows = wait_for_rows(browser, "coordinator-grid", everyone.count)
    assert [r["spell_id"] for r in rows[:5]] == [p.spell_id for p in everyone.patients[:5]]

    p3 = patient_level.delayed(sample_session, at=sample_at, pathway=3)
    assert p3.count, "the sample has no P3 patient waiting"
    pathway_3 = "//fieldset[legend[text()='Discharge pathway']]//label[text()='P3']"
    browser.find_element(By.XPATH, pathway_3).click()  # click 1
    rows = wait_for_rows(browser, "coordinator-grid", p3.count)
    longest = p3.patients[0]
    assert rows[0]["spell_id"] == longest.spell_id
    assert rows[0]["days_beyond_drd"] == max(p.days_beyond_drd for p in p3.patients)
    support.wait_until(
        browser, lambda d: "pathway=3" in d.current_url, "the P3 filter never reached the address"
    )

    link = browser.find_element(
        By.CSS_SELECTOR, "#coordinator-grid .ag-row[row-index='0'] a[href^='/patient/']"
    )
    link.click()  # click 2
    # the coordinator's heading is replaced as the patient page draws: read it again then
    support.wait_until(
        browser,
        lambda d: longest.spell_id in d.find_element(By.CSS_SELECTOR, "#main-content h1").text,
        f"the patient page of {longest.spell_id} never opened from the grid's first row",
        15,
        ignored=(StaleElementReferenceException,),
    )
    support.wait_until_settled(browser)
    assert urlparse(browser.current_url).path == f"/patient/{longest.spell_id}"
    assert browser.find_elements(By.CSS_SELECTOR, "#journey-timeline .main-svg")
    assert "Admitted" in browser.find_element(By.ID, "journey-events").text


def test_coordinator_filters_narrow_the_grid_and_the_address(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    summary = flow.summary(sample_session, at=sample_at)
    site = next(s for s in summary.sites if s.kind == "acute")
    url = f"{base_url}/coordinator?site={site.site_code}&pathway=1&{at_query(sample_at)}"
    support.open_page(browser, url, "#coordinator-grid")
    expected = patient_level.delayed(sample_session, at=sample_at, site=site.site_code, pathway=1)
    rows = wait_for_rows(browser, "coordinator-grid", expected.count)
    assert {r["site"] for r in rows} <= {site.site_code}
    assert browser.find_element(By.ID, "filter-site").get_attribute("value") == site.site_code

    # the address → the controls; now the controls → the address and the grid
    minimum = 5
    box = browser.find_element(By.ID, "filter-min-days")
    box.clear()
    box.send_keys(str(minimum), Keys.ENTER)
    narrower = patient_level.delayed(
        sample_session, at=sample_at, site=site.site_code, pathway=1, min_days=minimum
    )
    rows = wait_for_rows(browser, "coordinator-grid", narrower.count)
    assert all(r["days_beyond_drd"] >= minimum for r in rows)
    support.wait_until(
        browser,
        lambda d: f"min_days={minimum}" in d.current_url,
        f"the minimum of {minimum} days never reached the address",
    )
    query = parse_qs(urlparse(browser.current_url).query)
    assert query["site"] == [site.site_code] and query["pathway"] == ["1"]
    assert narrower.count < expected.count or expected.count == 0

    # a shared address opens the same view
    browser.get(browser.current_url)
    support.wait_for(browser, "#coordinator-grid")
    wait_for_rows(browser, "coordinator-grid", narrower.count)
    assert browser.find_element(By.ID, "filter-min-days").get_attribute("value") == str(minimum)


def test_coordinator_csv_export_neutralises_formulas(
    browser: WebDriver, base_url: str, download_dir: Path, sample_at: datetime
) -> None:
    support.open_page(
        browser, f"{base_url}/coordinator?pathway=3&{at_query(sample_at)}", "#coordinator-grid"
    )
    for dangerous in ("=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"):
        safe = browser.execute_script(
            "return window.homeward.neutraliseCsvCell({value: arguments[0]})", dangerous
        )
        assert safe == "'" + dangerous
    assert browser.execute_script("return window.homeward.neutraliseCsvCell({value: 7})") == 7
    target = download_dir / "homeward-delayed-patients.csv"
    target.unlink(missing_ok=True)
    browser.find_element(By.ID, "coordinator-export").click()
    support.wait_until(
        browser,
        lambda _d: target.exists() and target.stat().st_size > 0,
        f"the CSV export never downloaded {target.name}",
        15,
    )
    header = target.read_text(encoding="utf-8-sig").splitlines()[0]
    assert "Spell" in header and "Days beyond ready date" in header


# --- the weekly report ----------------------------------------------------------------------

#: how many Plotly charts the page has drawn (each has its SVG; Plotly adds several per chart)
DRAWN_CHARTS = """
return Array.from(document.querySelectorAll('.js-plotly-plot'))
  .filter(plot => plot.querySelector('.main-svg')).length;
"""


def test_weekly_report_shows_targets_by_pathway_and_contributing_reasons(
    browser: WebDriver, base_url: str
) -> None:
    support.open_page(browser, f"{base_url}/reports/weekly", "#pathway-targets-section")
    rows = browser.find_elements(By.CSS_SELECTOR, "#pathway-targets tbody tr")
    assert len(rows) == 4  # the shipped targets: P1 mean delay, P1 within a day, P2, P3
    assert rows[0].text.startswith("Pathway 1 (home with support): mean delay")
    assert "≤ 2 days" in rows[0].text
    # each row has its variation and assurance icons, drawn inline, with their words
    assert len(rows[0].find_elements(By.CSS_SELECTOR, ".spc-icon img")) == 2
    # the sample lists contributing reasons for about a quarter of the delays
    contributed = browser.find_elements(By.CSS_SELECTOR, "#contributing-reasons tbody tr")
    assert contributed, "no delayed days where a reason contributed in the sample's week"


def test_weekly_report_shows_spc_charts_and_downloads_an_offline_file(
    browser: WebDriver, base_url: str, download_dir: Path
) -> None:
    support.open_page(browser, f"{base_url}/reports/weekly", ".spc-panel")
    panels = browser.find_elements(By.CSS_SELECTOR, ".spc-panel")
    assert len(panels) == 12  # 8 flow measures, 3 NHS England asks (§4.11), overnight LOS
    assert all(p.find_elements(By.CSS_SELECTOR, ".js-plotly-plot") for p in panels)
    assert browser.find_element(By.ID, "what-changed").text.strip()
    assert browser.find_elements(By.CSS_SELECTOR, ".spc-icon img[src^='data:image/svg+xml']")

    for old in download_dir.glob("homeward-weekly-*"):
        old.unlink()
    browser.find_element(By.ID, "weekly-html-button").click()

    def whole_report(_d: WebDriver) -> Path | None:
        """The downloaded report once all of it is written (it ends with its closing tag)."""
        for path in download_dir.glob("homeward-weekly-*.html"):
            if path.read_text(encoding="utf-8").rstrip().endswith("</html>"):
                return path
        return None

    report = support.wait_until(
        browser,
        whole_report,
        "the weekly report never downloaded as a whole HTML file",
        60,
        ignored=(FileNotFoundError,),  # a file renamed between listing and reading
        detail=lambda: f"downloads: {sorted(p.name for p in download_dir.iterdir())}",
    )
    text = report.read_text(encoding="utf-8")
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?:", text)

    browser.find_element(By.ID, "weekly-csv-button").click()
    support.wait_until(
        browser,
        lambda _d: list(download_dir.glob("homeward-weekly-*.csv")),
        "the weekly CSV never downloaded",
        detail=lambda: f"downloads: {sorted(p.name for p in download_dir.iterdir())}",
    )

    # the downloaded report opens with the network off and draws every chart
    browser.execute_cdp_cmd("Network.enable", {})
    browser.execute_cdp_cmd(
        "Network.emulateNetworkConditions",
        {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0},
    )
    try:
        browser.get(report.as_uri())
        support.wait_until(
            browser,
            lambda d: d.execute_script(DRAWN_CHARTS) >= 8,
            "the downloaded report, opened offline, never drew its 8 charts",
            detail=lambda: f"{browser.execute_script(DRAWN_CHARTS)} drawn",
        )
        assert "What changed this week" in browser.find_element(By.TAG_NAME, "body").text
    finally:
        browser.execute_cdp_cmd(
            "Network.emulateNetworkConditions",
            {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
        )


# --- feeds and definitions ------------------------------------------------------------------


def test_feeds_page_lists_runs_and_freshness(browser: WebDriver, base_url: str) -> None:
    support.open_page(browser, f"{base_url}/feeds", "#freshness-table")
    freshness_rows = browser.find_elements(By.CSS_SELECTOR, "#freshness-table tbody tr")
    assert len(freshness_rows) == 4
    assert browser.find_elements(By.CSS_SELECTOR, "#runs-table tbody tr")
    assert browser.find_element(By.ID, "scheduler-panel").text


def test_every_info_icon_leads_to_a_definition(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    anchors: set[str] = set()
    for path, ready in (("/", "#tile-nctr"), ("/wall", ".wall-sites")):
        support.open_page(browser, f"{base_url}{path}?{at_query(sample_at)}", ready)
        for link in browser.find_elements(By.CSS_SELECTOR, "a.info-link"):
            href = urlparse(link.get_attribute("href"))
            assert href.path == "/about/metrics"
            anchors.add(href.fragment)
    support.open_page(browser, f"{base_url}/about/metrics", "#main-content h1")
    for slug in registry.METRICS:
        assert browser.find_elements(By.ID, slug), f"no definition for {slug}"
    for anchor in anchors:
        assert browser.find_elements(By.ID, anchor), f"info icon to a missing anchor #{anchor}"
