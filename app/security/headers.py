"""Security headers on every response, and no stack trace to any client.

The pages' Content-Security-Policy allows scripts from this server only, plus the inline
scripts Dash writes into its index page, each allowed by its SHA-256 hash (Dash's own
``csp_hashes()``: the renderer bootstrap ``var renderer = new DashRenderer();`` and the inline
clientside-callback functions of the pages). ``<script id="_dash-config"
type="application/json">`` is data, never run, so it needs no hash. No ``'unsafe-eval'``: Dash,
dash-ag-grid (without string expressions), dash-bootstrap-components and Plotly render without
it (tests/test_security_browser.py loads the pages in Chromium and finds no CSP violation).
Styles need ``'unsafe-inline'``: Plotly, AG Grid and React set inline styles.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("homeward.errors")

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The Swagger UI page (app/api/docs.py) loads its script and style from this server and
# starts with an inline script; it is served only when docs are enabled.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'self'"
)
HSTS = "max-age=31536000; includeSubDomains"


def page_csp(script_hashes: Sequence[str]) -> str:
    """The Content-Security-Policy of the HTML pages (Dash and the sign-in page)."""
    scripts = " ".join(["'self'", *script_hashes])
    return (
        "default-src 'self'; "
        f"script-src {scripts}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "worker-src 'self' blob:; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


COMMON = {
    "x-content-type-options": "nosniff",
    # same-origin, not no-referrer: under no-referrer a browser sends "Origin: null" on its
    # own same-site form posts and fetches, and the cross-site check could not tell them
    # from a forged request. Other sites still get no referrer at all.
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


class SecurityHeadersMiddleware:
    """Adds the headers above to every HTTP response; turns any unhandled error into a
    generic 500 with an error id that is logged with the stack trace (never sent)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        production: bool,
        script_hashes: Callable[[], Sequence[str]] = lambda: (),
    ) -> None:
        self.app = app
        self.production = production
        self.script_hashes = script_hashes

    def _headers_for(self, path: str, content_type: str) -> dict[str, str]:
        headers = dict(COMMON)
        if path == "/api/docs" or path.startswith("/api/docs/"):
            headers["content-security-policy"] = DOCS_CSP
        elif content_type.startswith("text/html"):
            headers["content-security-policy"] = page_csp(self.script_hashes())
        else:
            headers["content-security-policy"] = API_CSP
        if self.production:
            headers["strict-transport-security"] = HSTS
        return headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                raw = list(message.get("headers", []))
                present = {name.lower() for name, _ in raw}
                content_type = next(
                    (v.decode("latin-1") for n, v in raw if n.lower() == b"content-type"), ""
                )
                for name, value in self._headers_for(path, content_type).items():
                    if name.encode() not in present:
                        raw.append((name.encode(), value.encode()))
                message = {**message, "headers": raw}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            error_id = secrets.token_hex(6)
            log.exception("unhandled error %s on %s %s", error_id, scope.get("method"), path)
            if started:
                raise
            for message in error_messages(error_id):
                await send_with_headers(message)


def error_payload(error_id: str) -> dict[str, str]:
    return {
        "detail": "Something went wrong on the server. Nothing about it is shown here; "
        f"quote error id {error_id} to the service desk.",
        "error_id": error_id,
    }


def error_messages(error_id: str) -> list[Message]:
    """The ASGI messages of the generic 500 answer."""
    body = json.dumps(error_payload(error_id)).encode()
    start: Message = {
        "type": "http.response.start",
        "status": 500,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"cache-control", b"no-store"),
        ],
    }
    return [start, {"type": "http.response.body", "body": body, "more_body": False}]
