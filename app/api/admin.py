"""Administration: users, API tokens and the audit trail (admins only; every change audited)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.api.deps import SessionDep
from app.api.security_deps import get_clock, require_roles
from app.core.config import get_settings
from app.domain.scopes import Scope, ScopeError, parse_scope
from app.security import audit
from app.security.accounts import AccountError, create_user, get_user, list_users, update_user
from app.security.passwords import check_policy
from app.security.principal import Principal
from app.security.roles import Role
from app.security.tokens import (
    TokenError,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
)
from models.security import ApiToken, User

AdminDep = Annotated[Principal, Depends(require_roles(Role.ADMIN))]
router = APIRouter(prefix="/admin", tags=["admin"])


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    display_name: str | None
    role: Role
    is_active: bool
    signs_in_with: str
    scope: str = Field(description="whose patients a coordinator sees: system, council:…, …")
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=Role(user.role),
            is_active=user.is_active,
            signs_in_with="oidc" if user.oidc_subject else "password",
            scope=user.scope,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=150)
    role: Role
    password: str | None = Field(default=None, max_length=1000)
    display_name: str | None = Field(default=None, max_length=200)
    scope: str = Field(
        default="system",
        max_length=400,
        description="system, council:CODE, trust:CODE or sites:CODE,CODE",
    )

    @field_validator("scope")
    @classmethod
    def _readable_scope(cls, value: str | None) -> str | None:
        return _valid_scope(value)


class UserUpdate(BaseModel):
    role: Role | None = None
    is_active: bool | None = None
    password: str | None = Field(default=None, max_length=1000)
    display_name: str | None = Field(default=None, max_length=200)
    scope: str | None = Field(
        default=None,
        max_length=400,
        description="system, council:CODE, trust:CODE or sites:CODE,CODE",
    )

    @field_validator("scope")
    @classmethod
    def _readable_scope(cls, value: str | None) -> str | None:
        return _valid_scope(value)


def _valid_scope(value: str | None) -> str | None:
    """The scope written as the store keeps it; a scope that cannot be read is a 422."""
    if value is None:
        return None
    try:
        return str(parse_scope(value))
    except ScopeError as exc:
        raise ValueError(str(exc)) from None


def _scope_of(value: str | None) -> Scope | None:
    return parse_scope(value) if value is not None else None


class TokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    token_prefix: str
    role: Role
    created_by: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreate(BaseModel):
    name: str = Field(min_length=2, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
    role: Role
    expires_at: datetime | None = Field(
        None, description="when it stops working; default: HOMEWARD_TOKEN_EXPIRY_DAYS from now"
    )
    never_expires: bool = Field(False, description="a token without an expiry (not advised)")


class TokenCreated(TokenOut):
    token: str = Field(description="The token itself: shown this once, never stored")


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    role: str | None
    action: str
    what: str
    filters: dict[str, Any] | None
    patients: int | None
    client: str | None
    detail: str | None


class AuditPage(BaseModel):
    total: int
    events: list[AuditEventOut]


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


def _note(request: Request, db: SessionDep, admin: Principal, action: str, what: str) -> None:
    audit.record_event(
        db,
        actor=admin.name,
        role=admin.role.value,
        action=action,
        what=what,
        client=_client(request),
        now=get_clock(request)(),
    )


@router.get("/users", response_model=list[UserOut], operation_id="admin_list_users")
def users(db: SessionDep, _admin: AdminDep) -> list[UserOut]:
    """Every user, with role and whether they may sign in."""
    return [UserOut.of(user) for user in list_users(db)]


@router.post("/users", response_model=UserOut, status_code=201, operation_id="admin_create_user")
def add_user(body: UserCreate, request: Request, db: SessionDep, admin: AdminDep) -> UserOut:
    """Create a user (with a password, or none to sign in only through OpenID Connect)."""
    if body.password is not None and (why := check_policy(body.password, username=body.username)):
        raise HTTPException(422, why)
    try:
        user = create_user(
            db,
            username=body.username,
            role=body.role,
            password=body.password,
            display_name=body.display_name,
            scope=parse_scope(body.scope),
            now=get_clock(request)(),
        )
    except AccountError as exc:
        raise HTTPException(409, str(exc))
    _note(
        request,
        db,
        admin,
        "user_created",
        f"user {user.username} as {user.role}, scope {user.scope}"[:400],
    )
    return UserOut.of(user)


@router.patch("/users/{user_id}", response_model=UserOut, operation_id="admin_update_user")
def change_user(
    user_id: int, body: UserUpdate, request: Request, db: SessionDep, admin: AdminDep
) -> UserOut:
    """Change a user's role, password or name, or deactivate them (their sessions end)."""
    user = get_user(db, user_id)
    if user is None:
        raise HTTPException(404, f"no user {user_id}")
    if user.id == admin.user_id and (
        body.is_active is False or (body.role is not None and body.role is not Role.ADMIN)
    ):
        raise HTTPException(409, "an admin cannot deactivate or demote themselves")
    if body.password is not None and (why := check_policy(body.password, username=user.username)):
        raise HTTPException(422, why)
    update_user(
        db,
        user,
        now=get_clock(request)(),
        role=body.role,
        is_active=body.is_active,
        password=body.password,
        display_name=body.display_name,
        scope=_scope_of(body.scope),
    )
    changed = ", ".join(k for k, v in body.model_dump(exclude_none=True).items() if k != "password")
    changed += ", password" if body.password is not None else ""
    changed = changed.replace("scope", f"scope {user.scope}") if body.scope else changed
    _note(request, db, admin, "user_changed", f"user {user.username}: {changed.strip(', ')}")
    return UserOut.of(user)


@router.get("/tokens", response_model=list[TokenOut], operation_id="admin_list_tokens")
def tokens(db: SessionDep, _admin: AdminDep) -> list[ApiToken]:
    """Every API token (its first characters only; the token itself is never stored)."""
    return list_api_tokens(db)


@router.post(
    "/tokens", response_model=TokenCreated, status_code=201, operation_id="admin_create_token"
)
def add_token(body: TokenCreate, request: Request, db: SessionDep, admin: AdminDep) -> TokenCreated:
    """Create a token for a feed client or a wall kiosk; the answer shows it once."""
    now = get_clock(request)()
    if body.never_expires and body.expires_at is not None:
        raise HTTPException(422, "give expires_at or never_expires, not both")
    expires_at = body.expires_at
    if expires_at is None and not body.never_expires:
        expires_at = now + timedelta(days=get_settings().token_expiry_days)
    try:
        token, plaintext = create_api_token(
            db,
            name=body.name,
            role=body.role,
            expires_at=expires_at,
            created_by=admin.name,
            now=now,
        )
    except TokenError as exc:
        raise HTTPException(422, str(exc))
    _note(request, db, admin, "token_created", f"token {token.name} as {token.role}")
    return TokenCreated(**TokenOut.model_validate(token).model_dump(), token=plaintext)


@router.delete("/tokens/{token_id}", response_model=TokenOut, operation_id="admin_revoke_token")
def revoke_token(token_id: int, request: Request, db: SessionDep, admin: AdminDep) -> ApiToken:
    """Revoke a token at once (and every kiosk session opened with it)."""
    token = revoke_api_token(db, token_id, now=get_clock(request)())
    if token is None:
        raise HTTPException(404, f"no token {token_id}")
    _note(request, db, admin, "token_revoked", f"token {token.name}")
    return token


@router.get("/audit", response_model=AuditPage, operation_id="admin_audit")
def audit_search(
    request: Request,
    db: SessionDep,
    admin: AdminDep,
    user: Annotated[str | None, Query(max_length=150, description="who (username)")] = None,
    since: Annotated[datetime | None, Query(description="from (ISO 8601, inclusive)")] = None,
    until: Annotated[datetime | None, Query(description="to (ISO 8601, exclusive)")] = None,
    what: Annotated[str | None, Query(max_length=200, description="what contains")] = None,
    action: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AuditPage:
    """Search the audit trail: who read which patients' data, when; sign-ins; changes."""
    local = get_settings().tz  # a time without offset is Europe/London time, as everywhere
    since = since.replace(tzinfo=local) if since and since.tzinfo is None else since
    until = until.replace(tzinfo=local) if until and until.tzinfo is None else until
    query = audit.AuditQuery(
        user=user, since=since, until=until, what=what, action=action, limit=limit, offset=offset
    )
    total, events = audit.search(db, query)
    _note(request, db, admin, "audit_search", f"audit {query}"[:400])
    return AuditPage(total=total, events=[AuditEventOut.model_validate(e) for e in events])
