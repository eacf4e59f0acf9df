"""The weekly report offers the NHS England returns: each day's sitrep and the month's
discharge-delay measures download as CSV in the long format (docs/returns.md)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser import support

pytestmark = pytest.mark.browser

HEADER = ["Period", "Level", "Region", "ICB", "Org Code", "Org Name", "Metric", "Metric Type",
          "Metric Group", "Value"]  # fmt: skip


def test_the_weekly_report_downloads_the_sitrep_of_a_day(
    browser: WebDriver, base_url: str, download_dir: Path
) -> None:
    support.open_page(browser, f"{base_url}/reports/weekly", "#weekly-returns")
    days = browser.find_elements(By.CSS_SELECTOR, "#returns-sitrep a")
    months = browser.find_elements(By.CSS_SELECTOR, "#returns-discharge-delays a")
    assert len(days) == 7 and 1 <= len(months) <= 2
    first = days[0].get_attribute("href") or ""
    assert "/api/v1/returns/sitrep?date=" in first and first.endswith("format=csv")

    for old in download_dir.glob("homeward_sitrep_*"):
        old.unlink()
    # the panel is far down the page: click it as a script does, wherever it is scrolled to
    browser.execute_script("arguments[0].click();", days[0])

    def downloaded(_d: WebDriver) -> Path | None:
        for path in download_dir.glob("homeward_sitrep_*_trust.csv"):
            return path
        return None

    path = support.wait_until(
        browser,
        downloaded,
        "the sitrep CSV never downloaded from the weekly report",
        detail=lambda: f"downloads: {sorted(p.name for p in download_dir.iterdir())}",
    )
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == HEADER
    # the sample system: four trusts' acute sites, all in one synthetic ICB
    assert {(r[1], r[3]) for r in rows[1:]} == {
        ("Trust", "NHS Wyvern and Dale Integrated Care Board")
    }
    assert {r[4] for r in rows[1:]} == {"RXA", "RXB", "RXC"}
