"""The gate every request passes: who is asking, and may that role call this path?

``AccessControlMiddleware`` resolves the principal (a bearer token, else the session cookie),
applies the one rule table of ``app.security.roles`` to the API and the pages alike, and:

- anonymous → 401 on the API and Dash's own routes, a redirect to ``/login`` for a page;
- a role the rule does not name → 403 (for a page, the styled page of ``app.security.pages``
  saying which roles it is for and whom to ask);
- a page address no Dash page answers → Dash's "page not found" page, answered 404;
- a Dash callback is checked against the page whose module registered it (the pages router
  callback against the page it is asked to draw), so a wall session cannot call a
  coordinator page's callback directly; a patient-level callback is audited before it runs;
- an API route of a patient-level rule must record its read (``PatientAudit``) before it
  answers, or the answer is replaced by an error: nothing patient-level leaves unaudited;
- a Dash callback that is not ``application/json`` → 415 (Dash would fail on it with a 500);
- a request that changes something and names another site as its ``Origin`` → 403;
- every answer that needed a principal is marked ``Cache-Control: no-store``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlsplit

import anyio.to_thread
from sqlalchemy.exc import SQLAlchemyError
from starlette.requests import cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.db import get_engine, get_read_sessionmaker
from app.security import audit, pages
from app.security.principal import Principal, _current
from app.security.roles import (
    AGGREGATES,
    Rule,
    allowed,
    is_api_path,
    page_rule,
    path_matches,
    rule_for,
)
from app.security.sessions import SessionPolicy, clear_session_cookie, resolve_session
from app.security.tokens import resolve_bearer

log = logging.getLogger("homeward.security")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DASH_CALLBACK_PATH = "/_dash-update-component"
MAX_CALLBACK_BODY = 10 * 2**20
AUDITED_FLAG = "homeward_audited"
PRINCIPAL_KEY = "homeward_principal"
PAGES_ROUTER_OUTPUT = "_pages_content.children"
PAGES_LOCATION = "_pages_location"

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Resolution:
    principal: Principal | None
    bad_bearer: bool = False  # a bearer token was presented and refused
    stale_cookie: bool = False  # a session cookie was presented for an ended session


def resolve_credentials(
    headers: Mapping[str, str], *, now: datetime, policy: SessionPolicy
) -> Resolution:
    """The principal of a request's ``Authorization: Bearer`` header, else its session cookie.

    A presented bearer token that is refused is not replaced by the cookie: a machine client
    with a bad token must hear so (401), not act as whoever last signed in on that browser.
    """
    authorization = headers.get("authorization", "")
    scheme, _, credential = authorization.partition(" ")
    cookies = cookie_parser(headers.get("cookie", ""))
    raw_session = cookies.get(policy.cookie_name)
    if not (scheme.lower() == "bearer" and credential.strip()) and not raw_session:
        return Resolution(None)
    with get_read_sessionmaker()() as db:  # no transaction: one statement, at most a write
        if scheme.lower() == "bearer" and credential.strip():
            principal = resolve_bearer(db, credential.strip(), now=now)
            return Resolution(principal, bad_bearer=principal is None)
        assert raw_session is not None
        principal = resolve_session(db, raw_session, now=now, policy=policy)
        return Resolution(principal, stale_cookie=principal is None)


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _json(status: int, detail: str, headers: Sequence[tuple[str, str]] = ()) -> Response:
    response = Response(
        json.dumps({"detail": detail}), status_code=status, media_type="application/json"
    )
    for name, value in headers:
        response.headers[name] = value
    return response


def _html(status: int, body: str, headers: Sequence[tuple[str, str]] = ()) -> Response:
    response = Response(body, status_code=status, media_type="text/html")
    for name, value in headers:
        response.headers[name] = value
    return response


def _is_page_request(method: str, path: str) -> bool:
    return method in ("GET", "HEAD") and not is_api_path(path) and not path.startswith("/_dash-")


def _login_redirect(scope: Scope) -> Response:
    target = scope.get("path", "/")
    query = scope.get("query_string", b"").decode("latin-1")
    if query:
        target += "?" + query
    return Response(status_code=303, headers={"location": "/login?next=" + quote(target, safe="")})


def _origin_allowed(headers: Mapping[str, str], allowed_origins: frozenset[str]) -> bool:
    """A browser names the page's origin on cross-site requests; it must be this site's."""
    origin = headers.get("origin")
    if not origin:
        return True
    if origin in allowed_origins:
        return True
    return urlsplit(origin).netloc.lower() == headers.get("host", "").lower()


def _scalar_values(items: Any) -> dict[str, Any]:
    """The simple values a callback was given (its filters), for the audit row."""
    values: dict[str, Any] = {}
    for item in items or []:
        if not isinstance(item, dict) or "property" not in item:
            continue
        value = item.get("value")
        if value is None or isinstance(value, str | int | float | bool):
            key = f"{json.dumps(item.get('id'), sort_keys=True).strip(chr(34))}.{item['property']}"
            values[key] = value
    return values


def known_page(path: str) -> bool:
    """Whether a Dash page answers ``path`` (its own 404 page does not count)."""
    import dash

    for page in dash.page_registry.values():
        template = str(page.get("path_template") or page.get("path") or "")
        if template in ("", "/404"):
            continue
        pattern = "/".join("*" if p.startswith("<") else p for p in template.split("/"))
        if path_matches(pattern or "/", path.rstrip("/") or "/"):
            return True
    return False


def _page_template(module: str) -> str | None:
    import dash

    page = dash.page_registry.get(module)
    if page is None:
        return None
    template = page.get("path_template") or page.get("path")
    return str(template) if template else None


def callback_rule(dash_app: Any, body: dict[str, Any]) -> tuple[Rule | None, str]:
    """The rule a Dash callback answers to, and what it reads (for the audit)."""
    output = body.get("output")
    entry = dash_app.callback_map.get(output) if isinstance(output, str) else None
    if entry is None:
        return None, f"unknown callback {str(output)[:80]}"
    if isinstance(output, str) and PAGES_ROUTER_OUTPUT in output:
        pathname = next(
            (
                i.get("value")
                for i in body.get("inputs", [])
                if isinstance(i, dict)
                and i.get("id") == PAGES_LOCATION
                and i.get("property") == "pathname"
            ),
            None,
        )
        path = pathname if isinstance(pathname, str) and pathname.startswith("/") else "/"
        return page_rule(path), f"page {path}"
    function = entry.get("callback")
    module = getattr(function, "__module__", "") or ""
    name = getattr(function, "__name__", "callback")
    template = _page_template(module)
    if template is None:  # shared by every page (the shell): signed in is enough
        return Rule(None, "/**", AGGREGATES), f"callback {name}"
    return page_rule(template), f"page {template}: {name}"


class AccessControlMiddleware:
    """See the module docstring."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        policy: SessionPolicy,
        clock: Clock,
        dash_app: Any = None,
        allowed_origins: Sequence[str] = (),
    ) -> None:
        self.app = app
        self.policy = policy
        self.clock = clock
        self.dash_app = dash_app
        self.allowed_origins = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # Dash's websocket callbacks are not used: closed
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        headers = _headers(scope)
        if method not in SAFE_METHODS and not _origin_allowed(headers, self.allowed_origins):
            await _json(403, "cross-site request refused")(scope, receive, send)
            return
        rule = rule_for(method, path)
        resolution = Resolution(None)
        if rule is None or rule.roles is not None or path.startswith("/api/v1/auth/"):
            now = self.clock()
            try:
                resolution = await anyio.to_thread.run_sync(
                    lambda: resolve_credentials(headers, now=now, policy=self.policy)
                )
            except SQLAlchemyError as exc:  # who is asking cannot be known: nothing is shown
                log.error("database unavailable resolving a principal: %s", type(exc).__name__)
                unavailable = _json(
                    503,
                    "The database is unavailable; try again shortly.",
                    [("retry-after", "30"), ("cache-control", "no-store")],
                )
                await unavailable(scope, receive, send)
                return
        principal = resolution.principal
        scope.setdefault("state", {})[PRINCIPAL_KEY] = principal
        context = _current.set(principal)
        try:
            await self._serve(scope, receive, send, rule, resolution)
        finally:
            _current.reset(context)

    async def _serve(
        self, scope: Scope, receive: Receive, send: Send, rule: Rule | None, res: Resolution
    ) -> None:
        method: str = scope["method"]
        path: str = scope["path"]
        principal = res.principal
        role = principal.role if principal else None
        refusal: Response | None = None
        if res.bad_bearer and (rule is None or rule.roles is not None):
            refusal = _json(
                401,
                "the bearer token is unknown, revoked or expired",
                [("www-authenticate", 'Bearer error="invalid_token"')],
            )
        elif not allowed(rule, role):
            refusal = self._refusal(scope, rule, principal)
        if refusal is not None:
            await self._send_refusal(refusal, scope, receive, send, res)
            return
        assert rule is not None
        patient_level_api = rule.patient_level and is_api_path(path)
        if path == DASH_CALLBACK_PATH and method == "POST" and self.dash_app is not None:
            receive, refusal = await self._check_callback(scope, receive, principal)
            if refusal is not None:
                await self._send_refusal(refusal, scope, receive, send, res)
                return
        # An address no page answers: Dash draws its "page not found" page, answered 404.
        not_found = (
            self.dash_app is not None
            and rule.roles is not None
            and _is_page_request(method, path)
            and not path.startswith("/_")
            and not known_page(path)
        )
        await self.app(
            scope,
            receive,
            self._wrap_send(
                scope, send, rule, res, enforce_audit=patient_level_api, not_found=not_found
            ),
        )

    def _refusal(self, scope: Scope, rule: Rule | None, principal: Principal | None) -> Response:
        method, path = scope["method"], scope["path"]
        if principal is None:
            if _is_page_request(method, path):
                return _login_redirect(scope)
            return _json(
                401,
                "sign in first (a session cookie or an Authorization: Bearer token)",
                [("www-authenticate", "Bearer")],
            )
        if rule is None:
            if path.startswith("/api/"):
                # every real endpoint has a rule: a signed-in caller learns only that it is absent
                return _json(404, f"No API endpoint {path}")
            return _json(403, f"no access rule opens {method} {path}")
        if _is_page_request(method, path):
            return _html(403, pages.forbidden_page(principal, path))
        return _json(403, f"the role {principal.role.value} may not call {method} {path}")

    async def _send_refusal(
        self, refusal: Response, scope: Scope, receive: Receive, send: Send, res: Resolution
    ) -> None:
        refusal.headers["cache-control"] = "no-store"
        if res.stale_cookie:
            clear_session_cookie(refusal, self.policy)
        await refusal(scope, receive, send)

    async def _check_callback(
        self, scope: Scope, receive: Receive, principal: Principal | None
    ) -> tuple[Receive, Response | None]:
        """Read the callback request, check its page's rule, audit a patient-level one."""
        content_type = _headers(scope).get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":  # Dash reads no other body: refuse, not 500
            return receive, _json(
                415, "a callback request is JSON (Content-Type: application/json)"
            )
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return receive, _json(400, "the request was not completed")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_CALLBACK_BODY:
                return receive, _json(413, "callback request too large")
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        try:
            payload = json.loads(body or b"{}")
        except ValueError:
            return replay, _json(400, "a callback request is JSON")
        if not isinstance(payload, dict):
            return replay, _json(400, "a callback request is a JSON object")
        rule, what = callback_rule(self.dash_app, payload)
        role = principal.role if principal else None
        if not allowed(rule, role):
            name = role.value if role else "anonymous"
            return replay, _json(403, f"the role {name} may not use this page ({what})")
        if rule is not None and rule.patient_level and principal is not None:
            filters = _scalar_values(payload.get("inputs")) | _scalar_values(payload.get("state"))
            client = scope.get("client")
            try:
                await anyio.to_thread.run_sync(
                    lambda: audit.record_patient_read(
                        get_engine(),
                        principal,
                        what,
                        filters,
                        None,
                        client[0] if client else None,
                        now=self.clock(),
                    )
                )
            except audit.AuditUnavailable:
                return replay, _json(503, "audit unavailable, nothing shown")
            scope.setdefault("state", {})[AUDITED_FLAG] = True
        return replay, None

    def _wrap_send(
        self,
        scope: Scope,
        send: Send,
        rule: Rule,
        res: Resolution,
        *,
        enforce_audit: bool,
        not_found: bool = False,
    ) -> Send:
        needs_no_store = rule.roles is not None or rule.patient_level
        blocked = False
        cookie_headers: list[tuple[bytes, bytes]] = []
        if res.stale_cookie:
            cleared = Response()
            clear_session_cookie(cleared, self.policy)
            cookie_headers = [(k, v) for k, v in cleared.raw_headers if k == b"set-cookie"]

        async def wrapped(message: Message) -> None:
            nonlocal blocked
            if message["type"] == "http.response.start":
                status = int(message["status"])
                audited = scope.get("state", {}).get(AUDITED_FLAG, False)
                if enforce_audit and status < 400 and not audited:
                    blocked = True
                    log.error("patient-level answer without an audit row: %s", scope["path"])
                    refusal = _json(500, "this patient-level read was not audited; nothing shown")
                    refusal.headers["cache-control"] = "no-store"
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 500,
                            "headers": refusal.raw_headers,
                        }
                    )
                    await send({"type": "http.response.body", "body": refusal.body})
                    return
                raw = [(k, v) for k, v in message.get("headers", [])]
                if not_found and status == 200:
                    message = {**message, "status": 404}
                if needs_no_store:
                    raw = [(k, v) for k, v in raw if k.lower() not in (b"cache-control", b"pragma")]
                    raw += [(b"cache-control", b"no-store"), (b"pragma", b"no-cache")]
                raw += cookie_headers
                message = {**message, "headers": raw}
            elif blocked:
                return
            await send(message)

        return wrapped
