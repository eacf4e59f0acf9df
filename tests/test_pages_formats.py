"""How numbers and times are written on the pages."""

from __future__ import annotations

from datetime import UTC, date, datetime

from dashboards import formats


def test_numbers_and_percentages() -> None:
    assert formats.number(1234) == "1,234"
    assert formats.number(12.345, 1) == "12.3"
    assert formats.number(None) == "–"
    assert formats.number(float("nan")) == "–"
    assert formats.percent(92.41) == "92.4%"
    assert formats.fraction_percent(0.9241) == "92.4%"
    assert formats.percent(None) == "–"


def test_changes_carry_a_true_minus_sign() -> None:
    assert formats.signed(3) == "+3"
    assert formats.signed(-2) == "−2"
    assert formats.signed(0) == "0"
    assert formats.signed(None) == "–"


def test_times_are_shown_in_europe_london() -> None:
    summer = datetime(2026, 7, 1, 7, 15, tzinfo=UTC)
    winter = datetime(2026, 11, 24, 9, 15, tzinfo=UTC)
    assert formats.date_time(summer) == "08:15 Wed 1 Jul 2026"
    assert formats.date_time(winter) == "09:15 Tue 24 Nov 2026"
    assert formats.short_date_time(winter) == "09:15 Tue 24 Nov"
    assert formats.as_of(winter) == "Data as of 09:15 Tue 24 Nov 2026"
    assert formats.as_of(None) == "Data as of: no data yet"
    assert formats.day(date(2026, 11, 24)) == "Tue 24 Nov 2026"


def test_ages_and_codes_in_words() -> None:
    assert formats.age(45 * 60) == "45 min"
    assert formats.age(3 * 3600 + 600) == "3 h 10 min"
    assert formats.age(3 * 86400) == "3 days"
    assert formats.pathway(3) == "P3"
    assert formats.pathway(None) == "Not set"
    assert formats.agency("social_care") == "Social care"
