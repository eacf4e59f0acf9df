"""OpenID Connect sign-in (authorization code flow with PKCE), e.g. NHS CIS2 Authentication.

1. ``begin``: a random ``state``, ``nonce`` and PKCE verifier go into a short-lived cookie,
   signed with the secret key; the browser goes to the provider's authorization endpoint.
2. ``complete``: the provider sends the browser back with ``code`` and ``state``; the state
   must equal the cookie's, the code is exchanged (with the PKCE verifier) at the token
   endpoint, and the ID token is checked: signature against the provider's JWKS (asymmetric
   algorithms only), issuer, audience, expiry, and the nonce from the cookie.
3. The role comes from a claim (``oidc_role_claim``) through ``oidc_role_map``; an identity
   with no mapped role is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx
import jwt

from app.core.config import Settings
from app.security.roles import Role

ALLOWED_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384")
TRANSACTION_COOKIE = "hw_oidc"
TRANSACTION_SECONDS = 600
DISCOVERY_SECONDS = 3600
CLOCK_SKEW_SECONDS = 60


class OIDCError(Exception):
    """The sign-in cannot be completed; the message is safe to show."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pkce_challenge(verifier: str) -> str:
    """The S256 code challenge of a PKCE verifier (RFC 7636)."""
    return _b64url(hashlib.sha256(verifier.encode()).digest())


@dataclass(frozen=True)
class Transaction:
    """What the browser carries between ``begin`` and ``complete`` (signed, 10 minutes)."""

    state: str
    nonce: str
    verifier: str
    next_path: str
    expires: float

    def seal(self, key: str) -> str:
        payload = _b64url(json.dumps(self.__dict__, sort_keys=True).encode())
        signature = _b64url(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())
        return f"{payload}.{signature}"

    @classmethod
    def open(cls, sealed: str | None, key: str, *, now: float) -> Transaction:
        if not sealed or "." not in sealed:
            raise OIDCError("the sign-in was not started here, or took too long: start again")
        payload, signature = sealed.rsplit(".", 1)
        expected = _b64url(hmac.new(key.encode(), payload.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(signature, expected):
            raise OIDCError("the sign-in state was tampered with: start again")
        padded = payload + "=" * (-len(payload) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded))
        transaction = cls(**data)
        if now > transaction.expires:
            raise OIDCError("the sign-in took too long: start again")
        return transaction


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    username: str
    display_name: str | None
    role: Role
    claims: dict[str, Any]


def claim_values(claims: dict[str, Any], path: str) -> list[str]:
    """Every value at a dotted claim path; lists are searched at each step
    (``nhsid_nrbac_roles.role_code`` finds the role code of each of a CIS2 user's roles)."""
    current: list[Any] = [claims]
    for part in path.split("."):
        found: list[Any] = []
        for item in current:
            if isinstance(item, dict) and part in item:
                value = item[part]
                found.extend(value if isinstance(value, list) else [value])
        current = found
    values: list[str] = []
    for item in current:
        if isinstance(item, str):
            values.extend(item.split() if " " in item else [item])
        elif isinstance(item, int | float | bool):
            values.append(str(item))
    return values


def map_role(claims: dict[str, Any], path: str, role_map: dict[str, str]) -> Role | None:
    """The first role of ``role_map`` (in its order) whose claim value the identity carries."""
    carried = set(claim_values(claims, path))
    for value, role in role_map.items():
        if value in carried:
            return Role(role)
    return None


@dataclass
class OIDCClient:
    """Talks to one OpenID provider; ``http`` builds the httpx client (tests may swap it)."""

    settings: Settings
    http: Callable[[], httpx.Client] = field(default=lambda: httpx.Client(timeout=10.0))
    clock: Callable[[], float] = time.time
    _discovery: dict[str, Any] | None = None
    _discovered_at: float = 0.0
    _jwks: jwt.PyJWKSet | None = None

    @property
    def issuer(self) -> str:
        if not self.settings.oidc_issuer:
            raise OIDCError("OpenID Connect sign-in is not configured")
        return self.settings.oidc_issuer.rstrip("/")

    def discovery(self) -> dict[str, Any]:
        if self._discovery is None or self.clock() - self._discovered_at > DISCOVERY_SECONDS:
            url = self.issuer + "/.well-known/openid-configuration"
            document = self._get_json(url)
            if str(document.get("issuer", "")).rstrip("/") != self.issuer:
                raise OIDCError("the identity provider's discovery names another issuer")
            for key in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
                if not isinstance(document.get(key), str):
                    raise OIDCError(f"the identity provider's discovery lacks {key}")
            self._discovery = document
            self._discovered_at = self.clock()
            self._jwks = None
        return self._discovery

    def _get_json(self, url: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        try:
            with self.http() as client:
                response = client.get(url, headers=headers)
                response.raise_for_status()
                data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise OIDCError(f"the identity provider did not answer ({type(exc).__name__})")
        if not isinstance(data, dict):
            raise OIDCError("the identity provider answered something unexpected")
        return data

    def begin(self, *, redirect_uri: str, next_path: str) -> tuple[str, Transaction]:
        """The provider URL to send the browser to, and the transaction for the cookie."""
        document = self.discovery()
        transaction = Transaction(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            verifier=secrets.token_urlsafe(64),
            next_path=next_path,
            expires=self.clock() + TRANSACTION_SECONDS,
        )
        params = {
            "response_type": "code",
            "client_id": self.settings.oidc_client_id or "",
            "redirect_uri": redirect_uri,
            "scope": self.settings.oidc_scopes,
            "state": transaction.state,
            "nonce": transaction.nonce,
            "code_challenge": pkce_challenge(transaction.verifier),
            "code_challenge_method": "S256",
        }
        url = httpx.URL(document["authorization_endpoint"]).copy_merge_params(params)
        return str(url), transaction

    def complete(
        self, *, code: str, state: str, transaction: Transaction, redirect_uri: str
    ) -> Identity:
        """Check the state, exchange the code, verify the ID token; the identity signed in."""
        if not state or not hmac.compare_digest(state, transaction.state):
            raise OIDCError("the sign-in state does not match: start again")
        document = self.discovery()
        tokens = self._exchange(document["token_endpoint"], code, transaction, redirect_uri)
        id_token = tokens.get("id_token")
        if not isinstance(id_token, str):
            raise OIDCError("the identity provider returned no ID token")
        claims = self.verify_id_token(id_token, nonce=transaction.nonce)
        if self.settings.oidc_use_userinfo and document.get("userinfo_endpoint"):
            access = tokens.get("access_token")
            if not isinstance(access, str):
                raise OIDCError("the identity provider returned no access token")
            info = self._get_json(
                document["userinfo_endpoint"], headers={"Authorization": f"Bearer {access}"}
            )
            if info.get("sub") != claims["sub"]:
                raise OIDCError("the user information is about someone else")
            claims = {**info, **claims}
        role = map_role(claims, self.settings.oidc_role_claim, self.settings.oidc_role_map)
        if role is None:
            raise OIDCError("your account has no Homeward role: ask the service desk for one")
        username = claims.get(self.settings.oidc_username_claim) or claims.get("email")
        return Identity(
            issuer=self.issuer,
            subject=str(claims["sub"]),
            username=str(username or claims["sub"]),
            display_name=claims.get("name") if isinstance(claims.get("name"), str) else None,
            role=role,
            claims=claims,
        )

    def _exchange(
        self, endpoint: str, code: str, transaction: Transaction, redirect_uri: str
    ) -> dict[str, Any]:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": transaction.verifier,
            "client_id": self.settings.oidc_client_id or "",
        }
        headers: dict[str, str] = {}
        secret = self.settings.oidc_client_secret
        if secret and self.settings.oidc_token_auth == "client_secret_basic":
            # RFC 6749 §2.3.1: each part form-urlencoded, then HTTP Basic
            pair = f"{quote(self.settings.oidc_client_id or '', safe='')}:{quote(secret, safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
        elif secret:
            data["client_secret"] = secret
        try:
            with self.http() as client:
                response = client.post(endpoint, data=data, headers=headers)
        except httpx.HTTPError as exc:
            raise OIDCError(f"the identity provider did not answer ({type(exc).__name__})")
        if response.status_code != 200:
            raise OIDCError("the identity provider refused the sign-in code")
        try:
            tokens = response.json()
        except ValueError:
            raise OIDCError("the identity provider answered something unexpected")
        if not isinstance(tokens, dict):
            raise OIDCError("the identity provider answered something unexpected")
        return tokens

    def _signing_key(self, kid: str | None) -> jwt.PyJWK:
        for attempt in range(2):
            if self._jwks is None or attempt == 1:
                self._jwks = jwt.PyJWKSet.from_dict(self._get_json(self.discovery()["jwks_uri"]))
            keys = self._jwks.keys
            match = [k for k in keys if kid is None or k.key_id == kid]
            if match:
                return match[0]
        raise OIDCError("the ID token is signed with a key the identity provider does not list")

    def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        """The claims of a valid ID token for this client and this sign-in (nonce)."""
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError:
            raise OIDCError("the ID token is malformed")
        algorithm = header.get("alg")
        supported = self.discovery().get("id_token_signing_alg_values_supported") or ["RS256"]
        if algorithm not in ALLOWED_ALGORITHMS or algorithm not in _as_list(supported):
            raise OIDCError(f"the ID token algorithm {algorithm!r} is not accepted")
        key = self._signing_key(header.get("kid"))
        client_id = self.settings.oidc_client_id or ""
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key.key,
                algorithms=[algorithm],
                audience=client_id,
                issuer=self._discovery["issuer"] if self._discovery else self.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.InvalidSignatureError:
            raise OIDCError("the ID token signature is not valid")
        except jwt.PyJWTError as exc:
            raise OIDCError(f"the ID token is not valid ({type(exc).__name__})")
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != client_id:
            raise OIDCError("the ID token was issued to another client")
        if not isinstance(claims.get("nonce"), str) or not hmac.compare_digest(
            claims["nonce"], nonce
        ):
            raise OIDCError("the ID token nonce does not match this sign-in")
        return claims


def _as_list(value: Any) -> Iterable[str]:
    return value if isinstance(value, list) else [value]
