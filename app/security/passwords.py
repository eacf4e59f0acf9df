"""Password hashing with argon2id (argon2-cffi's defaults: RFC 9106 low-memory profile)."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import astuple

from argon2 import Parameters, PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import get_default_parameters

MIN_LENGTH = 12
# The parameters new hashes are made with. Tests swap in argon2.profiles.CHEAPEST (see
# tests.security_helpers.fast_password_hashing): a real hash takes most of a second here.
profile: Parameters = get_default_parameters()  # RFC 9106 low-memory


_hashers: dict[tuple[object, ...], PasswordHasher] = {}
_dummies: dict[tuple[object, ...], str] = {}


def _hasher() -> PasswordHasher:
    key = astuple(profile)
    if key not in _hashers:
        _hashers[key] = PasswordHasher.from_parameters(profile)
    return _hashers[key]


def hash_password(password: str) -> str:
    """An argon2id hash (salt and parameters included) of ``password``."""
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; False for a missing or malformed hash, never an error."""
    if not password_hash:
        _equalise_timing(password)
        return False
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher().check_needs_rehash(password_hash)


def _dummy_hash() -> str:
    key = astuple(profile)
    if key not in _dummies:
        _dummies[key] = _hasher().hash("homeward-no-such-user")
    return _dummies[key]


def _equalise_timing(password: str) -> None:
    """Spend as long on an unknown user as on a wrong password, so timing reveals no names."""
    with suppress(VerificationError):
        _hasher().verify(_dummy_hash(), password)


def check_policy(password: str, *, username: str) -> str | None:
    """Why a new password is refused, or None when it is acceptable (NCSC: length, not rules)."""
    if len(password) < MIN_LENGTH:
        return f"a password needs at least {MIN_LENGTH} characters"
    if username and username.lower() in password.lower():
        return "a password must not contain the username"
    return None
