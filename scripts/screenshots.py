"""Save a 1920×1080 screenshot of every page to docs/screenshots/ (the committed sample, viewed
in the last minute of its history, in the machine's headless Chromium).

    .venv/bin/python scripts/screenshots.py [--out DIR]
    .venv/bin/python scripts/screenshots.py --database-url URL --now --allow-account [--out DIR]

Without ``--database-url`` the sample is loaded into a temporary SQLite store this script
makes and deletes. To sign in, the script needs a coordinator account: in its own throwaway
store it makes one; in a store it is pointed at (``--database-url``) it refuses unless
``--allow-account`` says it may add one there. Either way the account has a random password,
is never printed, and is deactivated when the screenshots are taken.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
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
        ("hicm.png", f"/hicm?{query}", "#hicm-changes"),
    ]


ACCOUNT_PREFIX = "screenshots-"


class Refused(SystemExit):
    """The script will not add an account to a store it did not make."""


def screenshot_account(database_url: str, *, own_store: bool, allowed: bool) -> tuple[str, str]:
    """A coordinator account with a random password, in ``database_url``: always in a store
    this script made, in any other only when ``allowed`` (``--allow-account``)."""
    if not own_store and not allowed:
        raise Refused(
            "screenshots.py signs in with a coordinator account it adds to the store. It made "
            "no such account in a store it did not make itself: pass --allow-account to add "
            "one (random password, deactivated afterwards) to the store at --database-url."
        )
    from app.security.accounts import create_user
    from app.security.principal import utc_now
    from app.security.roles import Role

    username = ACCOUNT_PREFIX + secrets.token_hex(4)
    password = secrets.token_urlsafe(24)
    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            create_user(
                session,
                username=username,
                role=Role.COORDINATOR,
                password=password,
                now=utc_now(),
                display_name="Screenshot script (deactivated after use)",
            )
            session.commit()
    finally:
        engine.dispose()
    return username, password


def retire_account(database_url: str, username: str) -> None:
    """Deactivate the script's account (its sessions end with it)."""
    from app.security.accounts import get_by_username, update_user
    from app.security.principal import utc_now

    engine = make_engine(database_url)
    try:
        with Session(engine) as session:
            user = get_by_username(session, username)
            if user is not None:
                update_user(session, user, now=utc_now(), is_active=False)
                session.commit()
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", help="a store already holding the sample")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--now", action="store_true", help="view a live store (make run's) as of now"
    )
    parser.add_argument(
        "--allow-account",
        action="store_true",
        help="let the script add a coordinator account (random password, deactivated "
        "afterwards) to the store at --database-url",
    )
    args = parser.parse_args()
    sample = support.sample_dir()
    work = Path(tempfile.mkdtemp(prefix="homeward-screenshots-"))
    own_store = not args.database_url
    url = args.database_url or f"sqlite:///{work / 'homeward.db'}"
    try:
        username, password = _store_and_account(url, sample, own_store, args)
        try:
            _take(url, sample, work, args, username, password)
        finally:
            if not own_store:
                retire_account(url, username)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _store_and_account(
    url: str, sample: Path, own_store: bool, args: argparse.Namespace
) -> tuple[str, str]:
    """The sample loaded into the script's own store (when it makes one), and the account."""
    if own_store:
        print(f"loading the sample from {sample} …", flush=True)
        support.build_sample_database(url, sample)
    return screenshot_account(url, own_store=own_store, allowed=args.allow_account)


def _weekly_meeting(url: str) -> int:
    """Today's weekly system meeting, started in the script's own store (its agenda is
    built from the data when the page draws it)."""
    from app.actions import meetings
    from app.actions.meeting_schemas import MeetingCreate
    from app.actions.schemas import Actor

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            chair = Actor(name="screenshots", role="coordinator")
            return meetings.start_meeting(
                session, MeetingCreate(kind="weekly", chair="System flow lead"), chair
            ).id
    finally:
        engine.dispose()


def _take(
    url: str,
    sample: Path,
    work: Path,
    args: argparse.Namespace,
    username: str,
    password: str,
) -> None:
    if args.now:
        from datetime import UTC, datetime

        at = datetime.now(UTC).isoformat(timespec="seconds")
    else:
        at = support.sample_moment(sample).isoformat()
    pages = _pages(url, at, live=args.now)
    if not args.database_url:  # only in the script's own store: a meeting to show
        meeting = f"/meeting?meeting={_weekly_meeting(url)}&" + (
            "live=1" if args.now else "at=" + quote(at)
        )
        pages.append(("meeting.png", meeting, "#mtg-minutes"))
    server = support.LiveServer(url, work / "uvicorn.log")
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        server.wait_until_healthy()
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
