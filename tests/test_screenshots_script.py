"""scripts/screenshots.py adds no account to a store it did not make unless told, and its
account has a random password and is deactivated afterwards."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.security.accounts import authenticate
from models import User

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "screenshots.py"


@pytest.fixture(scope="module")
def screenshots() -> ModuleType:
    spec = importlib.util.spec_from_file_location("homeward_screenshots", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _users(session: Session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(User)) or 0


def test_pointed_at_a_store_it_refuses_without_the_flag(
    screenshots: ModuleType,
    engine: Engine,
    session: Session,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "argv", ["screenshots.py", "--database-url", database_url])
    with pytest.raises(SystemExit, match="--allow-account"):
        screenshots.main()
    assert _users(session) == 0  # nothing was added
    with pytest.raises(SystemExit):
        screenshots.screenshot_account(database_url, own_store=False, allowed=False)
    assert _users(session) == 0


def test_with_the_flag_a_random_password_and_deactivated_afterwards(
    screenshots: ModuleType, engine: Engine, session: Session, database_url: str
) -> None:
    first = screenshots.screenshot_account(database_url, own_store=False, allowed=True)
    second = screenshots.screenshot_account(database_url, own_store=False, allowed=True)
    assert first[0] != second[0] and first[1] != second[1]  # random names and passwords
    assert all(name.startswith("screenshots-") for name, _ in (first, second))
    assert len(first[1]) >= 24
    assert authenticate(session, *first) is not None  # it signs in with that password
    screenshots.retire_account(database_url, first[0])
    session.expire_all()
    assert authenticate(session, *first) is None  # deactivated
    user = session.scalars(select(User).where(User.username == first[0])).one()
    assert user.role == "coordinator" and user.is_active is False


def test_its_own_store_needs_no_flag(
    screenshots: ModuleType, engine: Engine, session: Session, database_url: str
) -> None:
    username, _password = screenshots.screenshot_account(
        database_url, own_store=True, allowed=False
    )
    assert _users(session) == 1 and username.startswith("screenshots-")
