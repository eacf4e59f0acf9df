"""The feed owner's and data engineer's pages in Chromium: /api/docs works with nothing but
this server, the feeds page marks and filters runs and never lets an error widen its column,
and the weekly report downloads its chart series as CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from dashboards import report
from models import IngestRun, QuarantinedRow
from tests.browser import support

RESOURCES = "return performance.getEntriesByType('resource').map(e => e.name)"
LONG_ERROR = (
    "the file has no snapshot_at column: the patients feed needs every contract column "
    + "(see docs/feeds.md) " * 40
).strip()


def test_api_docs_render_from_this_server_only(browser: WebDriver, base_url: str) -> None:
    support.open_page(browser, f"{base_url}/api/docs", ".opblock-summary")
    operations = browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    paths = {element.get_attribute("data-path") or element.text for element in operations}
    assert "/api/v1/flow/summary" in paths, sorted(paths)[:10]
    host = urlparse(base_url).netloc
    sources = browser.execute_script(
        "return [...document.querySelectorAll('script[src], link[href], img[src]')]"
        ".map(e => e.src || e.href)"
    )
    assert sources and all(urlparse(s).netloc == host for s in sources), sources
    fetched = browser.execute_script(RESOURCES)
    assert fetched and all(urlparse(url).netloc == host for url in fetched), fetched
    # "Authorize" offers the bearer token and the session cookie
    browser.find_element(By.CSS_SELECTOR, "button.authorize").click()
    dialog = support.wait_for(browser, ".dialog-ux .modal-ux-content")
    assert "bearerToken" in dialog.text and "sessionCookie" in dialog.text
    assert dialog.find_elements(By.CSS_SELECTOR, "input[type=text], input[type=password]")


@pytest.fixture
def failed_run(sample_engine: Engine) -> Iterator[int]:
    """A failed patients run with a long error and one quarantined row, newest of all."""
    with Session(sample_engine) as session:
        run = IngestRun(
            feed="patients",
            source="folder",
            source_name="drop folder",
            file_name="patients_20261115T0800Z_broken.csv",
            status="failed",
            started_at=datetime.now(UTC) - timedelta(minutes=1),
            finished_at=datetime.now(UTC),
            rows_in=1,
            rows_quarantined=1,
            error=LONG_ERROR,
        )
        session.add(run)
        session.flush()
        session.add(
            QuarantinedRow(
                ingest_run_id=run.id,
                line_number=2,
                column="age",
                value="140",
                reason="age 140 is above 130",
                raw=json.dumps({"spell_id": "SP-BROWSER-1", "age": "140"}),
            )
        )
        session.commit()
        run_id = run.id
    yield run_id
    with Session(sample_engine) as session:
        session.execute(delete(QuarantinedRow).where(QuarantinedRow.ingest_run_id == run_id))
        session.execute(delete(IngestRun).where(IngestRun.id == run_id))
        session.commit()


def _row_of(browser: WebDriver, run_id: int) -> object:
    return next(
        row
        for row in browser.find_elements(By.CSS_SELECTOR, "#runs-table tbody tr")
        if row.find_element(By.TAG_NAME, "td").text == str(run_id)
    )


def test_feeds_page_marks_a_failed_run_and_keeps_its_error_narrow(
    browser: WebDriver, base_url: str, failed_run: int
) -> None:
    support.open_page(browser, f"{base_url}/feeds", "#runs-table")
    row = _row_of(browser, failed_run)
    assert "hw-run-failed" in (row.get_attribute("class") or "")  # type: ignore[attr-defined]
    assert "patients_20261115T0800Z_broken.csv" in row.text  # type: ignore[attr-defined]
    cell = row.find_element(By.CSS_SELECTOR, "td.hw-col-error")  # type: ignore[attr-defined]
    narrow = 28 * 16 + 40  # 28rem and the cell's padding
    assert cell.rect["width"] <= narrow, cell.rect
    assert LONG_ERROR not in cell.text  # clipped until asked for
    viewport = browser.execute_script("return document.documentElement.clientWidth")
    assert browser.execute_script("return document.documentElement.scrollWidth") <= viewport
    summary = cell.find_element(By.TAG_NAME, "summary")
    # a script's click: the row lies below the fold of the emulated 1080 px viewport
    browser.execute_script("arguments[0].click()", summary)
    full = support.wait_for(browser, "#runs-table details[open] .hw-run-error-full")
    assert full.text == LONG_ERROR
    assert cell.rect["width"] <= narrow, cell.rect  # opened, it wraps, still as narrow


def test_feeds_page_filters_runs_by_feed_and_result(
    browser: WebDriver, base_url: str, failed_run: int
) -> None:
    support.open_page(browser, f"{base_url}/feeds", "#runs-table")
    Select(browser.find_element(By.ID, "runs-status")).select_by_value("failed")
    support.wait_until(
        browser,
        lambda d: "Failed" in d.find_element(By.CSS_SELECTOR, "#runs-table caption").text,
        "choosing the result 'failed' never redrew the runs table",
    )
    results = {
        row.find_elements(By.TAG_NAME, "td")[4].text
        for row in browser.find_elements(By.CSS_SELECTOR, "#runs-table tbody tr")
    }
    assert results == {"Failed"}
    Select(browser.find_element(By.ID, "runs-feed")).select_by_value("beds")
    support.wait_until(
        browser,
        lambda d: "no run matches" in d.find_element(By.ID, "runs-table-wrap").text,
        "no failed beds run, yet the table still lists some",
    )


def test_feeds_page_shows_the_coordinator_the_spell_of_a_quarantined_row(
    browser: WebDriver, base_url: str, failed_run: int
) -> None:
    support.open_page(browser, f"{base_url}/feeds", "#rejected-table")
    Select(browser.find_element(By.ID, "rejected-run")).select_by_value(str(failed_run))
    support.wait_until(
        browser,
        lambda d: f"run {failed_run}" in d.find_element(By.ID, "rejected-rows").text,
        "choosing the failed run never showed its quarantined rows",
    )
    table = browser.find_element(By.ID, "rejected-table")
    headings = [th.text for th in table.find_elements(By.CSS_SELECTOR, "thead th")]
    # the spell, not the values received (those through the audited API)
    assert headings == ["Run", "Line", "Spell", "Column", "Why it was quarantined"]
    assert "SP-BROWSER-1" in table.text


def test_weekly_report_downloads_its_chart_series(
    browser: WebDriver, base_url: str, download_dir: Path
) -> None:
    # the report's charts: 8 flow measures, the 3 NHS England asks and overnight emergency LOS
    MEASURES = 12
    support.open_page(browser, f"{base_url}/reports/weekly?weeks=12", ".spc-panel")
    for old in download_dir.glob("homeward-weekly-series-*"):
        old.unlink()
    browser.find_element(By.ID, "weekly-series-button").click()

    def whole_file(_d: WebDriver) -> str | None:
        for path in download_dir.glob("homeward-weekly-series-*.csv"):
            text = path.read_text(encoding="utf-8")
            if text.count("\n") >= 1 + MEASURES * 12:  # the header and every row written
                return text
        return None

    text = support.wait_until(
        browser,
        whole_file,
        "the chart series CSV never downloaded",
        ignored=(FileNotFoundError,),
        detail=lambda: f"downloads: {sorted(p.name for p in download_dir.iterdir())}",
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == list(report.SERIES_HEADER)
    measures = {row["measure"] for row in rows}
    assert len(measures) == MEASURES and len(rows) == MEASURES * 12  # a row per measure, week
    for row in rows:
        if row["lower_limit"] and row["unit"] != "%":
            assert float(row["lower_limit"]) >= 0, row  # as drawn: never below 0 for a count
