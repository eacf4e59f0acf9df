"""Local accounts: create, authenticate, change role, deactivate (the queries in one place)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.scopes import SYSTEM, Scope
from app.security.passwords import hash_password, needs_rehash, verify_password
from app.security.roles import Role
from app.security.sessions import revoke_user_sessions
from models.security import User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,149}$")


class AccountError(ValueError):
    """A request about an account that cannot be met (name taken, bad name, …)."""


def normalise_username(username: str) -> str:
    return username.strip().lower()


def get_by_username(db: Session, username: str) -> User | None:
    return db.scalar(select(User).where(User.username == normalise_username(username)))


def create_user(
    db: Session,
    *,
    username: str,
    role: Role | str,
    now: datetime,
    password: str | None = None,
    display_name: str | None = None,
    scope: Scope = SYSTEM,
) -> User:
    """A new active user; ``password`` None makes an account that signs in only through OIDC.

    ``scope`` limits whose patients a coordinator sees (app.domain.scopes)."""
    name = normalise_username(username)
    if not USERNAME.match(name):
        raise AccountError(
            "a username is 2–150 characters: letters, digits, and . _ @ - (not first)"
        )
    if get_by_username(db, name) is not None:
        raise AccountError(f"the username {name!r} is taken")
    user = User(
        username=name,
        display_name=display_name,
        role=Role(role).value,
        password_hash=hash_password(password) if password is not None else None,
        is_active=True,
        created_at=now,
        scope=str(scope),
    )
    db.add(user)
    db.commit()
    return user


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user with this username and password, or None (same time either way)."""
    user = get_by_username(db, username)
    if user is None or not user.is_active:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        db.commit()
    return user


def update_user(
    db: Session,
    user: User,
    *,
    now: datetime,
    role: Role | str | None = None,
    is_active: bool | None = None,
    password: str | None = None,
    display_name: str | None = None,
    scope: Scope | None = None,
) -> User:
    """Change a user; a new role or scope, a deactivation or a new password ends their
    sessions (a session carries the role and scope it was opened with)."""
    end_sessions: str | None = None
    if role is not None and Role(role).value != user.role:
        user.role = Role(role).value
        end_sessions = "role_changed"
    if scope is not None and str(scope) != user.scope:
        user.scope = str(scope)
        end_sessions = end_sessions or "scope_changed"
    if is_active is not None and is_active != user.is_active:
        user.is_active = is_active
        if not is_active:
            end_sessions = "deactivated"
    if password is not None:
        user.password_hash = hash_password(password)
        end_sessions = end_sessions or "password"
    if display_name is not None:
        user.display_name = display_name
    db.commit()
    if end_sessions:
        revoke_user_sessions(db, user.id, now=now, reason=end_sessions)
    return user


def get_user(db: Session, user_id: int) -> User | None:
    """The user with this id, or None."""
    return db.get(User, user_id)


def list_users(db: Session) -> list[User]:
    return list(db.scalars(select(User).order_by(User.username)).all())


def oidc_user(
    db: Session,
    *,
    issuer: str,
    subject: str,
    username: str,
    display_name: str | None,
    role: Role,
    now: datetime,
) -> User:
    """The user of an OIDC identity, created at first sign-in; the role comes from the
    identity provider's claims at every sign-in (it is the source of truth)."""
    user = db.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == subject))
    if user is None:
        name = normalise_username(username)
        if not USERNAME.match(name) or get_by_username(db, name) is not None:
            name = re.sub(r"[^a-z0-9._@-]", "-", f"oidc-{subject}".lower())[:150]
        user = User(
            username=name,
            display_name=display_name,
            role=role.value,
            password_hash=None,
            oidc_issuer=issuer,
            oidc_subject=subject,
            is_active=True,
            created_at=now,
        )
        db.add(user)
    else:
        user.role = role.value
        if display_name:
            user.display_name = display_name
    db.commit()
    return user
