"""NHS number validation (modulus 11) and keyed pseudonymisation."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from operator import mul

SYNTHETIC_LOW = 9_990_000_000
SYNTHETIC_HIGH = 9_999_999_999


_WEIGHTS = tuple(range(10, 1, -1))


def check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit for nine digits, or None when the number cannot be valid."""
    if len(first_nine) != len(_WEIGHTS):
        raise ValueError(f"nine digits expected, not {len(first_nine)}")
    total: int = sum(map(mul, map(int, first_nine), _WEIGHTS))
    digit = 11 - (total % 11)
    if digit == 11:
        return 0
    if digit == 10:
        return None
    return digit


def normalise(value: str) -> str:
    """Strip the spaces and dashes people write NHS numbers with."""
    return value.replace(" ", "").replace("-", "")


def is_valid(value: str) -> bool:
    """True for ten digits whose last is the right modulus-11 check digit."""
    digits = normalise(value)
    if len(digits) != 10 or not digits.isdigit():
        return False
    return check_digit(digits[:9]) == int(digits[9])


def is_synthetic(value: str) -> bool:
    """True for a valid number in the never-issued range 999 000 0000 – 999 999 9999."""
    digits = normalise(value)
    return is_valid(digits) and SYNTHETIC_LOW <= int(digits) <= SYNTHETIC_HIGH


def pseudonymise(value: str, key: str) -> str:
    """A keyed pseudonym (HMAC-SHA256, hex) of an NHS number; the key stays out of the store."""
    inner, outer = _keyed(key)
    digest = inner.copy()
    digest.update(normalise(value).encode())
    result = outer.copy()
    result.update(digest.digest())
    return result.hexdigest()


_BLOCK = hashlib.sha256().block_size


@lru_cache(maxsize=8)
def _keyed(key: str) -> tuple[hashlib._Hash, hashlib._Hash]:
    """HMAC-SHA256 (RFC 2104) of ``key`` up to the message: its inner and outer hashes, fed
    with the padded key once, then copied for each number (as ``hmac`` does inside, without
    setting the key up again for every number)."""
    secret = key.encode()
    if len(secret) > _BLOCK:
        secret = hashlib.sha256(secret).digest()
    secret = secret.ljust(_BLOCK, b"\0")
    inner = hashlib.sha256(bytes(b ^ 0x36 for b in secret))
    outer = hashlib.sha256(bytes(b ^ 0x5C for b in secret))
    return inner, outer
