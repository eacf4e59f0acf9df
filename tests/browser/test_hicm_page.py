"""/hicm in a real browser on the committed sample, signed in as a coordinator: the nine changes
each show their live evidence (value and SPC variation icon) as ``app.hicm.service`` gives it,
and an assessment recorded in the page appears in the change's maturity, while one naming an
NHS number is refused with the reason."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select
from sqlalchemy.orm import Session

from dashboards import hicm_view as view
from dashboards.data import parse_at
from tests.browser import support

pytestmark = pytest.mark.browser


def _url(base_url: str, at: datetime) -> str:
    return f"{base_url}/hicm?at={quote(at.isoformat())}"


def test_the_page_shows_nine_changes_with_their_evidence(
    browser: WebDriver, base_url: str, sample_session: Session, sample_at: datetime
) -> None:
    support.open_page(browser, _url(base_url, sample_at), "#hicm-changes")
    expected = view.load(sample_session, parse_at(sample_at.isoformat()))
    cards = browser.find_elements(By.CSS_SELECTOR, ".hicm-change")
    assert len(cards) == 9
    for card, change in zip(cards, expected.changes, strict=True):
        name = card.find_element(By.CSS_SELECTOR, ".hicm-change-name").text
        assert name == f"{change.number}. {change.name}"
        shown = card.find_elements(By.CSS_SELECTOR, ".hicm-measure")
        assert len(shown) == len(change.measures) >= 1, name
        for item, measure in zip(shown, change.measures, strict=True):
            assert item.get_attribute("data-slug") == measure.slug
            value = item.find_element(By.CSS_SELECTOR, ".hicm-value").text
            assert value == view.value_text(measure), (name, measure.slug)
            icon = item.find_element(By.CSS_SELECTOR, "img.hicm-icon")
            assert icon.get_attribute("alt"), "the SPC icon says what it shows"
            assert icon.get_attribute("src").startswith("data:image/svg+xml")
    # the sample has data: most measures carry a value
    values = [m.value for c in expected.changes for m in c.measures]
    assert sum(v is not None for v in values) >= len(values) - 2


def test_record_an_assessment_in_the_page(
    browser: WebDriver, base_url: str, sample_at: datetime
) -> None:
    support.open_page(browser, _url(base_url, sample_at), "#hicm-form")
    Select(browser.find_element(By.ID, "hicm-form-change")).select_by_value("6")
    Select(browser.find_element(By.ID, "hicm-form-level")).select_by_value("3")
    browser.find_element(By.ID, "hicm-form-by").send_keys("Browser test system meeting")
    notes = browser.find_element(By.ID, "hicm-form-notes")
    notes.send_keys("As discussed for 999 876 5439")
    browser.find_element(By.ID, "hicm-form-record").click()
    refused = support.wait_for(browser, "#hicm-form-result .alert-danger")
    assert "NHS number" in refused.text
    card = browser.find_element(By.ID, "hicm-change-6")
    assert "Not assessed yet" in card.find_element(By.CSS_SELECTOR, ".hicm-maturity").text

    notes.send_keys(Keys.CONTROL, "a")  # clear() would not tell React the text changed
    notes.send_keys(Keys.DELETE)
    notes.send_keys("Trusted assessor in post at both acute sites.")
    browser.find_element(By.ID, "hicm-form-record").click()
    recorded = support.wait_for(browser, "#hicm-recorded")
    assert "change 6, Trusted assessment, level 3 (Established)" in recorded.text
    support.wait_until_settled(browser)
    maturity = browser.find_element(By.CSS_SELECTOR, "#hicm-change-6 .hicm-maturity").text
    assert maturity.startswith("Level 3: Established")
    assert "Browser test system meeting" in maturity
    history = browser.find_element(By.CSS_SELECTOR, "#hicm-change-6 .hicm-history")
    browser.execute_script(  # the summary may sit under the page footer at 1080 px
        "arguments[0].scrollIntoView({block: 'center'}); arguments[0].open = true;", history
    )
    assert "Trusted assessor in post at both acute sites." in history.text
    assert "Evidence then: Delayed days awaiting assessment" in history.text
