"""The pages in headless Chromium (the machine's own browser, never a downloaded one): time
until the wall's tiles carry numbers, and until the coordinator's list answers a filter."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
TIMEOUT = 60.0
NUMBER = re.compile(r"\d")


def unavailable() -> str | None:
    """Why the browser measures cannot run here, or None."""
    if not CHROMIUM.exists() or not CHROMEDRIVER.exists():
        return "Chromium or chromedriver is not installed at /usr/bin"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed"
    return None


@contextmanager
def chromium() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1920,1080",
        "--disable-extensions",
        "--no-first-run",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


@dataclass
class PageTimes:
    seconds: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _wait(condition: Any, timeout: float = TIMEOUT) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise TimeoutError(f"not rendered within {timeout:.0f} s")


WALL_READY = """
const values = document.querySelectorAll('[id*="wall-value"]');
if (values.length < 5) return false;
let numbers = 0;
for (const v of values) { if (/\\d/.test(v.textContent)) numbers += 1; }
const body = document.getElementById('wall-capacity-body');
const loading = document.querySelector('[data-dash-is-loading="true"]');
return numbers >= 5 && body !== null && body.children.length > 0 && loading === null;
"""

COUNT_TEXT = """
const el = document.getElementById('coordinator-count');
const loading = document.querySelector('[data-dash-is-loading="true"]');
return el && loading === null ? el.textContent : null;
"""


def sign_in(driver: Any, base: str) -> None:
    """Give the browser the harness's session cookie (signed in over HTTP first)."""
    import httpx

    from bench import auth

    with httpx.Client(base_url=base, timeout=60) as client:
        response = client.post(
            auth.LOGIN, json={"username": auth.USERNAME, "password": auth.PASSWORD}
        )
        if response.status_code == 404:
            return
        response.raise_for_status()
        cookies = list(client.cookies.jar)
    driver.get(f"{base}/api/v1/health")
    for cookie in cookies:
        driver.add_cookie({"name": cookie.name, "value": cookie.value or "", "path": "/"})


def wall_times(driver: Any, base: str, at: datetime, loads: int) -> PageTimes:
    """Load /wall ``loads`` times (after one warm-up): seconds to tiles with numbers."""
    url = f"{base}/wall?{urlencode({'at': at.isoformat()})}"
    times = PageTimes()
    for attempt in range(loads + 1):
        driver.get("about:blank")
        started = time.perf_counter()
        try:
            driver.get(url)
            _wait(lambda: driver.execute_script(WALL_READY))
        except Exception as exc:
            times.errors.append(f"{type(exc).__name__}: {exc}"[:300])
            continue
        if attempt:  # the first load warms the browser's and the server's caches
            times.seconds.append(time.perf_counter() - started)
    return times


def coordinator_times(
    driver: Any, base: str, at: datetime, changes: int
) -> tuple[PageTimes, PageTimes]:
    """Load /coordinator, then change the site filter ``changes`` times: seconds to the
    first list, and seconds from each change to the list answering it."""
    from selenium.webdriver.support.ui import Select

    load, change = PageTimes(), PageTimes()
    url = f"{base}/coordinator?{urlencode({'at': at.isoformat()})}"
    try:
        driver.get("about:blank")
        started = time.perf_counter()
        driver.get(url)
        _wait(lambda: NUMBER.search(driver.execute_script(COUNT_TEXT) or "") is not None)
        load.seconds.append(time.perf_counter() - started)
        select = Select(driver.find_element("id", "filter-site"))
        enabled = [o.get_attribute("value") for o in select.options if o.is_enabled()]
        current = select.first_selected_option.get_attribute("value")
        sites = [v for v in enabled if v not in ("", "all", current)]
        # back to the whole system between two sites (or on to another site)
        back = "all" if "all" in enabled else current if current in enabled else None
        if not sites:
            raise RuntimeError("the site filter offers no site")
        for i in range(changes + 1):
            before = driver.execute_script(COUNT_TEXT)
            if i % 2 == 0 or back is None:
                value = sites[(i // 2 if back else i) % len(sites)]
            else:
                value = back
            started = time.perf_counter()
            Select(driver.find_element("id", "filter-site")).select_by_value(value)
            _wait(lambda b=before: (driver.execute_script(COUNT_TEXT) or b) != b)
            if i:
                change.seconds.append(time.perf_counter() - started)
    except Exception as exc:
        change.errors.append(f"{type(exc).__name__}: {exc}"[:300])
    return load, change
