"""Random secrets and their digests: API tokens (``hw_…``) and session ids.

Both are 256-bit random strings, so SHA-256 is enough to store them: nobody can guess a
token from its digest, and a request finds its row by the digest of what it presents.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.security.principal import Principal
from app.security.roles import TOKEN_ROLES, Role
from models.security import ApiToken

TOKEN_PREFIX = "hw_"
LAST_USED_RESOLUTION_SECONDS = 60


def new_secret() -> str:
    """43 URL-safe characters of cryptographic randomness (256 bits)."""
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """The SHA-256 (hex) of a token or session id: what the store keeps."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_token() -> str:
    return TOKEN_PREFIX + new_secret()


class TokenError(ValueError):
    """A token request that cannot be met (unknown role, name taken, …)."""


def create_api_token(
    session: Session,
    *,
    name: str,
    role: Role | str,
    now: datetime,
    expires_at: datetime | None = None,
    created_by: str | None = None,
) -> tuple[ApiToken, str]:
    """Store a new token and return it with its plaintext, which is shown once and never kept."""
    role = Role(role)
    if role not in TOKEN_ROLES:
        allowed = ", ".join(sorted(TOKEN_ROLES))
        raise TokenError(f"an API token may have the role {allowed}; {role} is for named people")
    if expires_at is not None and expires_at <= now:
        raise TokenError("the expiry must be in the future")
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenError(f"a token named {name!r} exists already")
    plaintext = new_api_token()
    token = ApiToken(
        name=name,
        token_hash=digest(plaintext),
        token_prefix=plaintext[:9],
        role=role.value,
        created_by=created_by,
        created_at=now,
        expires_at=expires_at,
    )
    session.add(token)
    session.commit()
    return token, plaintext


def token_is_valid(token: ApiToken, now: datetime) -> bool:
    if token.revoked_at is not None:
        return False
    return token.expires_at is None or now < token.expires_at


def resolve_bearer(session: Session, presented: str, *, now: datetime) -> Principal | None:
    """The principal of a bearer token, or None when it is unknown, revoked or expired."""
    if not presented.startswith(TOKEN_PREFIX):
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(presented)))
    if token is None or not token_is_valid(token, now):
        return None
    last = token.last_used_at
    if last is None or (now - last).total_seconds() >= LAST_USED_RESOLUTION_SECONDS:
        token.last_used_at = now
        session.commit()
    return Principal(
        name=f"token:{token.name}", role=Role(token.role), via="bearer", token_id=token.id
    )


def list_api_tokens(session: Session) -> list[ApiToken]:
    """Every API token, by name."""
    return list(session.scalars(select(ApiToken).order_by(ApiToken.name)).all())


def revoke_api_token(session: Session, token_id: int, *, now: datetime) -> ApiToken | None:
    """Revoke a token (and so every kiosk session opened with it)."""
    token = session.get(ApiToken, token_id)
    if token is None:
        return None
    if token.revoked_at is None:
        token.revoked_at = now
        session.commit()
    return token
