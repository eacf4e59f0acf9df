"""Browser test fixtures: one sample database, one live server and one Chromium per session.

The database is built from the committed small sample through the real ingest path; the
server is ``uvicorn app.main:create_app`` in a subprocess; the browser is the machine's
Chromium (``/usr/bin/chromium``), never downloaded. Each test fails on a SEVERE browser
console entry, a Dash error marker, or a traceback in the server log.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.core.db import make_engine, reset_caches
from tests.browser import support


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    directory = support.sample_dir()
    if not (directory / "manifest.json").exists():
        pytest.fail(f"the committed sample is missing: {directory}/manifest.json")
    return directory


@pytest.fixture(scope="session")
def sample_at(sample_dir: Path) -> datetime:
    """The moment every page is viewed at: the last minute of the sample's history."""
    return support.sample_moment(sample_dir)


@pytest.fixture(scope="session")
def sample_database_url(
    sample_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A SQLite store holding the sample, also made this process's database.

    ``HOMEWARD_BROWSER_DATABASE_URL`` names a store already holding the sample (to iterate
    on the pages without reloading it).
    """
    url = os.environ.get("HOMEWARD_BROWSER_DATABASE_URL") or ""
    if not url:
        url = f"sqlite:///{tmp_path_factory.mktemp('browser-db') / 'homeward.db'}"
        support.build_sample_database(url, sample_dir)
    previous = os.environ.get("HOMEWARD_DATABASE_URL")
    os.environ["HOMEWARD_DATABASE_URL"] = url
    reset_caches()
    yield url
    if previous is None:
        os.environ.pop("HOMEWARD_DATABASE_URL", None)
    else:
        os.environ["HOMEWARD_DATABASE_URL"] = previous
    reset_caches()


@pytest.fixture(scope="session")
def sample_engine(sample_database_url: str) -> Iterator[Engine]:
    engine = make_engine(sample_database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sample_session(sample_engine: Engine) -> Iterator[Session]:
    """A session on the sample store, to compute what the pages should show."""
    with Session(sample_engine) as session:
        yield session


@pytest.fixture(scope="session")
def live_server(
    sample_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[support.LiveServer]:
    server = support.LiveServer(
        sample_database_url, tmp_path_factory.mktemp("server") / "uvicorn.log"
    )
    try:
        server.wait_until_healthy()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def base_url(live_server: support.LiveServer) -> str:
    return live_server.url


@pytest.fixture(scope="session")
def download_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="session")
def _chromium(
    tmp_path_factory: pytest.TempPathFactory,
    download_dir: Path,
    sample_database_url: str,
    base_url: str,
) -> Iterator[WebDriver]:
    """The session's browser, signed in as a coordinator (the role that may open every page)."""
    if not support.CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {support.CHROMIUM} (CI installs it)")
    username, password = support.ensure_browser_user(sample_database_url)
    with support.chromium(tmp_path_factory.mktemp("chromium-profile"), download_dir) as driver:
        support.sign_in(driver, base_url, username, password)
        yield driver


@pytest.fixture
def browser(_chromium: WebDriver, live_server: support.LiveServer) -> Iterator[WebDriver]:
    """The session's Chromium at 1920×1080; the test fails on console, Dash or server errors."""
    support.set_viewport(_chromium, support.WIDTH, support.HEIGHT)
    support.severe_console_entries(_chromium)  # forget what earlier tests left
    log_before = len(live_server.log())
    yield _chromium
    severe = support.severe_console_entries(_chromium)
    errors = support.dash_errors(_chromium)
    server_log = live_server.log()[log_before:]
    assert not severe, f"browser console errors: {severe}"
    assert not errors, f"Dash errors on the page: {errors}"
    assert "Traceback" not in server_log, f"server errors:\n{server_log}"
