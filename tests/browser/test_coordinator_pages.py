"""The discharge coordinator's pages in a real browser, as their user finds them: nothing cut
off or overlapping, every filter applied to the blockages, the minimum-days filter applied as
one types, the pages usable on a tablet and a phone, and the longest-waiting P3 patient found
with the keyboard alone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote, urlparse

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.metrics import flow, patient_level, timebase, windows
from dashboards import formats
from models import Spell, SpellEvent
from tests.browser import support

pytestmark = pytest.mark.browser

TABLET = (1024, 768)
PHONE = (390, 844)
#: the width of the page's content and the viewport's (with no sideways scroll, the first fits)
PAGE_WIDTH = "return [document.documentElement.scrollWidth, window.innerWidth]"


def at_query(moment: datetime) -> str:
    return "at=" + quote(moment.isoformat())


def grid_rows(driver: WebDriver, grid_id: str) -> list[dict[str, Any]]:
    script = """
        const api = window.dash_ag_grid.getApi(arguments[0]);
        const rows = [];
        api.forEachNodeAfterFilterAndSort(node => rows.push(node.data));
        return rows;
    """
    return list(driver.execute_script(script, grid_id))


def wait_for_rows(driver: WebDriver, grid_id: str, count: int, timeout: float = 20) -> None:
    support.wait_until(
        driver,
        lambda d: len(grid_rows(d, grid_id)) == count,
        f"grid #{grid_id} never showed {count} rows",
        timeout,
        detail=lambda: f"it shows {len(grid_rows(driver, grid_id))}",
    )


#: the boxes of the text elements matching a selector: [{text, left, top, right, bottom}]
BOXES = """
return Array.from(document.querySelectorAll(arguments[0])).map(e => {
  const r = e.getBoundingClientRect();
  return {text: e.textContent, left: r.left, top: r.top, right: r.right, bottom: r.bottom};
});
"""


def boxes(driver: WebDriver, selector: str) -> list[dict[str, Any]]:
    return list(driver.execute_script(BOXES, selector))


def overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return (
        a["left"] < b["right"]
        and b["left"] < a["right"]
        and a["top"] < b["bottom"]
        and b["top"] < a["bottom"]
    )


def the_box_of(driver: WebDriver, selector: str) -> dict[str, Any]:
    found = boxes(driver, selector)
    assert found, f"nothing matches {selector}"
    return found[0]


def bar_values(driver: WebDriver, graph_id: str) -> dict[str, float]:
    """What a drawn bar chart shows: its bars' full labels (the hover text) and values."""
    script = """
        const plot = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
        if (!plot || !plot.data || !plot.data.length) { return {}; }
        const bars = plot.data[0];
        const shown = {};
        bars.x.forEach((x, i) => { shown[bars.customdata[i]] = x; });
        return shown;
    """
    return dict(driver.execute_script(script, graph_id))


# --- the journey chart ----------------------------------------------------------------------


def test_journey_labels_never_overlap_and_are_never_cut(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    busiest = sample_session.execute(
        select(Spell.spell_id, func.count(SpellEvent.id).label("n"))
        .join(SpellEvent, SpellEvent.spell_pk == Spell.id)
        .group_by(Spell.spell_id)
        .order_by(func.count(SpellEvent.id).desc(), Spell.spell_id)
        .limit(1)
    ).one()
    assert busiest.n >= 10, f"the sample's busiest spell has only {busiest.n} events"
    journey = patient_level.journey(sample_session, busiest.spell_id, at=sample_at)
    events = [e for e in journey.events if not e.type.startswith("day_")]
    for width, height in ((support.WIDTH, support.HEIGHT), PHONE):
        support.set_viewport(browser, width, height)
        support.open_page(
            browser,
            f"{base_url}/patient/{busiest.spell_id}?{at_query(sample_at)}",
            "#journey-timeline .main-svg",
        )
        document_width, viewport = browser.execute_script(PAGE_WIDTH)
        assert document_width <= viewport, f"the patient page is {document_width} px wide"
        labels = boxes(browser, "#journey-timeline .ytick text, #journey-timeline .y2tick text")
        # every event has its own label (plus the board-round band's)
        assert len(labels) == len(events) + 1, (width, [b["text"] for b in labels])
        for label in labels:
            assert not label["text"].rstrip().endswith("…"), label["text"]
            assert "…" not in label["text"], label["text"]
        for i, a in enumerate(labels):
            for b in labels[i + 1 :]:
                assert not overlap(a, b), f"at {width} px, {a['text']!r} overlaps {b['text']!r}"
        dates = boxes(browser, "#journey-timeline .x2tick text")
        assert dates, "the journey chart has no dates"
        for i, a in enumerate(dates):
            for b in dates[i + 1 :]:
                assert not overlap(a, b), (
                    f"at {width} px, the dates {a['text']!r} and {b['text']!r}"
                )
        # not cut at the chart's edge: every label lies inside the drawn chart
        chart = the_box_of(browser, "#journey-timeline .main-svg")
        for label in labels:
            assert label["left"] >= chart["left"] - 0.5, (width, label)
            assert label["right"] <= chart["right"] + 0.5, (width, label)
        # the full words of every event are on the chart, wrapped onto lines
        drawn = " ".join(" ".join(b["text"].split()) for b in labels)
        for event in events:
            assert " ".join(event.label.split()) in drawn or all(
                word in drawn for word in event.label.split()
            ), event.label


def test_patient_page_shows_names_and_says_why_the_two_delays_differ(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    patient = patient_level.delayed(sample_session, at=sample_at).patients[0]
    spell = patient_level.journey(sample_session, patient.spell_id, at=sample_at).spell
    assert spell.site_name and spell.ward_name and spell.local_authority_name
    support.open_page(
        browser, f"{base_url}/patient/{patient.spell_id}?{at_query(sample_at)}", ".journey-facts"
    )
    facts = browser.find_element(By.CSS_SELECTOR, ".journey-facts").text
    for name in (spell.site_name, spell.ward_name, spell.local_authority_name):
        assert name in facts, f"{name!r} is not on the patient page"
    crumbs = browser.find_element(By.CSS_SELECTOR, ".breadcrumb").text
    assert spell.site_name in crumbs and spell.ward_name in crumbs
    assert browser.find_element(By.ID, "fact-delayed").text == str(spell.delayed_days)
    assert browser.find_element(By.ID, "fact-beyond").text == str(spell.days_beyond_drd)
    # the chart's times are Europe/London wall-clock times, as the facts show them
    admitted = formats.local(spell.admitted_at).strftime("%d %b %H:%M")
    ticks = [b["text"] for b in boxes(browser, "#journey-timeline .ytick text")]
    assert any(t.startswith(f"{admitted} · Admitted") for t in ticks), (admitted, ticks[:2])
    # the explanation opens from the keyboard and says, in words, why the two numbers differ
    summary = browser.find_element(By.CSS_SELECTOR, "#delay-days-why-details summary")
    summary.send_keys(Keys.ENTER)
    why = support.wait_for(browser, "#delay-days-why")
    assert "midnight" in why.text and "cleared" in why.text and "minus" in why.text


# --- the blockages --------------------------------------------------------------------------


def test_blockages_follow_every_filter_and_are_readable(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    moment = timebase.resolve_at(sample_at)
    period = windows.days_ending(timebase.local_date(moment))

    def expected(**filters: Any) -> dict[str, float]:
        delayed = flow.delayed_days(
            sample_session, start=period.start, end=period.end, group_by="reason", **filters
        )
        return {g.label: g.delayed_days for g in delayed.groups[:8]}

    support.open_page(browser, f"{base_url}/coordinator?{at_query(sample_at)}", "#blockage-0")
    support.wait_until_settled(browser)
    everything = expected()
    assert bar_values(browser, "blockage-0") == everything

    # readable: no rotated tick label, every bar label inside the chart, none cut with "…"
    assert not [
        t
        for t in browser.execute_script(
            "return Array.from(document.querySelectorAll('#blockage-0 .xtick text'))"
            ".map(e => e.getAttribute('transform') || '')"
        )
        if "rotate" in t
    ]
    chart = the_box_of(browser, "#blockage-0 .main-svg")
    labels = boxes(browser, "#blockage-0 .ytick text")
    assert len(labels) == len(everything)
    for label in labels:
        assert label["left"] >= chart["left"] - 0.5 and "…" not in label["text"], label
    for i, a in enumerate(labels):
        for b in labels[i + 1 :]:
            assert not overlap(a, b), (a["text"], b["text"])

    # a council changes the blockages to that council's bed days lost
    council = max(
        (p.local_authority for p in patient_level.delayed(sample_session, at=sample_at).patients),
        key=lambda code: code or "",
    )
    assert council
    narrowed = expected(local_authority=council)
    assert narrowed != everything
    Select(browser.find_element(By.ID, "filter-council")).select_by_value(council)
    support.wait_until(
        browser,
        lambda d: bar_values(d, "blockage-0") == narrowed,
        f"the blockages never showed council {council}'s bed days lost",
        detail=lambda: f"shown: {bar_values(browser, 'blockage-0')}, expected {narrowed}",
    )
    # and a minimum of days beyond the ready date narrows them again
    box = browser.find_element(By.ID, "filter-min-days")
    box.send_keys("10")
    narrower = expected(local_authority=council, min_days=10)
    support.wait_until(
        browser,
        lambda d: bar_values(d, "blockage-0") == narrower,
        "the blockages never applied the minimum of 10 days",
        detail=lambda: f"shown: {bar_values(browser, 'blockage-0')}, expected {narrower}",
    )
    assert "Every filter above applies here" in browser.find_element(By.ID, "blockages-note").text


# --- the grids ------------------------------------------------------------------------------

#: header and cell texts of some columns that are wider than their box (cut with "…")
CUT_TEXT = """
const grid = document.getElementById(arguments[0]);
const cut = [];
for (const field of arguments[1]) {
  for (const el of grid.querySelectorAll(
      `.ag-header-cell[col-id="${field}"] .ag-header-cell-text, .ag-cell[col-id="${field}"]`)) {
    if (el.scrollWidth > el.clientWidth + 1) { cut.push([field, el.textContent]); }
  }
}
return cut;
"""


def test_grid_columns_are_not_cut_and_the_ward_page_has_no_ward_column(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    everyone = patient_level.delayed(sample_session, at=sample_at)
    support.open_page(browser, f"{base_url}/coordinator?{at_query(sample_at)}", "#coordinator-grid")
    wait_for_rows(browser, "coordinator-grid", everyone.count)
    headers = browser.find_element(By.CSS_SELECTOR, "#coordinator-grid .ag-header").text
    assert "Site" in headers and "Waiting for (reason)" in headers and "Council" in headers
    cut = browser.execute_script(CUT_TEXT, "coordinator-grid", ["reason", "council", "site_name"])
    assert not cut, f"cut cells: {cut[:5]}"
    first = grid_rows(browser, "coordinator-grid")[0]
    assert first["site_name"] == everyone.patients[0].site_name

    patient = everyone.patients[0]
    support.open_page(
        browser,
        f"{base_url}/site/{patient.site}/ward/{patient.ward}?{at_query(sample_at)}",
        "#ward-patients",
    )
    fields = browser.execute_script(
        "return window.dash_ag_grid.getApi('ward-patients').getColumns().map(c => c.getColId())"
    )
    assert "ward" not in fields and "site_name" not in fields
    assert "reason" in fields and "council" in fields


# --- the minimum-days filter ----------------------------------------------------------------


def test_minimum_days_applies_as_you_type(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    support.open_page(browser, f"{base_url}/coordinator?{at_query(sample_at)}", "#coordinator-grid")
    everyone = patient_level.delayed(sample_session, at=sample_at)
    wait_for_rows(browser, "coordinator-grid", everyone.count)
    minimum = 12
    expected = patient_level.delayed(sample_session, at=sample_at, min_days=minimum)
    assert 0 < expected.count < everyone.count
    box = browser.find_element(By.ID, "filter-min-days")
    box.send_keys(str(minimum))  # no Enter, and the focus stays in the box
    wait_for_rows(browser, "coordinator-grid", expected.count)
    assert browser.switch_to.active_element.get_attribute("id") == "filter-min-days"
    assert all(r["days_beyond_drd"] >= minimum for r in grid_rows(browser, "coordinator-grid"))


# --- tablet and phone -----------------------------------------------------------------------


@pytest.mark.parametrize("size", [TABLET, PHONE], ids=["tablet", "phone"])
@pytest.mark.parametrize("page", ["coordinator", "overview"])
def test_tablet_and_phone_layouts_never_scroll_the_page_sideways(
    browser: WebDriver, base_url: str, sample_at: datetime, size: tuple[int, int], page: str
) -> None:
    width, height = size
    support.set_viewport(browser, width, height)
    path = "/coordinator" if page == "coordinator" else "/"
    ready = "#coordinator-grid .ag-row" if page == "coordinator" else ".hw-tiles"
    support.open_page(browser, f"{base_url}{path}?{at_query(sample_at)}", ready)
    support.wait_until_settled(browser)
    document_width, viewport = browser.execute_script(PAGE_WIDTH)
    assert document_width <= viewport, f"{page} is {document_width} px wide in {viewport} px"

    def in_view_across(selector: str) -> None:
        element = browser.find_element(By.CSS_SELECTOR, selector)
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
        box = the_box_of(browser, selector)
        assert element.is_displayed(), f"{selector} is hidden at {width}×{height}"
        assert box["left"] >= 0 and box["right"] <= viewport, (selector, box, viewport)

    if page == "coordinator":
        for control in (
            "#filter-pathway",
            "#filter-site",
            "#filter-council",
            "#filter-reason",
            "#filter-min-days",
            "#coordinator-longest-link",
            "#coordinator-grid",
            # the pinned spell column and the wait beside it stay readable
            "#coordinator-grid .ag-row[row-index='0'] a[href^='/patient/']",
            "#coordinator-grid .ag-row[row-index='0'] [col-id='days_beyond_drd']",
            "#blockage-0",
        ):
            in_view_across(control)
    else:
        for control in (".hw-tiles", ".hw-tile", ".ag-row[row-index='0'] a[href^='/site/']"):
            in_view_across(control)
        # every drawn chart fits the screen
        for chart in boxes(browser, ".js-plotly-plot .main-svg"):
            assert chart["right"] <= viewport + 0.5, chart


# --- the two-click task, with the keyboard only ---------------------------------------------


def _tab_until(driver: WebDriver, is_there: str, what: str, presses: int = 40) -> None:
    """Press Tab until ``is_there`` (a script on ``document.activeElement``) is true."""
    for _ in range(presses):
        if driver.execute_script(f"const e = document.activeElement; return {is_there};"):
            return
        driver.switch_to.active_element.send_keys(Keys.TAB)
    raise AssertionError(f"{presses} presses of Tab never reached {what}")


def test_longest_waiting_p3_patient_with_the_keyboard_only(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    support.open_page(browser, f"{base_url}/coordinator?{at_query(sample_at)}", "#coordinator-grid")
    support.wait_until_settled(browser)
    p3 = patient_level.delayed(sample_session, at=sample_at, pathway=3)
    assert p3.count, "the sample has no P3 patient waiting"
    longest = p3.patients[0]

    browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    _tab_until(browser, "e.name === 'filter-pathway' || !!e.closest('#filter-pathway')",
               "the discharge pathway choice")  # fmt: skip
    # the radio group: arrows move the choice (All → P0 → P1 → P2 → P3)
    for _ in range(4):
        browser.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    assert browser.switch_to.active_element.get_attribute("value") == "3"
    wait_for_rows(browser, "coordinator-grid", p3.count)
    support.wait_until(
        browser,
        lambda d: longest.spell_id in d.find_element(By.ID, "coordinator-longest").text,
        "the longest-waiting P3 patient was never offered as a link",
        ignored=(StaleElementReferenceException,),
    )
    _tab_until(browser, "e.id === 'coordinator-longest-link'", "the longest wait's link")
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    support.wait_until(
        browser,
        lambda d: urlparse(d.current_url).path == f"/patient/{longest.spell_id}",
        f"Enter on the link never opened the journey of {longest.spell_id}",
    )
    support.wait_for(browser, "#journey-timeline .main-svg")
    assert longest.spell_id in browser.find_element(By.CSS_SELECTOR, "#main-content h1").text
