"""NHS number modulus 11 and pseudonyms, checked against hand-worked examples."""

from __future__ import annotations

from app.domain.nhs_number import check_digit, is_synthetic, is_valid, pseudonymise


def test_check_digit_worked_example() -> None:
    # 999 000 001 ?: 9·10 + 9·9 + 9·8 + 0·7 + 0·6 + 0·5 + 0·4 + 0·3 + 1·2 = 90+81+72+2 = 245
    # 245 mod 11 = 3 (11·22 = 242); 11 − 3 = 8 → 999 000 0018
    assert check_digit("999000001") == 8
    assert is_valid("9990000018")
    assert is_valid("999 000 0018")
    assert not is_valid("9990000017")
    assert is_synthetic("9990000018")


def test_check_digit_eleven_becomes_zero_and_ten_is_invalid() -> None:
    # 999 000 003: 90+81+72+3·2 = 249; 249 mod 11 = 7; 11 − 7 = 4 → valid 9990000034
    assert check_digit("999000003") == 4
    # 999 000 007: 243+7·2 = 257; 257 mod 11 = 4; 11 − 4 = 7
    assert check_digit("999000007") == 7
    # 999 000 005: 243+10 = 253 = 11·23 → remainder 0 → 11 → check digit 0
    assert check_digit("999000005") == 0
    assert is_valid("9990000050")
    # 999 000 006: 243+12 = 255; 255 mod 11 = 2; 11 − 2 = 9
    assert check_digit("999000006") == 9
    # 999 000 004: 243+8 = 251; 251 mod 11 = 9; 11 − 9 = 2
    assert check_digit("999000004") == 2
    # 999 000 010: 243 + 1·3 = 246; 246 mod 11 = 4; 11-4 = 7
    assert check_digit("999000010") == 7
    # 999 000 100: 243 + 1·4 = 247; 247 mod 11 = 5; 6
    assert check_digit("999000100") == 6
    # 999 000 002: 243+4 = 247 → 6; 999 001 000: 243 + 1·5 = 248; 248 mod 11 = 6; 5
    assert check_digit("999001000") == 5
    # 999 000 009: 243+18 = 261; 261 mod 11 = 8; 3.  999 000 008: 243+16 = 259; 259 mod 11 = 6; 5
    assert check_digit("999000008") == 5
    # a remainder of 1 gives 10 → no valid number: 999 000 00x with 243+2x ≡ 1 (mod 11)
    # 243 mod 11 = 1 → x = 0: 999 000 000 → 10 → invalid
    assert check_digit("999000000") is None
    assert not any(is_valid(f"999000000{d}") for d in range(10))


def test_not_ten_digits() -> None:
    assert not is_valid("999000001")
    assert not is_valid("99900000188")
    assert not is_valid("99900A0018")


def test_synthetic_range() -> None:
    # only valid numbers in 999 000 0000 – 999 999 9999 are synthetic; a wrong check digit is not
    assert is_synthetic("9999999999") is is_valid("9999999999")
    assert not is_synthetic("9990000017")
    assert not is_synthetic("123")


def test_pseudonym_is_keyed_and_stable() -> None:
    a = pseudonymise("999 000 0018", "key-one")
    assert a == pseudonymise("9990000018", "key-one")
    assert a != pseudonymise("9990000018", "key-two")
    assert "9990000018" not in a and len(a) == 64
