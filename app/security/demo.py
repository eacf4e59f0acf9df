"""Demo accounts: one per role with a fixed password, and a wall kiosk token (demo only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.security.accounts import create_user, get_by_username
from app.security.passwords import hash_password
from app.security.principal import utc_now
from app.security.roles import Role
from app.security.tokens import create_api_token, revoke_api_token
from models.security import ApiToken

DEMO_USERS = (
    ("wall", Role.WALL, "wall-demo"),
    ("analyst", Role.ANALYST, "analyst-demo"),
    ("coordinator", Role.COORDINATOR, "coordinator-demo"),
    ("admin", Role.ADMIN, "admin-demo"),
)
KIOSK_TOKEN_NAME = "demo wall kiosk"


class NotInDemo(RuntimeError):
    """Demo accounts exist only in demo mode: their passwords are public."""


def _demo_only() -> None:
    if get_settings().environment != "demo":
        raise NotInDemo("demo accounts are refused outside HOMEWARD_ENVIRONMENT=demo")


def create_demo_users(session: Session) -> list[tuple[str, str, str]]:
    """Make (or reset) the demo accounts; returns (username, role, password) to print."""
    _demo_only()
    now = utc_now()
    made = []
    for username, role, password in DEMO_USERS:
        user = get_by_username(session, username)
        if user is None:
            create_user(session, username=username, role=role, password=password, now=now)
        else:
            user.role, user.is_active = role.value, True
            user.password_hash = hash_password(password)
            session.commit()
        made.append((username, role.value, password))
    return made


def create_demo_kiosk_token(session: Session) -> str:
    """A fresh wall token for the demo kiosk (any previous one is revoked); shown once."""
    _demo_only()
    now = utc_now()
    old = session.scalar(select(ApiToken).where(ApiToken.name == KIOSK_TOKEN_NAME))
    if old is not None:
        revoke_api_token(session, old.id, now=now)
        old.name = f"{KIOSK_TOKEN_NAME} (replaced {now:%Y%m%d%H%M%S})"
        session.commit()
    _token, plaintext = create_api_token(session, name=KIOSK_TOKEN_NAME, role=Role.WALL, now=now)
    return plaintext
