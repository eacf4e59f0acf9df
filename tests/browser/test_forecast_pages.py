"""The forecast in a real browser, on the committed sample: the wall tile and the forecast page
draw their bands and keep the "Forecast" label in view; the what-if answers in the page, its
scenario moving away from the baseline with more capacity and back onto it with none."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy.orm import Session

from app.metrics import forecast
from dashboards import formats
from dashboards.data import parse_at
from tests.browser import support

pytestmark = pytest.mark.browser


def at_query(moment: datetime) -> str:
    return "at=" + quote(moment.isoformat())


def _visible_text(driver: WebDriver, selector: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, selector).text)


def _band_paths(driver: WebDriver, graph_selector: str) -> int:
    """Filled areas Plotly drew in a chart: a band shaded between P10 and P90 is one."""
    script = """
        const graph = document.querySelector(arguments[0]);
        if (!graph) { return -1; }
        return Array.from(graph.querySelectorAll('.scatterlayer .js-fill'))
            .filter(p => (p.getAttribute('d') || '').length > 10).length;
    """
    return int(driver.execute_script(script, graph_selector))


def test_the_wall_tile_shows_the_next_7_days_with_bands_and_the_forecast_label(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    support.open_page(browser, f"{base_url}/wall?panel=forecast&{at_query(sample_at)}", "#fc-wall")
    tile = browser.find_element(By.ID, "fc-wall")
    badge = tile.find_element(By.CSS_SELECTOR, ".fc-wall-head .hw-badge")
    assert badge.is_displayed() and badge.text == "Forecast"
    assert "Next 7 days" in tile.text
    expected = forecast.pathway_forecast(
        sample_session, days=7, as_of=parse_at(sample_at.isoformat())
    )
    everyone = [p for p in expected.pathways if p.local_authority is None]
    rows = tile.find_elements(By.CSS_SELECTOR, "tbody tr")
    assert len(rows) == len(everyone) >= 1
    for row, pathway in zip(rows, everyone, strict=True):
        last = pathway.days[-1].nctr_in_hospital
        assert row.get_attribute("data-pathway") == str(pathway.pathway)
        assert row.find_element(By.CSS_SELECTOR, ".fc-p50").text == formats.number(last.p50)
        band = row.find_element(By.CSS_SELECTOR, ".fc-band")
        assert band.is_displayed()
        assert band.text == (f"P10–P90: {formats.number(last.p10)} to {formats.number(last.p90)}")
    # legible from four metres: the P50s at least 40 px, the band at least 20 px
    sizes = browser.execute_script(
        "const s = q => parseFloat(getComputedStyle(document.querySelector(q)).fontSize);"
        "return [s('#fc-wall .fc-p50'), s('#fc-wall .fc-band')];"
    )
    assert sizes[0] >= 40 and sizes[1] >= 20, sizes


def test_the_forecast_page_draws_a_fan_chart_per_pathway_with_its_band(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    support.open_page(browser, f"{base_url}/forecast?{at_query(sample_at)}", ".fc-pathway")
    heading = browser.find_element(By.CSS_SELECTOR, "#main-content h1")
    assert "Forecast" in heading.text
    assert heading.find_element(By.CSS_SELECTOR, ".hw-badge").is_displayed()
    panels = browser.find_elements(By.CSS_SELECTOR, ".fc-pathway")
    assert len(panels) >= 2, "fewer than two pathways forecast"
    for panel in panels:
        panel_id = panel.get_attribute("id")
        assert panel.find_element(By.CSS_SELECTOR, ".hw-badge").is_displayed()
        # the band is drawn (a filled area) and the chart names the forecast as such
        assert _band_paths(browser, f"#{panel_id} .dash-graph") >= 1, panel_id
        legend = " ".join(t.text for t in panel.find_elements(By.CSS_SELECTOR, ".legendtext"))
        assert "Forecast: P50" in legend and "Forecast: P10–P90 band" in legend, legend
        assert "Recorded" in legend, legend
        region = panel.find_elements(By.CSS_SELECTOR, ".annotation-text")
        assert any(t.text == "Forecast" for t in region), panel_id
        figure = panel.find_element(By.CSS_SELECTOR, "figure[role=img]")
        assert "forecast" in (figure.get_attribute("aria-label") or "").lower()
    # every what-if control is labelled
    for kind in ("home_care_starts", "community_beds", "care_home_vacancies"):
        assert browser.find_elements(By.CSS_SELECTOR, f"label[for='fc-wi-{kind}']")


def _cell(driver: WebDriver, cell_id: str) -> str:
    text = driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.innerText : null;",
        cell_id,
    )
    return "" if text is None else str(text)


def _number(text: str) -> int:
    return int(re.sub(r"[^0-9-]", "", text))


def _set_amount(driver: WebDriver, kind: str, value: int) -> None:
    box = driver.find_element(By.ID, f"fc-wi-{kind}")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(str(value), Keys.TAB)  # debounced: the value is sent when focus leaves


def test_the_what_if_moves_the_scenario_and_no_change_equals_the_baseline(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    support.open_page(browser, f"{base_url}/forecast?{at_query(sample_at)}", "#fc-what-if table")
    cells = ("queue", "lost")
    pathway = "1"
    # no change: on screen, every scenario number is the baseline's
    for cell in cells:
        assert _cell(browser, f"fc-wi-{pathway}-scenario-{cell}") == _cell(
            browser, f"fc-wi-{pathway}-baseline-{cell}"
        ), cell
    baseline = {cell: _cell(browser, f"fc-wi-{pathway}-baseline-{cell}") for cell in cells}
    assert all(baseline.values()), baseline
    # 30 more home-care starts a day: the P1 scenario leaves the baseline, never above it
    _set_amount(browser, "home_care_starts", 30)
    support.wait_until(
        browser,
        lambda d: _cell(d, f"fc-wi-{pathway}-scenario-lost") != baseline["lost"],
        "the what-if's P1 bed days lost never changed with +30 home-care starts a day",
        40,
        detail=lambda: f"still {_cell(browser, f'fc-wi-{pathway}-scenario-lost')!r}",
    )
    support.wait_until_settled(browser, 40)
    assert _cell(browser, f"fc-wi-{pathway}-baseline-lost") == baseline["lost"]
    assert _number(_cell(browser, f"fc-wi-{pathway}-scenario-lost")) < _number(baseline["lost"])
    assert _number(_cell(browser, f"fc-wi-{pathway}-scenario-queue")) <= _number(baseline["queue"])
    assert _band_paths(browser, "#fc-what-if .dash-graph") >= 2  # baseline and what-if bands
    # back to no change: the scenario is the baseline again
    _set_amount(browser, "home_care_starts", 0)
    support.wait_until(
        browser,
        lambda d: _cell(d, f"fc-wi-{pathway}-scenario-lost") == baseline["lost"],
        "the what-if's scenario never returned to the baseline with no change",
        40,
        detail=lambda: f"it shows {_cell(browser, f'fc-wi-{pathway}-scenario-lost')!r}",
    )
    assert _cell(browser, f"fc-wi-{pathway}-scenario-queue") == baseline["queue"]


def test_the_weekly_report_has_a_coming_days_section(browser: WebDriver, base_url: str) -> None:
    support.open_page(browser, f"{base_url}/reports/weekly", "#coming-days")
    section = browser.find_element(By.ID, "coming-days")
    assert section.find_element(By.CSS_SELECTOR, "h2 .hw-badge").text == "Forecast"
    assert "P10–P90:" in section.text


def test_choosing_a_council_redraws_its_forecast_and_keeps_it_in_the_address(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    support.open_page(browser, f"{base_url}/forecast?{at_query(sample_at)}", ".fc-pathway")
    expected = forecast.pathway_forecast(
        sample_session, days=forecast.MAX_DAYS, as_of=parse_at(sample_at.isoformat())
    )
    council = next(p for p in expected.pathways if p.local_authority and p.pathway == 1)
    Select(browser.find_element(By.ID, "fc-council")).select_by_value(str(council.local_authority))
    support.wait_until(
        browser,
        lambda d: f"council={council.local_authority}" in d.current_url,
        "choosing a council never reached the address",
        30,
    )
    support.wait_until_settled(browser, 40)
    panel = browser.find_element(By.ID, "fc-pathway-1")
    assert panel.find_element(By.CSS_SELECTOR, ".hw-badge").text == "Forecast"
    now = formats.number(council.today.nctr_in_hospital)
    assert f"{now} NCtR in hospital now." in panel.text
    assert _band_paths(browser, "#fc-pathway-1 .dash-graph") >= 1
    # the council's own recorded days are drawn before its forecast (solid, "Recorded")
    assert council.history, "the module gave the council no recorded days"
    legend = " ".join(t.text for t in panel.find_elements(By.CSS_SELECTOR, ".legendtext"))
    assert "Recorded" in legend, legend
    # reopening the address shows the same choice
    browser.get(browser.current_url)
    support.wait_for(browser, "#fc-pathway-1")
    assert (
        Select(browser.find_element(By.ID, "fc-council")).first_selected_option.get_attribute(
            "value"
        )
        == council.local_authority
    )
