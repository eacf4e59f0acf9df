"""What the browser tests and ``scripts/screenshots.py`` share: the sample database, the live
server (uvicorn in a subprocess) and a headless Chromium found on the machine (never
downloaded).

Every wait here is a condition with a deadline that fails loudly: :func:`wait_until` raises
saying what never happened and on which page; a server that never answers raises with its
output. Nothing sleeps a fixed time hoping the page is ready.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "sample_data" / "small"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WIDTH, HEIGHT = 1920, 1080
CHROME_ARGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    f"--window-size={WIDTH},{HEIGHT}",
)


def sample_dir() -> Path:
    """The committed small sample (``HOMEWARD_BROWSER_SAMPLE_DIR`` points elsewhere)."""
    override = os.environ.get("HOMEWARD_BROWSER_SAMPLE_DIR")
    return Path(override) if override else SAMPLE_DIR


def sample_moment(directory: Path) -> datetime:
    """The moment pages are viewed at (``?at=``): the last minute of the sample's history, so
    "today" is the sample's last whole day rather than a day that has only just begun."""
    params = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))["params"]
    return datetime.fromisoformat(params["end"]) - timedelta(minutes=1)


def build_sample_database(url: str, directory: Path) -> None:
    """Migrate, sync the reason catalogue and load the sample through the real ingest path."""
    from app.core import migrations
    from app.core.db import make_engine
    from ingest.loader import load_batch
    from ingest.reference import sync_reason_catalogue
    from ingest.registry import load_reference_dir

    migrations.upgrade(url)
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            sync_reason_catalogue(session)
            load_reference_dir(session, directory / "reference")
            session.commit()
        manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
        for entry in manifest["files"]:
            load_batch(
                entry["feed"],
                directory / entry["path"],
                source_kind="folder",
                source_name="sample",
                engine=engine,
            )
    finally:
        engine.dispose()


BROWSER_USER = "browser-coordinator"
BROWSER_PASSWORD = "browser-tests-long-password"


def ensure_browser_user(database_url: str) -> tuple[str, str]:
    """A coordinator account (every page is open to that role) for the browser to sign in."""
    from app.core.db import make_engine
    from app.security.accounts import create_user, get_by_username
    from app.security.principal import utc_now
    from app.security.roles import Role

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            if get_by_username(session, BROWSER_USER) is None:
                create_user(
                    session,
                    username=BROWSER_USER,
                    role=Role.COORDINATOR,
                    password=BROWSER_PASSWORD,
                    now=utc_now(),
                )
                session.commit()
    finally:
        engine.dispose()
    return BROWSER_USER, BROWSER_PASSWORD


def sign_in(driver: WebDriver, base_url: str, username: str, password: str) -> None:
    """Sign in through the sign-in page, as a person would."""
    driver.get(f"{base_url}/login")
    wait_for(driver, "#username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_until(
        driver,
        lambda d: "/login" not in d.current_url,
        f"signing in as {username} never left the sign-in page",
        detail=lambda: _page_text(driver),
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """``uvicorn --factory app.main:create_app`` on a free local port, logging to a file."""

    def __init__(self, database_url: str, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        env = {
            **os.environ,
            "HOMEWARD_DATABASE_URL": database_url,
            "HOMEWARD_RUN_SCHEDULER": "false",
            "HOMEWARD_SIMULATOR": "false",
            "HOMEWARD_ENVIRONMENT": "demo",
        }
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "app.main:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def wait_until_healthy(self, timeout: float = 90) -> None:
        """Poll ``/api/v1/health`` until it answers 200; raise with the server's output if the
        process exits or ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the server exited ({self.process.returncode}) before answering "
                    f"{self.url}/api/v1/health; its output:\n{self.log()}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/api/v1/health", timeout=2) as reply:
                    if reply.status == 200:
                        return
                    last = f"HTTP {reply.status}"
            except OSError as exc:  # not listening yet: remembered for the message, polled again
                last = repr(exc)
            time.sleep(0.3)  # the poll interval of a loop with a deadline, not a wait for readiness
        raise RuntimeError(
            f"the server did not answer {self.url}/api/v1/health within {timeout:g} s "
            f"(last: {last}); its output:\n{self.log()}"
        )

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()


def chrome_options(user_data_dir: Path, download_dir: Path) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in CHROME_ARGS:
        options.add_argument(argument)
    options.add_argument(f"--user-data-dir={user_data_dir}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(download_dir),
            "download.prompt_for_download": False,
            "safebrowsing.enabled": False,
        },
    )
    return options


@contextmanager
def chromium(user_data_dir: Path, download_dir: Path) -> Iterator[WebDriver]:
    """Headless Chromium at 1920×1080 (the viewport itself, not the window)."""
    driver = webdriver.Chrome(
        options=chrome_options(user_data_dir, download_dir), service=Service(str(CHROMEDRIVER))
    )
    try:
        set_viewport(driver, WIDTH, HEIGHT)
        driver.execute_cdp_cmd(
            "Browser.setDownloadBehavior",
            {"behavior": "allow", "downloadPath": str(download_dir)},
        )
        yield driver
    finally:
        driver.quit()


def set_viewport(driver: WebDriver, width: int, height: int) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
    )


def _page_text(driver: WebDriver, limit: int = 300) -> str:
    """The start of what the page shows, for a failure message."""
    text = driver.execute_script("return document.body ? document.body.innerText : ''") or ""
    return " ".join(str(text).split())[:limit]


def wait_until(
    driver: WebDriver,
    condition: Callable[[WebDriver], Any],
    what: str,
    timeout: float = 30,
    *,
    detail: Callable[[], object] | None = None,
    ignored: tuple[type[Exception], ...] = (),
    poll: float = 0.2,
) -> Any:
    """``condition``'s first truthy value (a ``WebDriverWait``); when it never comes within
    ``timeout`` seconds, fail with ``what`` never happened, the page's address and ``detail()``.

    An element Dash re-drew between finding it and reading it (stale) is looked for again at
    the next poll: a condition is a question about the page, not about one node of it."""
    try:
        return WebDriverWait(
            driver,
            timeout,
            poll_frequency=poll,
            ignored_exceptions=(StaleElementReferenceException, *ignored),
        ).until(condition)
    except TimeoutException as exc:
        found = f"; {detail()}" if detail is not None else ""
        message = f"{what} (waited {timeout:g} s on {driver.current_url}{found})"
        raise TimeoutException(message) from exc


def wait_for(driver: WebDriver, selector: str, timeout: float = 30) -> Any:
    """The first element matching ``selector`` once it is visible."""
    return wait_until(
        driver,
        expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, selector)),
        f"no visible {selector!r}",
        timeout,
        detail=lambda: f"the page shows: {_page_text(driver)!r}",
    )


#: the state "settled" is judged on: the document, Dash's loading markers and callback queue,
#: and the charts (a dcc.Graph is drawn once Plotly has put its SVG in it)
_PAGE_STATE = """
const state = {
  ready: document.readyState,
  loading: document.querySelectorAll("[data-dash-is-loading='true']").length,
  callbacks: 0,
  graphs: 0,
  undrawn: 0,
};
for (const graph of document.querySelectorAll(".dash-graph")) {
  state.graphs += 1;
  state.undrawn += graph.querySelector(".main-svg") ? 0 : 1;
}
const store = window.store;
if (store && store.getState) {
  const queues = Object.assign({}, store.getState().callbacks || {});
  delete queues.stored;
  delete queues.completed;
  for (const queue of Object.values(queues)) {
    state.callbacks += Array.isArray(queue) ? queue.length : 0;
  }
}
return state;
"""


class _Settled:
    """A wait condition: the document has loaded, no Dash callback is queued or running, no
    loading marker shows and every chart is drawn — on two polls in a row, since one
    callback's output can queue the next."""

    def __init__(self) -> None:
        self.state: dict[str, Any] = {}
        self.quiet_polls = 0

    def __call__(self, driver: WebDriver) -> bool:
        self.state = dict(driver.execute_script(_PAGE_STATE))
        quiet = (
            self.state["ready"] == "complete"
            and not self.state["loading"]
            and not self.state["callbacks"]
            and not self.state["undrawn"]
        )
        self.quiet_polls = self.quiet_polls + 1 if quiet else 0
        return self.quiet_polls >= 2


def wait_until_settled(driver: WebDriver, timeout: float = 30) -> None:
    """Until the page is settled (see :class:`_Settled`); fail saying what was still busy."""
    settled = _Settled()
    wait_until(
        driver,
        settled,
        "the page never settled",
        timeout,
        detail=lambda: (
            f"still: {settled.state['callbacks']} Dash callbacks pending, "
            f"{settled.state['loading']} loading markers, "
            f"{settled.state['undrawn']} of {settled.state['graphs']} charts not drawn, "
            f"document {settled.state['ready']}"
        ),
        poll=0.1,
    )


def open_page(driver: WebDriver, url: str, ready: str, timeout: float = 40) -> Any:
    """Load ``url`` and wait until ``ready`` (a CSS selector of the page's content) shows."""
    driver.get(url)
    element = wait_for(driver, ready, timeout)
    wait_until_settled(driver, timeout)
    return element


def severe_console_entries(driver: WebDriver) -> list[str]:
    """Browser console entries at SEVERE since the last call (reading clears the log)."""
    entries = driver.get_log("browser")  # type: ignore[attr-defined]  # Chrome only
    return [entry["message"] for entry in entries if entry["level"] == "SEVERE"]


def dash_errors(driver: WebDriver) -> list[str]:
    """Dash's own error markers in the page (front-end error popups, layout errors)."""
    found = driver.find_elements(By.CSS_SELECTOR, ".dash-fe-error, ._dash-error, .dash-fe-errors")
    return [element.text for element in found]
