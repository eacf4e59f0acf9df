"""The Content-Security-Policy in a real browser: Chromium signs in through the sign-in page
and opens every page as a coordinator; the console must show no CSP violation (so Dash, AG
Grid and Plotly work without 'unsafe-eval' and with only Dash's hashed inline scripts)."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import Engine

from app.core.db import reset_caches
from tests.browser import support
from tests.security_helpers import (
    TEST_PASSWORD,
    build_secure_app,
    ensure_user,
    fast_password_hashing,  # noqa: F401
)

pytestmark = pytest.mark.browser

AT = "at=2026-10-31T12:00:00"
PAGES = [
    ("/", "h1"),
    (f"/wall?{AT}", "h1"),
    (f"/coordinator?{AT}", "#coordinator-grid"),
    (f"/site/RXA01?{AT}", "h1"),
    (f"/site/RXA01/ward/A1?{AT}", "h1"),
    (f"/patient/S1?{AT}", "h1"),
    ("/reports/weekly", "h1"),
    ("/feeds", "h1"),
    ("/about/metrics", "h1"),
]


@pytest.fixture
def server(engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[str]:
    if engine.dialect.name != "sqlite":
        pytest.skip("the browser check runs once, on SQLite")
    if not support.CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {support.CHROMIUM} (CI installs it)")
    from tests.test_metrics_scenario import load_scenario

    monkeypatch.setenv("HOMEWARD_FUTURE_TOLERANCE_MINUTES", str(20 * 366 * 24 * 60))
    reset_caches()
    load_scenario(engine, tmp_path / "reference")
    ensure_user("coordinator", username="cora")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = build_secure_app(with_dashboard=True)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    output = _Recorder()  # after Config, which sets uvicorn's logging up afresh
    logging.getLogger("uvicorn.error").addHandler(output)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        _wait_until_started(server, thread, output, timeout=30)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        logging.getLogger("uvicorn.error").removeHandler(output)


class _Recorder(logging.Handler):
    """Keeps the server's log lines, to show them when it does not start."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def _wait_until_started(
    server: uvicorn.Server, thread: threading.Thread, output: _Recorder, timeout: float
) -> None:
    """Until uvicorn says it is listening; raise with its log if it stops or never does."""
    deadline = time.monotonic() + timeout
    while not server.started:
        log = "\n".join(output.lines) or "(nothing logged)"
        if not thread.is_alive():
            raise RuntimeError(f"the server stopped before it started; its log:\n{log}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start within {timeout:g} s; its log:\n{log}")
        time.sleep(0.05)  # the poll interval of a loop with a deadline, not a wait for readiness


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    with support.chromium(tmp_path / "profile", tmp_path / "downloads") as driver:
        yield driver


def csp_violations(driver: WebDriver) -> list[str]:
    entries = driver.get_log("browser")  # type: ignore[attr-defined]  # Chrome only
    return [
        e["message"]
        for e in entries
        if "Content Security Policy" in e["message"] or "Refused to" in e["message"]
    ]


def test_every_page_works_under_the_csp(server: str, browser: WebDriver) -> None:
    browser.get(f"{server}/coordinator?{AT}")
    support.wait_for(browser, "#username")
    assert "/login?next=" in browser.current_url
    assert csp_violations(browser) == []
    browser.find_element(By.ID, "username").send_keys("cora")
    browser.find_element(By.ID, "password").send_keys(TEST_PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    support.wait_for(browser, "#coordinator-grid", timeout=60)
    assert "/coordinator?at=2026-10-31T12" in browser.current_url
    plots = 0
    for path, ready in PAGES:
        support.open_page(browser, server + path, ready, timeout=60)  # until settled, or fails
        plots += len(browser.find_elements(By.CSS_SELECTOR, ".js-plotly-plot .main-svg"))
        assert csp_violations(browser) == [], path
        assert support.dash_errors(browser) == [], path
    assert plots > 0  # Plotly drew charts under the policy
