"""The meeting page in a real browser: start today's meeting, raise an action from an agenda
line (its scope filled in from the line), record a decision on it, and download the minutes
as one offline HTML file and as CSV holding both."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy.orm import Session

from app.actions import meetings
from app.metrics.meeting_agenda import metrics_agenda
from tests.browser import support

pytestmark = pytest.mark.browser


def _downloaded(browser: WebDriver, download_dir: Path, pattern: str, end: str) -> str:
    """The text of the downloaded file matching ``pattern`` once all of it is written."""

    def whole(_d: WebDriver) -> str | None:
        for path in download_dir.glob(pattern):
            text = path.read_text(encoding="utf-8-sig")
            if text.rstrip().endswith(end):
                return text
        return None

    return support.wait_until(
        browser,
        whole,
        f"the minutes never downloaded as {pattern}",
        30,
        ignored=(FileNotFoundError,),
        detail=lambda: f"downloads: {sorted(p.name for p in download_dir.iterdir())}",
    )


def _click(browser: WebDriver, element_id: str) -> None:
    """Follow a link as a click does (a script's click: the link may sit below the fold)."""
    element = browser.find_element(By.ID, element_id)
    assert element.is_displayed(), f"#{element_id} is not shown"
    browser.execute_script("arguments[0].click()", element)


def test_run_a_meeting_raise_an_action_record_a_decision_download_minutes(
    browser: WebDriver,
    base_url: str,
    download_dir: Path,
    sample_at: datetime,
    sample_session: Session,
) -> None:
    at = quote(sample_at.isoformat())
    support.open_page(browser, f"{base_url}/meeting?at={at}", "#mtg-start")
    browser.find_element(By.CSS_SELECTOR, "#mtg-kind input[value='weekly']").click()
    browser.find_element(By.ID, "mtg-start").click()
    support.wait_for(browser, "#mtg-agenda", 60)
    support.wait_until_settled(browser, 60)
    meeting_id = int(re.search(r"meeting=(\d+)", browser.current_url).group(1))  # type: ignore[union-attr]

    # the largest blockage of the sample at that moment, as the metrics compute it
    top = metrics_agenda(sample_session, at=sample_at).blockages[0]
    assert top.scope.council and top.scope.reason  # a blockage line always names both
    sample_session.rollback()  # end the read: a SQLite reader would hold the server's writes
    line = browser.find_element(By.ID, f"mtg-line-{top.key}")
    assert line.find_element(By.CSS_SELECTOR, ".mtg-line-text").text == top.text

    # one click raises an action on it: the form says the line and its scope
    browser.find_element(By.CSS_SELECTOR, f"#mtg-line-{top.key} .btn-primary").click()
    scope_text = support.wait_for(browser, "#mtg-chosen-scope").text
    assert "delayed_days" in scope_text
    assert f"council {top.scope.council}" in scope_text
    assert f"reason {top.scope.reason}" in scope_text
    browser.find_element(By.ID, "mtg-title").send_keys("Open two more care home beds")
    browser.find_element(By.ID, "mtg-owner").send_keys("R Singh")
    browser.find_element(By.ID, "mtg-raise-submit").click()
    support.wait_until(
        browser,
        lambda d: "Action raised" in d.find_element(By.ID, "mtg-raise-message").text,
        "the action was never raised",
        detail=lambda: browser.find_element(By.ID, "mtg-raise-message").text,
    )

    # and a decision on the same line; a patient identifier is refused on the page
    browser.find_element(By.CSS_SELECTOR, f"#mtg-line-{top.key} .btn-outline-primary").click()
    support.wait_until_settled(browser)
    text_box = browser.find_element(By.ID, "mtg-decision-text")
    text_box.send_keys("Chase 9990000018 today")
    browser.find_element(By.ID, "mtg-decision-submit").click()
    support.wait_until(
        browser,
        lambda d: "NHS number" in d.find_element(By.ID, "mtg-decision-message").text,
        "a decision holding an NHS number was not refused",
    )
    text_box.send_keys(Keys.CONTROL, "a")  # clear() does not reach React's onChange
    text_box.send_keys(Keys.DELETE)
    text_box.send_keys("Council to report on P3 placements on Friday")
    browser.find_element(By.ID, "mtg-decision-submit").click()
    support.wait_until(
        browser,
        lambda d: (
            "Council to report on P3 placements" in d.find_element(By.ID, "mtg-decisions").text
        ),
        "the decision never showed in the minutes",
        detail=lambda: browser.find_element(By.ID, "mtg-decision-message").text,
    )
    assert "Open two more care home beds" in browser.find_element(By.ID, "mtg-actions").text

    # the store holds the action with the line's scope, linked to the meeting
    sample_session.expire_all()
    minutes = meetings.get_meeting(sample_session, meeting_id)
    (raised,) = [link.action for link in minutes.actions if link.kind == "raised"]
    sample_session.rollback()
    assert (raised.metric, raised.scope.council, raised.scope.reason, raised.scope.pathway) == (
        top.metric,
        top.scope.council,
        top.scope.reason,
        top.scope.pathway,
    )
    assert raised.organisation.code == top.scope.council  # the line's council owns it

    # the minutes download as one offline HTML file and as CSV, holding both
    for old in download_dir.glob("homeward-minutes-*"):
        old.unlink()
    _click(browser, "mtg-download-html")
    page = _downloaded(browser, download_dir, "homeward-minutes-weekly-*.html", "</html>")
    assert "Open two more care home beds" in page
    assert "Council to report on P3 placements on Friday" in page
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"https?:", page)
    _click(browser, "mtg-download-csv")
    table = _downloaded(browser, download_dir, "homeward-minutes-weekly-*.csv", "")
    assert "Open two more care home beds" in table
    assert "Council to report on P3 placements on Friday" in table

    # back on the agenda, the action is due within the week: closing it there is minuted
    support.open_page(browser, browser.current_url, "#mtg-actions-due")
    close = browser.find_element(
        By.CSS_SELECTOR, "button[aria-label='Closed in this meeting: Open two more care home beds']"
    )
    browser.execute_script("arguments[0].click()", close)
    support.wait_until(
        browser,
        lambda d: "closed" in d.find_element(By.ID, "mtg-actions").text,
        "closing the action was never minuted",
    )
    sample_session.expire_all()
    kinds = [link.kind for link in meetings.get_meeting(sample_session, meeting_id).actions]
    sample_session.rollback()
    assert kinds == ["raised", "closed"]
