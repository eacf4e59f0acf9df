"""WCAG 2.2 AA on every page, for every role: axe-core 4.x run in headless Chromium.

axe-core is vendored in ``tests/browser/assets/`` (see the README there; nothing is
downloaded at test time). Each role gets one browser session: it signs in as a person of
that role would (the wall kiosk through its wall token), opens every page — a page its role
may not open shows the 403 page, which is checked instead — and runs axe on each with the
WCAG 2.0/2.1/2.2 A and AA rules. A page passes with no *serious* or *critical* violation;
the failure message lists each violation's rule, the elements it found and what to do.

Every AG Grid and every chart must have an accessible name as well (axe does not ask).
The sign-in page, the accessibility statement's public copy and the 404 page are checked too,
and the keyboard path: on six pages the first Tab reaches the skip link, Tab then reaches every
navigation link and every control through to the footer's statement link, and each stop looks
different focused from unfocused.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy.orm import Session

from app.core.db import make_engine
from app.metrics import flow, patient_level
from app.security.accounts import create_user, get_by_username
from app.security.principal import utc_now
from app.security.roles import Role
from app.security.tokens import create_api_token
from tests.browser import support

pytestmark = pytest.mark.browser

ASSETS = Path(__file__).resolve().parent / "assets"
AXE_VERSION = "4.14.1"
AXE_FILE = ASSETS / f"axe-{AXE_VERSION}.min.js"
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
BLOCKING = ("serious", "critical")

#: words a "not available to your role" page says (its wording may change; its point may not)
REFUSED_WORDS = ("not available", "not allowed", "permission", "forbidden", "403")

PASSWORD = "accessibility-tests-long-password"

#: which pages each person's role may open (DESIGN §7), written out here rather than read
#: from app.security.roles so that a change of access shows up as a change of this test
EVERYONE = {
    "overview",
    "site",
    "wall",
    "wall-kiosk",
    "weekly",
    "forecast",
    "hicm",
    "metrics",
    "accessibility",
    "not-found",
}
OPENS: dict[str, set[str]] = {
    "wall": EVERYONE,
    "wall-kiosk": EVERYONE,
    "analyst": EVERYONE | {"feeds", "meeting"},
    "coordinator": EVERYONE | {"feeds", "coordinator", "ward", "patient", "meeting"},
    "admin": EVERYONE | {"feeds"},
}
ROLES = tuple(OPENS)

#: the element each page shows once drawn (a 403 page and the 404 page show an h1)
READY = {
    "overview": "#main-content h1",
    "site": "#main-content h1",
    "ward": "#main-content h1",
    "wall": ".wall-sites",
    "wall-kiosk": ".wall-sites",
    "coordinator": "#coordinator-grid",
    "patient": "#main-content h1",
    "weekly": ".spc-panel",
    "forecast": "#fc-origin",
    "feeds": "#freshness-table",
    "hicm": "#hicm-changes",
    "meeting": "#mtg-minutes",
    "metrics": "#main-content h1",
    "accessibility": "#main-content h1",
    "not-found": "#main-content h1",
}

_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {
  runOnly: {type: 'tag', values: arguments[0]},
  resultTypes: ['violations'],
}).then(
  results => done({violations: results.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    targets: v.nodes.map(n => ({target: n.target.join(' '), impact: n.impact,
                                 summary: n.failureSummary}))
  }))}),
  error => done({error: String(error)})
);
"""


@dataclass(frozen=True)
class Finding:
    page: str
    url: str
    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def line(self) -> str:
        where = "; ".join(self.targets[:6]) + (" …" if len(self.targets) > 6 else "")
        return f"{self.page} ({self.url}): [{self.impact}] {self.rule}: {self.help} — {where}"


def axe_source() -> str:
    if not AXE_FILE.exists():
        pytest.fail(f"the vendored axe-core is missing: {AXE_FILE} (see {ASSETS}/README.md)")
    return AXE_FILE.read_text(encoding="utf-8")


def run_axe(driver: WebDriver, page: str, source: str) -> list[Finding]:
    """Every serious or critical WCAG A/AA violation axe finds on the current page."""
    driver.execute_script(source)
    driver.set_script_timeout(60)
    result: dict[str, Any] = driver.execute_async_script(_RUN_AXE, list(WCAG_TAGS))
    if "error" in result:
        pytest.fail(f"axe failed on {page} ({driver.current_url}): {result['error']}")
    findings = []
    for violation in result["violations"]:
        if violation["impact"] not in BLOCKING:  # reported (pytest -s), not failed
            print(f"note: {page}: [{violation['impact']}] {violation['id']}: {violation['help']}")
            continue
        findings.append(
            Finding(
                page=page,
                url=driver.current_url,
                rule=violation["id"],
                impact=violation["impact"],
                help=violation["help"],
                targets=tuple(
                    f"{node['target']} ({' '.join(str(node['summary']).split())[:160]})"
                    for node in violation["targets"]
                ),
            )
        )
    return findings


def at_query(moment: datetime) -> str:
    return "at=" + quote(moment.isoformat())


@pytest.fixture(scope="module")
def credentials(sample_database_url: str) -> dict[str, str]:
    """A person of each role (password) and a wall token (the kiosk's), created once."""
    engine = make_engine(sample_database_url)
    made: dict[str, str] = {}
    try:
        with Session(engine) as session:
            for role in (Role.WALL, Role.ANALYST, Role.COORDINATOR, Role.ADMIN):
                username = f"a11y-{role.value}"
                if get_by_username(session, username) is None:
                    create_user(
                        session, username=username, role=role, password=PASSWORD, now=utc_now()
                    )
                made[role.value] = username
            session.commit()
            _token, plaintext = create_api_token(
                session, name=f"a11y-kiosk-{utc_now().timestamp()}", role=Role.WALL, now=utc_now()
            )
            made["wall-kiosk"] = plaintext
    finally:
        engine.dispose()
    return made


@pytest.fixture(scope="module")
def page_paths(sample_engine: Any, sample_at: datetime) -> dict[str, str]:
    with Session(sample_engine) as session:
        summary = flow.summary(session, at=sample_at)
        site = next(s for s in summary.sites if s.kind == "acute")
        first = patient_level.delayed(session, at=sample_at).patients[0]
        # today's daily call, its agenda drawn (the meeting page's own test runs the weekly)
        from app.actions import meetings
        from app.actions.meeting_schemas import MeetingCreate
        from app.actions.schemas import Actor

        meeting = meetings.start_meeting(
            session, MeetingCreate(kind="daily"), Actor(name="a11y", role="coordinator")
        ).id
    at = at_query(sample_at)
    return {
        "meeting": f"/meeting?meeting={meeting}&{at}",
        "overview": f"/?{at}",
        "site": f"/site/{site.site_code}?{at}",
        "ward": f"/site/{first.site}/ward/{first.ward}?{at}",
        "wall": f"/wall?{at}",
        "wall-kiosk": f"/wall?kiosk=1&{at}",
        "coordinator": f"/coordinator?{at}",
        # filtered to no patient: Tab walks AG Grid cell by cell, so a full grid is hundreds
        # of stops (arrow keys move within it too); the controls around it are what is checked
        "coordinator-filtered": f"/coordinator?min_days=100000&{at}",
        "patient": f"/patient/{first.spell_id}?{at}",
        "weekly": "/reports/weekly",
        "forecast": "/forecast",
        "feeds": "/feeds",
        "hicm": f"/hicm?{at}",
        "metrics": "/about/metrics",
        "accessibility": "/accessibility",
        "not-found": "/no-such-page",
    }


@pytest.fixture
def fresh_browser(tmp_path: Path, download_dir: Path) -> Iterator[WebDriver]:
    """A browser of its own (its own cookies) for one role."""
    if not support.CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {support.CHROMIUM} (CI installs it)")
    with support.chromium(tmp_path / "profile", download_dir) as driver:
        yield driver


def sign_in_as(driver: WebDriver, base_url: str, role: str, credentials: dict[str, str]) -> None:
    if role == "wall-kiosk":
        token = quote(credentials[role], safe="")
        driver.get(f"{base_url}/api/v1/auth/kiosk?token={token}&next=/wall%3Fkiosk%3D1")
        support.wait_for(driver, ".wall-sites")
        return
    support.sign_in(driver, base_url, credentials[role], PASSWORD)


def check_page(
    driver: WebDriver, base_url: str, role: str, page: str, path: str, source: str
) -> list[Finding]:
    """Open ``page`` as ``role`` (or its 403 page) and return what axe finds there."""
    forbidden = page not in OPENS[role]
    ready = "h1" if forbidden else READY[page]
    support.open_page(driver, f"{base_url}{path}", ready)
    if forbidden:
        heading = driver.find_element(By.TAG_NAME, "h1").text
        said = f"{heading} {driver.title}".lower()
        assert any(words in said for words in REFUSED_WORDS), (
            f"{role} opened {page} ({path}) and was not refused: it shows {heading!r}"
        )
    label = f"{page} (403 page)" if forbidden else page
    return run_axe(driver, label, source) + unnamed_widgets(driver, label)


#: grids and charts without an accessible name (axe does not ask for one; WCAG 1.1.1/4.1.2 do)
_UNNAMED = """
const name = e => {
  const by = e.getAttribute('aria-labelledby');
  const text = by ? by.split(/\\s+/).map(id => (document.getElementById(id) || {}).textContent
                                              || '').join(' ') : '';
  return (e.getAttribute('aria-label') || text || '').trim();
};
const found = [];
for (const grid of document.querySelectorAll("[role='grid'], [role='treegrid']")) {
  if (!name(grid)) found.push(['grid-name', grid.closest('[id]') ? grid.closest('[id]').id : '?']);
}
for (const chart of document.querySelectorAll('.dash-graph')) {
  const figure = chart.closest('figure');
  if (!figure || !name(figure)) found.push(['chart-name', chart.id || '?']);
}
return found;
"""


def unnamed_widgets(driver: WebDriver, page: str) -> list[Finding]:
    """Each AG Grid and Plotly chart on the page that a screen reader could not name."""
    found = driver.execute_script(_UNNAMED)
    return [
        Finding(
            page=page,
            url=driver.current_url,
            rule=rule,
            impact="serious",
            help="an AG Grid needs a name (aria-labelledby its panel's heading)"
            if rule == "grid-name"
            else "a chart needs a named <figure> (components.graph)",
            targets=(f"#{where}",),
        )
        for rule, where in found
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_no_serious_accessibility_violation(
    fresh_browser: WebDriver,
    base_url: str,
    credentials: dict[str, str],
    page_paths: dict[str, str],
    role: str,
) -> None:
    source = axe_source()
    sign_in_as(fresh_browser, base_url, role, credentials)
    pages = (
        ("wall-kiosk",) if role == "wall-kiosk" else tuple(p for p in READY if p != "wall-kiosk")
    )
    findings: list[Finding] = []
    for page in pages:
        findings += check_page(fresh_browser, base_url, role, page, page_paths[page], source)
    assert not findings, f"{len(findings)} serious/critical WCAG 2.2 AA violations as {role}:\n" + (
        "\n".join(f.line() for f in findings)
    )


def test_sign_in_page_has_no_serious_accessibility_violation(
    fresh_browser: WebDriver, base_url: str
) -> None:
    source = axe_source()
    findings: list[Finding] = []
    for page, path in (
        ("sign-in", "/login"),
        ("sign-in with an error", "/login?error=1"),
        ("public accessibility statement", "/login/accessibility"),
    ):
        support.open_page(fresh_browser, f"{base_url}{path}", "main h1")
        findings += run_axe(fresh_browser, page, source)
    assert not findings, "\n".join(f.line() for f in findings)


def test_sign_in_page_links_to_the_accessibility_statement(
    fresh_browser: WebDriver, base_url: str
) -> None:
    support.open_page(fresh_browser, f"{base_url}/login", "main h1")
    link = fresh_browser.find_element(By.PARTIAL_LINK_TEXT, "Accessibility")
    link.click()
    heading = support.wait_for(fresh_browser, "main h1")
    assert heading.text == "Accessibility statement for Homeward"
    assert "WCAG" in fresh_browser.find_element(By.TAG_NAME, "main").text


#: the active element, how it looks focused and how it looks once blurred (then focused again)
_FOCUS_STOP = """
const e = document.activeElement;
const look = () => {
  const s = getComputedStyle(e);
  return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.backgroundColor,
          s.color, s.textDecorationLine, s.borderColor].join(' | ');
};
const focused = look();
e.blur();
const unfocused = look();
e.focus();
const name = (e.innerText || e.value || e.getAttribute('aria-label') || e.id || '').trim();
return {tag: e.tagName, name: name.slice(0, 60), cls: String(e.className || ''),
        focused: focused, unfocused: unfocused, html: e.outerHTML.slice(0, 160)};
"""

#: pages the keyboard test walks (those with the shell's links and the most controls)
KEYBOARD_PAGES = ("overview", "site", "coordinator-filtered", "weekly", "feeds", "metrics")


def tab_stops(driver: WebDriver, limit: int = 300) -> list[dict[str, str]]:
    """Every element Tab reaches from the top of the page, in order, until the footer's
    accessibility statement link (the last link of the shell)."""
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    stops = [dict(driver.execute_script(_FOCUS_STOP))]
    while stops[-1]["name"] != "Accessibility statement":
        if len(stops) >= limit:
            pytest.fail(
                f"{limit} Tabs from the top of {driver.current_url} never reached the footer's "
                f"accessibility statement link; the last stops: {[s['name'] for s in stops[-5:]]}"
            )
        driver.switch_to.active_element.send_keys(Keys.TAB)
        stops.append(dict(driver.execute_script(_FOCUS_STOP)))
    return stops


def test_keyboard_reaches_every_control_with_a_visible_focus_indicator(
    fresh_browser: WebDriver,
    base_url: str,
    credentials: dict[str, str],
    page_paths: dict[str, str],
) -> None:
    """Tab from the top of each page: the skip link comes first, then every navigation link;
    Tab goes on through the page's controls to the footer's statement link; and every stop
    looks different focused from unfocused (WCAG 2.1.1, 2.4.1, 2.4.7)."""
    sign_in_as(fresh_browser, base_url, "coordinator", credentials)
    problems: list[str] = []
    for page in KEYBOARD_PAGES:
        ready = READY.get(page, READY[page.split("-")[0]])
        support.open_page(fresh_browser, f"{base_url}{page_paths[page]}", ready)
        stops = tab_stops(fresh_browser)
        first = stops[0]
        if "skip-link" not in first["cls"]:
            problems.append(f"{page}: the first Tab reached {first['html']}, not the skip link")
        names = [stop["name"] for stop in stops if "nav-link" in stop["cls"]]
        for wanted in ("System overview", "Wall display", "Coordinator", "Weekly report", "Feeds"):
            if wanted not in names:
                problems.append(f"{page}: Tab never reached the navigation link {wanted!r}")
        for stop in stops:
            if stop["focused"] == stop["unfocused"]:
                problems.append(
                    f"{page}: no visible focus indicator on {stop['html']} ({stop['focused']})"
                )
    assert not problems, "\n".join(problems)


def test_skip_link_moves_focus_to_the_main_content(
    fresh_browser: WebDriver,
    base_url: str,
    credentials: dict[str, str],
    page_paths: dict[str, str],
) -> None:
    sign_in_as(fresh_browser, base_url, "analyst", credentials)
    support.open_page(fresh_browser, f"{base_url}{page_paths['overview']}", "#main-content h1")
    fresh_browser.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    skip = fresh_browser.switch_to.active_element
    assert skip.get_attribute("class") == "skip-link"
    assert skip.is_displayed() and skip.rect["y"] >= 0, "the focused skip link is off screen"
    skip.send_keys(Keys.ENTER)
    support.wait_until(
        fresh_browser,
        lambda d: d.execute_script("return document.activeElement.id") == "main-content",
        "following the skip link never moved focus to #main-content",
        5,
    )
