"""Who may sign in and what they did: users, sign-in sessions, API tokens, audit events.

Secrets never enter the store in the clear: passwords as argon2 hashes, session ids and API
tokens as SHA-256 digests (they are long random strings, so a fast hash is enough and lets a
request find its row by the digest).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

ROLES = ("wall", "analyst", "coordinator", "admin", "feed")
_ROLE_CHECK = "role IN ('wall','analyst','coordinator','admin','feed')"

# Tables created by the second migration (0002), not the initial one: the script that
# regenerates 0001 from the models leaves them out (see alembic/env.py).
MIGRATION = {"revision": "0002"}


class User(Base):
    """A person who signs in, with a local password or through OpenID Connect."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_ROLE_CHECK, name="role"),
        Index("uq_users_oidc_subject", "oidc_issuer", "oidc_subject", unique=True),
        {"info": MIGRATION},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)  # stored lower case
    display_name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None: OIDC only
    oidc_issuer: Mapped[str | None] = mapped_column(String(400))
    oidc_subject: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    last_login_at: Mapped[datetime | None]
    # Whose patients a coordinator sees (app/domain/scopes.py): system | council:… | trust:… |
    # sites:…, added by migration 0005.
    scope: Mapped[str] = mapped_column(String(400), default="system", server_default="system")


class UserSession(Base):
    """A signed-in browser: the cookie holds a random id, the store only its digest."""

    __tablename__ = "user_sessions"
    __table_args__ = (
        Index("ix_user_sessions_user_id", "user_id"),
        {"info": MIGRATION},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    id_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    api_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="CASCADE")
    )  # a wall kiosk signed in with its token
    auth_method: Mapped[str] = mapped_column(String(16))  # password | oidc | kiosk
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]  # the absolute limit
    revoked_at: Mapped[datetime | None]
    ended_reason: Mapped[str | None] = mapped_column(String(16))  # logout | idle | absolute | …
    client: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A bearer token for a machine client (feed) or a wall kiosk (wall)."""

    __tablename__ = "api_tokens"
    __table_args__ = (CheckConstraint(_ROLE_CHECK, name="role"), {"info": MIGRATION})

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(12))  # "hw_" + 6 characters, to recognise it
    role: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str | None] = mapped_column(String(150))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]


class AuditEvent(Base):
    """One thing somebody did that must be answerable: a patient-level read, a sign-in, …"""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_at", "at"),
        Index("ix_audit_events_actor_at", "actor", "at"),
        {"info": MIGRATION},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(150))  # username, or token:<name>, or the name tried
    role: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))  # patient_read | login | login_failed | …
    what: Mapped[str] = mapped_column(String(400))
    filters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    patients: Mapped[int | None]
    client: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)
