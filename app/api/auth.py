"""Sign-in and sign-out: local accounts, OpenID Connect, wall kiosks; who am I."""

from __future__ import annotations

import html
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.api.deps import SessionDep
from app.api.security_deps import PrincipalDep, get_clock, get_policy
from app.core.config import get_settings
from app.security import audit, pages
from app.security.accounts import authenticate, oidc_user
from app.security.oidc import TRANSACTION_COOKIE, TRANSACTION_SECONDS, OIDCClient, OIDCError
from app.security.oidc import Transaction as OIDCTransaction
from app.security.ratelimit import LOGIN_BY_CLIENT, LOGIN_BY_USERNAME
from app.security.roles import Role
from app.security.sessions import (
    clear_session_cookie,
    create_session,
    revoke_session,
    set_session_cookie,
)
from app.security.tokens import resolve_bearer
from models.security import ApiToken

router = APIRouter(prefix="/auth", tags=["auth"])
pages_router = APIRouter(include_in_schema=False)

OIDC_COOKIE_PATH = "/api/v1/auth/oidc"
MAX_FIELD = 1000


class Me(BaseModel):
    name: str
    role: Role
    via: str
    session_expires_at: datetime | None


class SignedIn(BaseModel):
    name: str
    role: Role
    session_expires_at: datetime


def safe_next(value: str | None, default: str = "/") -> str:
    """A local path to go to after signing in (never another site: no open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    if any(ord(c) < 32 for c in value):
        return default
    return value


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _credentials(request: Request) -> tuple[str, str, str | None, bool]:
    """(username, password, next, from a form) from a JSON or a form body."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        try:
            data: Any = await request.json()
        except ValueError:
            raise HTTPException(422, "the body is not valid JSON")
        if not isinstance(data, dict):
            raise HTTPException(422, "send {'username': …, 'password': …}")
        form = False
    else:
        data = await request.form()
        form = True
    username, password, next_path = data.get("username"), data.get("password"), data.get("next")
    if not isinstance(username, str) or not isinstance(password, str) or not username:
        raise HTTPException(422, "a username and a password are needed")
    if len(username) > MAX_FIELD or len(password) > MAX_FIELD:
        raise HTTPException(422, "the username or password is too long")
    return username, password, next_path if isinstance(next_path, str) else None, form


def _end_presented_session(request: Request, db: SessionDep, now: datetime) -> None:
    """A new sign-in replaces the browser's old session (no session fixation)."""
    raw = request.cookies.get(get_policy(request).cookie_name)
    if raw:
        revoke_session(db, raw, now=now, reason="replaced")


@router.post(
    "/login",
    response_model=SignedIn,
    operation_id="auth_login",
    responses={
        401: {"description": "Wrong username or password"},
        429: {"description": "Slow down"},
    },
)
async def login(request: Request, db: SessionDep) -> Response:
    """Sign in with a username and password (JSON or a form); sets the session cookie."""
    username, password, next_path, form = await _credentials(request)
    client = _client(request) or "unknown"
    LOGIN_BY_CLIENT.check(client)
    LOGIN_BY_USERNAME.check(username.strip().lower())
    return await run_in_threadpool(
        _login, request, db, username, password, safe_next(next_path), form, client
    )


def _login(
    request: Request,
    db: SessionDep,
    username: str,
    password: str,
    next_path: str,
    form: bool,
    client: str,
) -> Response:
    now = get_clock(request)()
    policy = get_policy(request)
    user = authenticate(db, username, password)
    if user is None:
        audit.record_event(
            db,
            actor=username.strip().lower()[:150],
            action="login_failed",
            what="POST /api/v1/auth/login",
            client=client,
            now=now,
        )
        if form:
            target = f"/login?error=1&next={quote(next_path, safe='')}"
            return RedirectResponse(target, status_code=303)
        return JSONResponse(status_code=401, content={"detail": "wrong username or password"})
    _end_presented_session(request, db, now)
    row, raw_id = create_session(
        db, now=now, policy=policy, method="password", user=user, client=client
    )
    audit.record_event(
        db,
        actor=user.username,
        role=user.role,
        action="login",
        what="password",
        client=client,
        now=now,
    )
    response: Response
    if form:
        response = RedirectResponse(next_path, status_code=303)
    else:
        body = SignedIn(name=user.username, role=Role(user.role), session_expires_at=row.expires_at)
        response = JSONResponse(content=body.model_dump(mode="json"))
    set_session_cookie(response, raw_id, policy)
    return response


@router.post("/logout", status_code=200, operation_id="auth_logout")
def logout(request: Request, db: SessionDep) -> Response:
    """Sign out: the session ends on the server, so the old cookie is useless afterwards."""
    policy = get_policy(request)
    now = get_clock(request)()
    raw = request.cookies.get(policy.cookie_name)
    ended = bool(raw) and revoke_session(db, raw or "", now=now, reason="logout")
    principal = request.scope.get("state", {}).get("homeward_principal")
    if ended and principal is not None:
        audit.record_event(
            db,
            actor=principal.name,
            role=principal.role.value,
            action="logout",
            what="POST /api/v1/auth/logout",
            client=_client(request),
            now=now,
        )
    wants_html = "text/html" in request.headers.get("accept", "")
    response: Response = (
        RedirectResponse("/login", status_code=303)
        if wants_html
        else JSONResponse(content={"signed_out": ended})
    )
    clear_session_cookie(response, policy)
    return response


@router.get("/me", response_model=Me, operation_id="auth_me")
def me(principal: PrincipalDep) -> Me:
    """Who is signed in: name, role, and when the session ends at the latest."""
    return Me(
        name=principal.name,
        role=principal.role,
        via=principal.via,
        session_expires_at=principal.session_expires_at,
    )


@router.post("/kiosk", operation_id="auth_kiosk_post")
@router.get("/kiosk", operation_id="auth_kiosk")
async def kiosk(
    request: Request,
    db: SessionDep,
    token: Annotated[str | None, Query(max_length=200)] = None,
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Open a wall display's browser session with a wall token, then show the wall.

    Use ``POST`` with a form field ``token`` where the kiosk can; ``GET ?token=`` exists for
    kiosk browsers that only take a start address (the token then sits in that address:
    a wall token shows aggregates only, and can be revoked).
    """
    if request.method == "POST":
        form = await request.form()
        value = form.get("token")
        token = value if isinstance(value, str) else None
        next_value = form.get("next")
        next = next_value if isinstance(next_value, str) else next
    client = _client(request) or "unknown"
    LOGIN_BY_CLIENT.check(client)
    return await run_in_threadpool(
        _kiosk, request, db, token or "", safe_next(next, "/wall?kiosk=1"), client
    )


def _kiosk(request: Request, db: SessionDep, token: str, next_path: str, client: str) -> Response:
    now = get_clock(request)()
    policy = get_policy(request)
    principal = resolve_bearer(db, token, now=now)
    if principal is None or principal.role is not Role.WALL or principal.token_id is None:
        audit.record_event(
            db, actor="kiosk", action="login_failed", what="kiosk", client=client, now=now
        )
        if pages.wants_html(request.headers.get("accept", "")):
            return HTMLResponse(pages.bad_kiosk_token_page(), status_code=401)
        return JSONResponse(status_code=401, content={"detail": "not a valid wall token"})
    api_token = db.get(ApiToken, principal.token_id)
    assert api_token is not None
    _end_presented_session(request, db, now)
    row, raw_id = create_session(
        db, now=now, policy=policy, method="kiosk", token=api_token, client=client
    )
    audit.record_event(
        db, actor=principal.name, role="wall", action="login", what="kiosk", client=client, now=now
    )
    response = RedirectResponse(next_path, status_code=303)
    max_age = max(0, int((row.expires_at - now).total_seconds()))
    set_session_cookie(response, raw_id, policy, max_age=max_age)
    return response


@lru_cache
def _default_oidc_client() -> OIDCClient:
    return OIDCClient(get_settings())


def oidc_client(request: Request) -> OIDCClient:
    """The OIDC client (``app.state.oidc_client`` when set, as tests do)."""
    client: OIDCClient | None = getattr(request.app.state, "oidc_client", None)
    return client or _default_oidc_client()


def _redirect_uri(request: Request) -> str:
    return get_settings().oidc_redirect_url or str(request.url_for("auth_oidc_callback"))


@router.get("/oidc/login", operation_id="auth_oidc_login", status_code=303)
def oidc_login(
    request: Request, next: Annotated[str | None, Query(max_length=500)] = None
) -> Response:
    """Start an OpenID Connect sign-in: off to the identity provider."""
    if not get_settings().oidc_issuer:
        raise HTTPException(404, "OpenID Connect sign-in is not configured")
    try:
        url, transaction = oidc_client(request).begin(
            redirect_uri=_redirect_uri(request), next_path=safe_next(next)
        )
    except OIDCError as exc:
        return _oidc_failed(str(exc))
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        TRANSACTION_COOKIE,
        transaction.seal(get_settings().secret_key),
        max_age=TRANSACTION_SECONDS,
        path=OIDC_COOKIE_PATH,
        secure=get_policy(request).secure_cookie,
        httponly=True,
        samesite="lax",
    )
    return response


@router.get("/oidc/callback", name="auth_oidc_callback", operation_id="auth_oidc_callback")
def oidc_callback(
    request: Request,
    db: SessionDep,
    code: Annotated[str | None, Query(max_length=4000)] = None,
    state: Annotated[str | None, Query(max_length=500)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Where the identity provider sends the browser back: check everything, then sign in."""
    settings = get_settings()
    now = get_clock(request)()
    policy = get_policy(request)
    client = _client(request)
    client_oidc = oidc_client(request)
    try:
        if error:
            raise OIDCError(f"the identity provider refused the sign-in ({error})")
        transaction = OIDCTransaction.open(
            request.cookies.get(TRANSACTION_COOKIE), settings.secret_key, now=client_oidc.clock()
        )
        identity = client_oidc.complete(
            code=code or "",
            state=state or "",
            transaction=transaction,
            redirect_uri=_redirect_uri(request),
        )
    except OIDCError as exc:
        audit.record_event(
            db,
            actor="oidc",
            action="login_failed",
            what="oidc",
            client=client,
            detail=str(exc),
            now=now,
        )
        return _oidc_failed(str(exc))
    user = oidc_user(
        db,
        issuer=identity.issuer,
        subject=identity.subject,
        username=identity.username,
        display_name=identity.display_name,
        role=identity.role,
        now=now,
    )
    if not user.is_active:
        return _oidc_failed("your Homeward account is deactivated")
    _end_presented_session(request, db, now)
    _row, raw_id = create_session(
        db, now=now, policy=policy, method="oidc", user=user, client=client
    )
    audit.record_event(
        db, actor=user.username, role=user.role, action="login", what="oidc", client=client, now=now
    )
    response = RedirectResponse(transaction.next_path, status_code=303)
    set_session_cookie(response, raw_id, policy)
    response.delete_cookie(TRANSACTION_COOKIE, path=OIDC_COOKIE_PATH)
    return response


def _oidc_failed(message: str) -> Response:
    response = HTMLResponse(
        _page(
            "Sign-in failed",
            f"<p>{html.escape(message)}</p><p><a href='/login'>Back to sign in</a></p>",
        ),
        status_code=400,
    )
    response.delete_cookie(TRANSACTION_COOKIE, path=OIDC_COOKIE_PATH)
    return response


_STYLE = (
    "body{font-family:Arial,Helvetica,sans-serif;color:#212b32;background:#f0f4f5;margin:0}"
    "main{max-width:28rem;margin:4rem auto;background:#fff;padding:2rem;"
    "border-top:6px solid #005eb8}"
    "label{display:block;font-weight:bold;margin-top:1rem}"
    "input{width:100%;padding:.5rem;font-size:1rem;border:2px solid #4c6272;box-sizing:border-box}"
    "input:focus,button:focus,a:focus{outline:3px solid #ffb81c}"
    "button{margin-top:1.5rem;background:#007f3b;color:#fff;border:0;padding:.7rem 1.2rem;"
    "font-size:1rem}"
    ".error{border-left:6px solid #d5281b;padding-left:1rem;color:#d5281b}"
)


def _page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} – Homeward</title><style>{_STYLE}</style></head>"
        f"<body><main id='main-content'><h1>{html.escape(title)}</h1>{body}</main></body></html>"
    )


@pages_router.get("/login", response_class=HTMLResponse)
def login_page(
    next: Annotated[str | None, Query(max_length=500)] = None,
    error: Annotated[str | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    """The sign-in page: username and password, or the organisation's identity provider."""
    settings = get_settings()
    target = html.escape(safe_next(next), quote=True)
    parts = []
    if error:
        parts.append(
            "<p class='error' role='alert'>The username or password is wrong, or too many "
            "attempts were made: try again in a minute.</p>"
        )
    parts.append(
        "<form method='post' action='/api/v1/auth/login'>"
        f"<input type='hidden' name='next' value='{target}'>"
        "<label for='username'>Username</label>"
        "<input id='username' name='username' autocomplete='username' required>"
        "<label for='password'>Password</label>"
        "<input id='password' name='password' type='password' "
        "autocomplete='current-password' required>"
        "<button type='submit'>Sign in</button></form>"
    )
    if settings.oidc_issuer:
        href = "/api/v1/auth/oidc/login?next=" + quote(safe_next(next), safe="")
        link = html.escape(href, quote=True)
        parts.append(f"<p><a href='{link}'>{html.escape(settings.oidc_label)}</a></p>")
    if settings.environment == "demo":
        parts.append(
            "<p>Demo: sign in as <code>wall</code>, <code>analyst</code>, "
            "<code>coordinator</code> or <code>admin</code> with the password printed when "
            "the demo started.</p>"
        )
    parts.append("<p><a href='/login/accessibility'>Accessibility statement</a></p>")
    return HTMLResponse(_page("Sign in to Homeward", "".join(parts)))
