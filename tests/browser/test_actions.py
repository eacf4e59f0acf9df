"""Actions in a real browser: an action raised through the API (from the signed-in browser,
as a coordinator) shows on the wall — its organisation, counts and, overdue, its title, at
28 px or more, the wall still fitting 1920×1080 — and as a marker on the weekly report's SPC
chart of its metric, with its title on hover."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from app.metrics import windows
from models.actions import Action, ActionChange, ActionUpdate
from models.reference import Site
from tests.browser import support

pytestmark = pytest.mark.browser

TITLE = "Weekend discharge team on Ward 7"
FLOOR_PX = 28

_POST = """
const done = arguments[arguments.length - 1];
fetch('/api/v1/actions', {method: 'POST', credentials: 'same-origin',
  headers: {'Content-Type': 'application/json'}, body: JSON.stringify(arguments[0])})
  .then(r => r.text().then(t => done({status: r.status, body: t})))
  .catch(e => done({status: 0, body: String(e)}));
"""

_WALL = """
const strip = document.querySelector('#wall-actions');
const px = (el) => parseFloat(getComputedStyle(el).fontSize);
const texts = [...strip.querySelectorAll('h2, li, p, span, strong')];
const out = {
  text: strip.innerText, height: strip.getBoundingClientRect().height,
  smallest: Math.min(...texts.map(px)),
  scrollHeight: document.scrollingElement.scrollHeight,
  innerHeight: window.innerHeight,
  scrollWidth: document.scrollingElement.scrollWidth,
  innerWidth: window.innerWidth,
};
out.shown = getComputedStyle(strip.closest('.wall-panel')).visibility === 'visible';
return out;
"""

_MARKERS = """
const plot = document.querySelector('#chart-delayed_days .js-plotly-plot');
if (!plot || !plot.data) return null;
return plot.data.filter(t => t.name === 'Action raised')
  .map(t => ({x: t.x, hover: t.hovertext}));
"""


@pytest.fixture
def raised_action(
    browser: WebDriver, base_url: str, sample_engine: Engine
) -> Iterator[dict[str, Any]]:
    with Session(sample_engine) as session:
        trust = session.scalars(select(Site.trust_code).order_by(Site.site_code)).first()
        week_end = windows.latest_complete_week_end(session)
    assert trust, "the sample has no site"
    support.open_page(browser, f"{base_url}/reports/weekly", "#weekly-content")
    body = {
        "title": TITLE,
        "organisation_kind": "trust",
        "organisation_code": trust,
        "owner": "Jo Bloggs",
        "due_date": (week_end - timedelta(days=2)).isoformat(),  # the Friday: overdue since
        "metric": "delayed_days",
    }
    answer = browser.execute_async_script(_POST, body)
    assert answer["status"] == 201, answer
    # the sample's weeks end in the past: raise it on the Wednesday of its last week
    raised = datetime.combine(week_end - timedelta(days=4), time(10), UTC)
    with Session(sample_engine) as session:
        session.execute(update(Action).where(Action.title == TITLE).values(created_at=raised))
        session.commit()
    yield {"trust": trust, "raised": raised.date(), "week_end": week_end}
    with Session(sample_engine) as session:
        ids = list(session.scalars(select(Action.id).where(Action.title == TITLE)))
        session.execute(delete(ActionChange).where(ActionChange.action_id.in_(ids)))
        session.execute(delete(ActionUpdate).where(ActionUpdate.action_id.in_(ids)))
        session.execute(delete(Action).where(Action.id.in_(ids)))
        session.commit()


def test_an_action_raised_through_the_api_shows_on_the_wall_and_the_spc_chart(
    browser: WebDriver,
    base_url: str,
    sample_at: datetime,
    raised_action: dict[str, Any],
) -> None:
    at = quote(sample_at.isoformat())
    support.open_page(browser, f"{base_url}/wall?panel=actions&at={at}", "#wall-actions")
    found = browser.execute_script(_WALL)
    assert "1 open" in found["text"] and "1 overdue" in found["text"], found["text"]
    assert TITLE in found["text"], found["text"]
    assert found["smallest"] >= FLOOR_PX, found
    # a panel of the wall's bottom (pinned by ?panel=actions): the wall still fits
    assert found["shown"], "the actions panel is not the one shown"
    assert found["scrollWidth"] <= found["innerWidth"], found
    assert found["scrollHeight"] <= found["innerHeight"], (
        f"the wall scrolls: {found['scrollHeight']} px of content in {found['innerHeight']}"
    )
    org = browser.find_element(
        By.CSS_SELECTOR, f"#wall-actions [data-org='{raised_action['trust']}']"
    )
    assert org.is_displayed()

    support.open_page(browser, f"{base_url}/reports/weekly", "#chart-delayed_days")
    markers = support.wait_until(
        browser,
        lambda d: d.execute_script(_MARKERS),
        "the delayed days chart never drew an action marker",
    )
    assert len(markers) == 1, markers
    assert markers[0]["x"] == [raised_action["raised"].isoformat()]
    assert TITLE in markers[0]["hover"][0]
    # the week's section lists it too
    section = browser.find_element(By.ID, "actions-this-week").text
    assert TITLE in section
