"""The client's address behind a reverse proxy, believed only from configured proxies.

``X-Forwarded-For`` is a list any client can write. It is read only when the connection comes
from an address of ``HOMEWARD_TRUSTED_PROXIES``, and then from the right: the first address
that is not itself a trusted proxy is the client. Everything keyed on the client address (the
per-address sign-in limit, the audit's ``client``, the sessions' ``client``) sees that address;
a spoofed header from anyone else changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address

from starlette.types import ASGIApp, Receive, Scope, Send

Network = IPv4Network | IPv6Network


def _is_trusted(host: str, networks: Sequence[Network]) -> bool:
    try:
        address = ip_address(host.strip())
    except ValueError:
        return False
    return any(address in network for network in networks)


def forwarded_client(
    peer: str | None, header: str | None, networks: Sequence[Network]
) -> str | None:
    """The client address a request stands for: ``peer`` unless it is a trusted proxy with a
    forwarded chain, then the rightmost address of that chain not itself trusted."""
    if peer is None or not header or not networks or not _is_trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, networks):
            try:
                return str(ip_address(hop))
            except ValueError:
                return peer  # garbage in the chain: believe nothing beyond the proxy
    return hops[0] if hops else peer  # every hop a trusted proxy: the first one


class TrustedProxyMiddleware:
    """Set ``scope["client"]`` from ``X-Forwarded-For`` when, and only when, a trusted proxy
    sent the request (and the scheme from ``X-Forwarded-Proto``)."""

    def __init__(self, app: ASGIApp, *, networks: Sequence[Network]) -> None:
        self.app = app
        self.networks = tuple(networks)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self.networks:
            client = scope.get("client")
            peer = client[0] if client else None
            if peer is not None and _is_trusted(peer, self.networks):
                headers = dict(scope.get("headers") or [])
                forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
                host = forwarded_client(peer, forwarded, self.networks)
                proto = headers.get(b"x-forwarded-proto", b"").decode("latin-1").strip().lower()
                scope = dict(scope)
                if host is not None and host != peer:
                    scope["client"] = (host, 0)
                if proto in ("http", "https") and scope["type"] == "http":
                    scope["scheme"] = proto
        await self.app(scope, receive, send)
