"""Server-side sign-in sessions: a random id in an HttpOnly cookie, its digest in the store.

A session ends after ``session_idle_minutes`` without a request (default 30), after
``session_absolute_hours`` whatever happens (default 12), on sign-out, or when its user is
deactivated or changes role. A wall kiosk's session (opened with a wall token) lasts up to
``kiosk_session_days`` and ends when its token is revoked or expires.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.core.config import Settings
from app.domain.scopes import Scope, ScopeError, parse_scope
from app.security.principal import Principal
from app.security.roles import Role
from app.security.tokens import digest, new_secret
from models.security import ApiToken, User, UserSession

DEMO_COOKIE = "hw_session"
# The __Host- prefix makes the browser insist on Secure, Path=/ and no Domain: no other host
# (a sibling subdomain) can set or overwrite the cookie.
PRODUCTION_COOKIE = "__Host-hw_session"
LAST_SEEN_RESOLUTION = timedelta(seconds=60)  # write at most once a minute per session…
# …and at most a quarter of the idle timeout apart, so that with the shortest timeout allowed
# (1 minute) a session used every few seconds is never found idle.
IDLE_FRACTION = 4

AuthMethod = Literal["password", "oidc", "kiosk"]


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta
    kiosk_absolute: timedelta
    secure_cookie: bool
    cookie_name: str

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        production = settings.environment == "production"
        return cls(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_absolute_hours),
            kiosk_absolute=timedelta(days=settings.kiosk_session_days),
            secure_cookie=production,
            cookie_name=PRODUCTION_COOKIE if production else DEMO_COOKIE,
        )


def create_session(
    db: Session,
    *,
    now: datetime,
    policy: SessionPolicy,
    method: AuthMethod,
    user: User | None = None,
    token: ApiToken | None = None,
    client: str | None = None,
) -> tuple[UserSession, str]:
    """Open a session for a user (or a kiosk token); returns it and the id for the cookie."""
    if (user is None) == (token is None):
        raise ValueError("a session belongs to a user or to a kiosk token")
    raw_id = new_secret()
    expires_at = now + policy.absolute
    if token is not None:
        expires_at = now + policy.kiosk_absolute
        if token.expires_at is not None:
            expires_at = min(expires_at, token.expires_at)
    row = UserSession(
        id_hash=digest(raw_id),
        user_id=user.id if user else None,
        api_token_id=token.id if token else None,
        auth_method=method,
        created_at=now,
        last_seen_at=now,
        expires_at=expires_at,
        client=(client or "")[:64] or None,
    )
    db.add(row)
    if user is not None:
        user.last_login_at = now
    db.commit()
    return row, raw_id


# Built once: this runs on every signed-in request.
_SESSION_LOOKUP = (
    select(
        UserSession.id,
        UserSession.user_id,
        UserSession.api_token_id,
        UserSession.last_seen_at,
        UserSession.expires_at,
        UserSession.revoked_at,
        User.id,
        User.username,
        User.role,
        User.is_active,
        User.scope,
        ApiToken.id,
        ApiToken.name,
        ApiToken.role,
        ApiToken.revoked_at,
        ApiToken.expires_at,
    )
    .select_from(UserSession)
    .outerjoin(User, User.id == UserSession.user_id)
    .outerjoin(ApiToken, ApiToken.id == UserSession.api_token_id)
    .where(UserSession.id_hash == bindparam("id_hash"))
)


def resolve_session(
    db: Session, raw_id: str, *, now: datetime, policy: SessionPolicy
) -> Principal | None:
    """The principal of a live session, or None (an ended session is marked so in the store).

    One query reads the session with its user or kiosk token (this runs on every signed-in
    request); a write happens only when the session ends or, at most once a minute, to
    move its idle clock on (``LAST_SEEN_RESOLUTION``).
    """
    row = db.connection().execute(_SESSION_LOOKUP, {"id_hash": digest(raw_id)}).one_or_none()
    if row is None:
        return None
    (
        session_id,
        user_id,
        token_id,
        last_seen_at,
        expires_at,
        revoked_at,
        found_user_id,
        username,
        user_role,
        user_active,
        user_scope,
        found_token_id,
        token_name,
        token_role,
        token_revoked_at,
        token_expires_at,
    ) = row
    if revoked_at is not None:
        return None
    ended = _ended_reason(expires_at, last_seen_at, now, policy)
    principal: Principal | None = None
    if ended is None and user_id is not None:
        scope = _scope_or_none(user_scope)
        if found_user_id is None or not user_active:
            ended = "deactivated"
        elif scope is None:  # an unreadable scope must not widen to the whole system
            ended = "scope"
        else:
            principal = Principal(
                name=username,
                role=Role(user_role),
                via="session",
                user_id=user_id,
                session_id=session_id,
                session_expires_at=expires_at,
                scope=scope,
            )
    elif ended is None:
        live_token = (
            token_id is not None
            and found_token_id is not None
            and token_revoked_at is None
            and (token_expires_at is None or now < token_expires_at)
        )
        if not live_token:
            ended = "token"
        else:
            principal = Principal(
                name=f"token:{token_name}",
                role=Role(token_role),
                via="session",
                token_id=token_id,
                session_id=session_id,
                session_expires_at=expires_at,
            )
    if ended is not None:
        db.execute(
            update(UserSession)
            .where(UserSession.id == session_id)
            .values(revoked_at=now, ended_reason=ended)
        )
        db.commit()
        return None
    resolution = last_seen_resolution(policy)
    if now - last_seen_at >= resolution and _first_to_touch(raw_id, now, resolution):
        db.execute(update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now))
        db.commit()
    return principal


_touched: dict[str, datetime] = {}  # session id digest → when this process last wrote it
_touched_lock = threading.Lock()


def last_seen_resolution(policy: SessionPolicy) -> timedelta:
    """How stale ``last_seen_at`` may be: a minute, or a quarter of the idle timeout if less."""
    return min(LAST_SEEN_RESOLUTION, policy.idle / IDLE_FRACTION)


def _scope_or_none(text: str | None) -> Scope | None:
    try:
        return parse_scope(text)
    except ScopeError:
        return None


def _first_to_touch(raw_id: str, now: datetime, resolution: timedelta) -> bool:
    """Whether this request should write the session's ``last_seen_at``: not when another
    request of this process did within ``resolution`` (concurrent requests of one browser
    would otherwise all write at the same moment)."""
    key = digest(raw_id)
    with _touched_lock:
        previous = _touched.get(key)
        if previous is not None and timedelta(0) <= now - previous < resolution:
            return False
        if len(_touched) >= 10_000:
            _touched.clear()
        _touched[key] = now
        return True


def _ended_reason(
    expires_at: datetime, last_seen_at: datetime, now: datetime, policy: SessionPolicy
) -> str | None:
    if now >= expires_at:
        return "absolute"
    if now - last_seen_at >= policy.idle:
        return "idle"
    return None


def revoke_session(db: Session, raw_id: str, *, now: datetime, reason: str = "logout") -> bool:
    """End the session whose cookie holds ``raw_id``; True if one was live."""
    row = db.scalar(select(UserSession).where(UserSession.id_hash == digest(raw_id)))
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    row.ended_reason = reason
    db.commit()
    return True


def revoke_user_sessions(db: Session, user_id: int, *, now: datetime, reason: str) -> int:
    """End every live session of a user (deactivated, role changed, password reset)."""
    result = db.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now, ended_reason=reason)
    )
    db.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def set_session_cookie(
    response: Response, raw_id: str, policy: SessionPolicy, *, max_age: int | None = None
) -> None:
    """The cookie: HttpOnly, SameSite=Lax, Secure in production; gone with the browser unless
    ``max_age`` is given (a kiosk, whose browser restarts unattended)."""
    response.set_cookie(
        policy.cookie_name,
        raw_id,
        max_age=max_age,
        path="/",
        secure=policy.secure_cookie,
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, policy: SessionPolicy) -> None:
    response.delete_cookie(
        policy.cookie_name, path="/", secure=policy.secure_cookie, httponly=True, samesite="lax"
    )
