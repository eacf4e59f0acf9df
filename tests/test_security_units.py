"""Pure pieces of the security core: argon2 passwords, CSV formula neutralising, token
buckets, the role table's path patterns, secrets and their digests."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from app.security import csv_safety, passwords, ratelimit, tokens
from app.security.roles import API_RULES, PAGE_RULES, Role, path_matches, rule_for

# --- passwords ------------------------------------------------------------------------------


def test_argon2_hash_verifies_and_salts() -> None:
    first = passwords.hash_password("correct horse battery")
    second = passwords.hash_password("correct horse battery")
    assert first.startswith("$argon2id$")
    assert first != second  # a fresh salt each time
    assert "correct horse battery" not in first
    assert passwords.verify_password(first, "correct horse battery")
    assert not passwords.verify_password(first, "correct horse batterY")
    assert not passwords.needs_rehash(first)


@pytest.mark.parametrize("stored", [None, "", "not-a-hash", "$argon2id$v=19$m=1,t=1,p=1$x$y"])
def test_a_missing_or_malformed_hash_never_verifies(stored: str | None) -> None:
    assert passwords.verify_password(stored, "anything") is False


def test_password_policy() -> None:
    assert passwords.check_policy("short", username="ann") is not None
    assert passwords.check_policy("ann-is-a-long-password", username="ann") is not None
    assert passwords.check_policy("a sentence of words", username="ann") is None


# --- tokens ---------------------------------------------------------------------------------


def test_api_tokens_are_random_prefixed_and_digested() -> None:
    token = tokens.new_api_token()
    assert token.startswith("hw_") and len(token) >= 40
    assert token != tokens.new_api_token()
    assert len(tokens.digest(token)) == 64 and token not in tokens.digest(token)


# --- CSV formula injection ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2", "'-2"),  # TEXT starting with '-' is neutralised, even when it reads as a number
        ("-3+cmd|' /C calc'!A0", "'-3+cmd|' /C calc'!A0"),
        ("@cmd", "'@cmd"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("Awaiting care home", "Awaiting care home"),
        ("a=b", "a=b"),  # only the first character matters
        ("", ""),
        (None, ""),
        (-3, -3),  # a NUMBER is written as a number: it cannot carry a formula
        (-2.5, -2.5),
        (Decimal("-1.5"), Decimal("-1.5")),
        (0, 0),
        (True, True),
    ],
)
def test_neutralise(value: object, expected: object) -> None:
    assert csv_safety.neutralise(value) == expected


def test_to_csv_neutralises_every_cell_and_quotes() -> None:
    text = csv_safety.to_csv(["reason", "days"], [["=cmd()", -3], ['say "hi", then', 2]])
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["reason", "days"], ["'=cmd()", "-3"], ['say "hi", then', "2"]]
    assert text.endswith("\r\n")


# --- token buckets --------------------------------------------------------------------------


class Ticker:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_token_bucket_allows_a_burst_then_refills() -> None:
    clock = Ticker()
    bucket = ratelimit.TokenBucket(capacity=3, per_minute=6, what="tries", clock=clock)
    assert [bucket.hit("a") for _ in range(3)] == [None, None, None]
    wait = bucket.hit("a")
    assert wait == pytest.approx(10.0)  # 6 a minute: one every 10 s
    assert bucket.hit("b") is None  # keys are independent
    clock.t += 10
    assert bucket.hit("a") is None
    with pytest.raises(ratelimit.RateLimited) as refused:
        bucket.check("a")
    assert refused.value.retry_after == 10


def test_token_bucket_forgets_the_oldest_keys() -> None:
    bucket = ratelimit.TokenBucket(capacity=1, per_minute=1, what="x", clock=Ticker(), max_keys=2)
    for key in ("a", "b", "c"):
        bucket.hit(key)
    assert len(bucket._buckets) == 2 and "a" not in bucket._buckets


# --- the role table ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/api/v1/flow/**", "/api/v1/flow", True),
        ("/api/v1/flow/**", "/api/v1/flow/summary", True),
        ("/api/v1/flow/**", "/api/v1/flowers", False),
        ("/api/v1/feeds/*/batches", "/api/v1/feeds/beds/batches", True),
        ("/api/v1/feeds/*/batches", "/api/v1/feeds/beds/x/batches", False),
        ("/site/*/ward/*", "/site/RXA01/ward/A1", True),
        ("/site/*/ward/*", "/site/RXA01", False),
        ("/patient/*", "/patient/<spell_id>", True),
    ],
)
def test_path_patterns(pattern: str, path: str, expected: bool) -> None:
    assert path_matches(pattern, path) is expected


def test_patient_level_rules_are_for_coordinators_only() -> None:
    for rule in (*API_RULES, *PAGE_RULES):
        if rule.patient_level:
            assert rule.roles == frozenset({Role.COORDINATOR}), rule.pattern
    patients = rule_for("GET", "/api/v1/patients/delayed")
    assert patients is not None and patients.patient_level
    assert Role.ADMIN not in (patients.roles or ())  # Caldicott: the minimum necessary


def test_unknown_api_paths_have_no_rule() -> None:
    assert rule_for("GET", "/api/v1/new-thing") is None
    assert rule_for("DELETE", "/api/v1/flow/summary") is None
