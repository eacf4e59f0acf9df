"""WCAG 2.2 AA on every page, for every role: axe-core 4.x run in headless Chromium.

axe-core is vendored in ``tests/browser/assets/`` (see the README there; nothing is
downloaded at test time). Each role gets one browser session: it signs in as a person of
that role would (the wall kiosk through its wall token), opens every page — a page its role
may not open shows the 403 page, which is checked instead — and runs axe on each with the
WCAG 2.0/2.1/2.2 A and AA rules. A page passes with no *serious* or *critical* violation;
the failure message lists each violation's rule, the elements it found and what to do.

The sign-in page, the accessibility statement's public copy and the 404 page are checked too,
and the shell's keyboard path: the first Tab reaches the skip link, and every link and
control in the navigation shows a visible focus indicator.
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

PASSWORD = "accessibility-tests-long-password"

#: which pages each person's role may open (DESIGN §7), written out here rather than read
#: from app.security.roles so that a change of access shows up as a change of this test
EVERYONE = {
    "overview",
    "site",
    "wall",
    "wall-kiosk",
    "weekly",
    "metrics",
    "accessibility",
    "not-found",
}
OPENS: dict[str, set[str]] = {
    "wall": EVERYONE,
    "wall-kiosk": EVERYONE,
    "analyst": EVERYONE | {"feeds"},
    "coordinator": EVERYONE | {"feeds", "coordinator", "ward", "patient"},
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
    "feeds": "#freshness-table",
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
    at = at_query(sample_at)
    return {
        "overview": f"/?{at}",
        "site": f"/site/{site.site_code}?{at}",
        "ward": f"/site/{first.site}/ward/{first.ward}?{at}",
        "wall": f"/wall?{at}",
        "wall-kiosk": f"/wall?kiosk=1&{at}",
        "coordinator": f"/coordinator?{at}",
        "patient": f"/patient/{first.spell_id}?{at}",
        "weekly": "/reports/weekly",
        "feeds": "/feeds",
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
        assert "not available" in heading.lower(), (
            f"{role} opened {page} ({path}) and was not refused: it shows {heading!r}"
        )
    label = f"{page} (403 page)" if forbidden else page
    return run_axe(driver, label, source)


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


def _focus_style(driver: WebDriver) -> dict[str, str]:
    script = """
        const e = document.activeElement, s = getComputedStyle(e);
        return {tag: e.tagName, text: (e.innerText || e.getAttribute('aria-label') || '').trim(),
                cls: e.className, outline: s.outlineStyle + ' ' + s.outlineWidth,
                shadow: s.boxShadow, background: s.backgroundColor};
    """
    return dict(driver.execute_script(script))


def test_keyboard_reaches_skip_link_navigation_and_statement_with_visible_focus(
    fresh_browser: WebDriver,
    base_url: str,
    credentials: dict[str, str],
    page_paths: dict[str, str],
) -> None:
    """Tab from the top of the overview: the skip link first, then every navigation link and
    the footer's statement link, each with a focus indicator (an outline or the NHS yellow
    box shadow) that it does not have unfocused."""
    sign_in_as(fresh_browser, base_url, "coordinator", credentials)
    support.open_page(fresh_browser, f"{base_url}{page_paths['overview']}", "#main-content h1")
    body = fresh_browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    first = _focus_style(fresh_browser)
    assert "skip-link" in first["cls"], f"the first Tab reached {first}, not the skip link"
    unfocused = fresh_browser.execute_script(
        "const s = getComputedStyle(document.querySelector('.hw-navbar .nav-link'));"
        "return s.boxShadow + '|' + s.outlineStyle;"
    )
    visited: list[dict[str, str]] = []
    for _ in range(200):
        fresh_browser.switch_to.active_element.send_keys(Keys.TAB)
        style = _focus_style(fresh_browser)
        visited.append(style)
        if style["text"] == "Accessibility statement":
            break
    else:
        pytest.fail(
            "200 Tabs from the top never reached the footer's accessibility statement link; "
            f"the last stops were {[v['text'] for v in visited[-5:]]}"
        )
    nav = [v for v in visited if "nav-link" in str(v["cls"])]
    names = [v["text"] for v in nav]
    for wanted in ("System overview", "Wall display", "Coordinator", "Weekly report", "Feeds"):
        assert wanted in names, f"Tab never reached the navigation link {wanted!r}: {names}"
    for stop in nav + visited[-1:]:
        indicated = stop["outline"].split()[0] not in ("none", "") or (
            stop["shadow"] != "none" and f"{stop['shadow']}|" not in f"{unfocused}|"
        )
        assert indicated, f"no visible focus indicator on {stop}"
