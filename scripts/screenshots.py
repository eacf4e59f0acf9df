"""Save a 1920×1080 screenshot of every page to docs/screenshots/ (the committed sample, viewed
in the last minute of its history, in the machine's headless Chromium).

    .venv/bin/python scripts/screenshots.py [--database-url URL] [--out DIR]

Without ``--database-url`` the sample is loaded into a temporary SQLite store first.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.orm import Session  # noqa: E402

from app.core.db import make_engine  # noqa: E402
from app.metrics import flow, patient_level  # noqa: E402
from tests.browser import support  # noqa: E402


def _pages(database_url: str, at: str, live: bool = False) -> list[tuple[str, str, str]]:
    """(file name, address, CSS selector that shows the page is ready)."""
    from datetime import datetime

    moment = datetime.fromisoformat(at)
    engine = make_engine(database_url)
    with Session(engine) as session:
        summary = flow.summary(session, at=moment)
        site = next(s for s in summary.sites if s.kind == "acute")
        p3 = patient_level.delayed(session, at=moment, pathway=3).patients
        everyone = patient_level.delayed(session, at=moment).patients
    engine.dispose()
    patient = (p3 or everyone)[0]
    query = "live=1" if live else "at=" + quote(at)  # a live store is shown as of now
    return [
        ("overview.png", f"/?{query}", "#sites-grid"),
        ("site.png", f"/site/{site.site_code}?{query}", "#wards-grid"),
        (
            "ward.png",
            f"/site/{patient.site}/ward/{patient.ward}?{query}",
            "#ward-patients",
        ),
        ("wall.png", f"/wall?{query}", ".wall-sites"),
        ("wall-kiosk.png", f"/wall?kiosk=1&{query}", ".wall-sites"),
        ("coordinator.png", f"/coordinator?pathway=3&{query}", "#coordinator-grid"),
        ("patient.png", f"/patient/{patient.spell_id}", "#journey-timeline"),
        ("weekly.png", "/reports/weekly", ".spc-panel .main-svg"),
        ("forecast.png", f"/forecast?{query}", ".fc-pathway .main-svg"),
        ("feeds.png", "/feeds", "#runs-table"),
        ("metrics.png", "/about/metrics", "#nctr_remaining"),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="a store already holding the sample")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--now", action="store_true", help="view a live store (make run's) as of now"
    )
    args = parser.parse_args()
    sample = support.sample_dir()
    work = Path(tempfile.mkdtemp(prefix="homeward-screenshots-"))
    url = args.database_url or f"sqlite:///{work / 'homeward.db'}"
    if not args.database_url:
        print(f"loading the sample from {sample} …", flush=True)
        support.build_sample_database(url, sample)
    if args.now:
        from datetime import UTC, datetime

        at = datetime.now(UTC).isoformat(timespec="seconds")
    else:
        at = support.sample_moment(sample).isoformat()
    pages = _pages(url, at, live=args.now)
    server = support.LiveServer(url, work / "uvicorn.log")
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        server.wait_until_healthy()
        username, password = support.ensure_browser_user(url)
        with support.chromium(work / "profile", work / "downloads") as driver:
            support.sign_in(driver, server.url, username, password)
            for name, address, ready in pages:
                support.open_page(driver, server.url + address, ready, timeout=60)
                time.sleep(1.5)  # let charts finish drawing
                driver.save_screenshot(str(args.out / name))
                errors = support.severe_console_entries(driver) + support.dash_errors(driver)
                print(f"{name:18} {address}" + (f"  ERRORS: {errors}" if errors else ""))
    finally:
        server.stop()


if __name__ == "__main__":
    main()
