"""A corpus of hostile and extreme feed files, generated deterministically (no randomness).

Each :class:`Case` is one file: for a row-level case, two good rows with the hostile row
between them (CSV lines 2, 3, 4; JSON items 1, 2, 3), and the outcome worked out by hand —
2 rows loaded, the hostile row quarantined at line 3 (item 2) with its column and a phrase of
its reason; for a file-level case, the rows read before the problem (``rows_in``) and the
file's reason. :func:`next_good_file` is the clean file sent after each one.

Only synthetic data: the one NHS number is 999 000 0018 (a valid check digit) with its last
digit written as a superscript.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

AT = "2025-01-15T08:00"  # every good row's snapshot (London winter time = UTC)
FEEDS = ("beds", "care_homes", "domiciliary", "patients")
#: a phrase of each reason's message (ingest/reasons.py), written out by hand
PHRASES = {
    "bad_characters": "control character or an unpaired surrogate",
    "implausible_time": "is not between 1990-01-01 and",
    "implausible_date": "is not between 1990-01-01 and",
    "implausible_number": "the most a row may hold",
    "spell_too_long": "days a spell may last",
    "not_timestamp": "is not an ISO 8601 date and time",
    "not_integer": "is not a whole number",
    "not_number": "is not a number",
    "negative": "is negative",
    "not_scalar": "not a single value",
    "too_long": "characters, more than",
    "not_allowed": "is not one of",
    "bad_council_code": "is not an ONS local authority code",
    "bad_cqc_id": "is not a CQC location id",
    "bad_nhs_number": "is not a valid NHS number",
    "unknown_contributing_code": "(in 'EQUIPMENT;NOT_A_CODE') is not a code of the reason",
    "too_many_contributing_codes": "at most 8 contributing reasons",
    "line_too_long": "KiB (HOMEWARD_MAX_LINE_KIB)",
    "json_too_deep": "nests lists or objects too deeply",
    "json_invalid": "the JSON is malformed",
    "file_not_csv": "the file is not readable CSV",
    "file_not_utf8": "the file is not UTF-8 text",
}


@dataclass(frozen=True)
class Case:
    """One hostile file and what loading it must give (worked out by hand)."""

    name: str
    feed: str
    fmt: str  # csv | json
    body: bytes
    column: str | None = None  # the quarantined row's column (row-level cases)
    reason: str = ""  # the reason code; its phrase is PHRASES[reason]
    file_level: bool = False
    rows_in: int = 3  # row-level: 3 rows (2 loaded + 1 quarantined)

    @property
    def file_name(self) -> str:
        return f"{self.name}.{self.fmt}"


def good_row(feed: str, tag: str, n: int) -> dict[str, str]:
    """A valid row of ``feed``; ``tag`` and ``n`` keep its key apart from every other file's."""
    if feed == "beds":
        return {
            "snapshot_at": AT,
            "site_code": "RXA01",
            "ward_code": f"W{tag}{n}"[:32],
            "ward_name": f"Ward {tag} {n}",
            "bed_base": "general_acute",
            "core_beds_open": "20",
            "escalation_beds_open": "2",
            "beds_occupied": "18",
            "beds_closed": "0",
        }
    if feed == "care_homes":
        return {
            "snapshot_at": AT,
            "cqc_location_id": f"1-{abs(hash_of(tag)) % 10**8 * 10 + n}",
            "home_name": f"Home {tag} {n}",
            "local_authority_code": "E06000015",
            "care_type": "residential",
            "max_capacity": "40",
            "occupied": "36",
            "vacant_reserved": "1",
            "vacant_accepting_admissions": "3",
            "accepting_admissions": "true",
        }
    if feed == "domiciliary":
        return {
            "snapshot_at": AT,
            "provider_id": f"HC{tag}{n}"[:40],
            "provider_name": f"Provider {tag} {n}",
            "local_authority_code": "E06000015",
            "zone": "North",
            "hours_available_per_week": "37.5",
            "packages_startable_next_7_days": "3",
        }
    return {  # patients: each file a site of its own, so no census infers another's discharge
        "snapshot_at": AT,
        "site_code": f"R{hash_of(tag) % 10**9:09d}",
        "ward_code": "W1",
        "spell_id": f"SP{tag}{n}"[:64],
        "local_patient_id": f"MRN{tag}{n}"[:64],
        "nhs_number": "",
        "age": "84",
        "admitted_at": "2025-01-10T14:30",
        "admission_method": "emergency",
        "expected_discharge_date": "2025-01-17",
        "discharge_ready_date": "",
        "pathway": "",
        "delay_reason_code": "",
        "delay_attributable_to": "",
        "local_authority_code": "",
        "day_status": "",
        "red_reason_code": "",
        "discharged_at": "",
        "discharge_destination": "",
        "contributing_reason_codes": "",
    }


def hash_of(text: str) -> int:
    """A stable small number of ``text`` (``hash`` of a str changes between processes)."""
    total = 7
    for char in text:
        total = (total * 131 + ord(char)) % 1_000_000_007
    return total


def _csv_field(value: str) -> str:
    if any(c in value for c in ',"\n\r'):
        return '"' + value.replace('"', '""') + '"'
    return value


def csv_body(rows: list[dict[str, Any]], header: list[str] | None = None) -> bytes:
    columns = header or list(rows[0])
    lines = [",".join(columns)]
    lines += [",".join(_csv_field(str(r[c])) for c in list(rows[0])) for r in rows]
    # a surrogate escape (\udce9) is written as the lone byte it stands for (0xE9)
    return ("\n".join(lines) + "\n").encode("utf-8", errors="surrogateescape")


def json_body(rows: list[dict[str, Any]]) -> bytes:
    return json.dumps(rows).encode()  # ASCII: a lone surrogate is sent as its \ud800 escape


# the count and the text column each feed is tried with
_COUNT = {
    "beds": "core_beds_open",
    "care_homes": "max_capacity",
    "domiciliary": "packages_startable_next_7_days",
    "patients": "age",
}
_TEXT = {
    "beds": "ward_name",
    "care_homes": "home_name",
    "domiciliary": "provider_name",
    "patients": "local_patient_id",
}


def _common(feed: str) -> list[tuple[str, Any, str, str]]:
    """(name, column, value, reason) every feed is tried with; both formats."""
    count, text = _COUNT[feed], _TEXT[feed]
    count_too_big = "not_allowed" if feed == "patients" else "implausible_number"
    return [
        ("year1_offset", "snapshot_at", "0001-01-01T00:00+01:00", "implausible_time"),
        ("year9999_offset", "snapshot_at", "9999-12-31T23:59-01:00", "implausible_time"),
        ("year1900", "snapshot_at", "1900-01-01T00:00", "implausible_time"),
        ("fullwidth_digits_time", "snapshot_at", "２０２５-01-15T08:00", "not_timestamp"),
        ("nul_in_text", text, "Ward\x003", "bad_characters"),
        ("escape_in_text", text, "\x1b[31mred", "bad_characters"),
        ("c1_control_in_text", text, "Ho\x85me", "bad_characters"),
        ("text_too_long", text, "x" * 201, "too_long"),
        ("superscript_count", count, "²", "not_integer"),
        ("arabic_indic_count", count, "١٢", "not_integer"),
        ("underscore_count", count, "1_000", "not_integer"),
        ("count_1e300", count, "1e300", count_too_big),
        ("count_1e308", count, "1e308", count_too_big),
        ("count_beyond_64_bits", count, "99999999999999999999999", count_too_big),
        ("count_beyond_2_31", count, "3000000000", count_too_big),
        ("count_nan", count, "NaN", "not_integer"),
        ("count_negative", count, "-1", "negative"),
    ]


def _only(feed: str) -> list[tuple[str, str, Any, str, str | None]]:
    """(name, column, value, reason, format or None for both) of one feed's own columns."""
    if feed == "beds":
        return [
            ("beds_in_billions", "beds_occupied", "2000000000", "implausible_number", None),
            ("bed_base_nul", "bed_base", "general_acute\x00", "bad_characters", None),
        ]
    if feed == "care_homes":
        return [
            ("cqc_arabic_digits", "cqc_location_id", "1-١٢٣٤٥", "bad_cqc_id", None),
            ("council_fullwidth", "local_authority_code", "E0600001５", "bad_council_code", None),
        ]
    if feed == "domiciliary":
        return [
            ("hours_1e308", "hours_available_per_week", "1e308", "implausible_number", None),
            ("hours_inf", "hours_available_per_week", "inf", "not_number", None),
            (
                "hours_over_bound",
                "hours_available_per_week",
                "100000.5",
                "implausible_number",
                None,
            ),
            ("hours_json_huge_int", "hours_available_per_week", 10**400, "not_number", "json"),
        ]
    return [
        ("nhs_superscript_digit", "nhs_number", "999000001⁸", "bad_nhs_number", None),
        ("admitted_year1", "admitted_at", "0001-01-01T00:00", "implausible_time", None),
        ("admitted_1900", "admitted_at", "1900-01-01T00:00+00:00", "implausible_time", None),
        ("spell_of_ten_years", "admitted_at", "2015-01-10T14:30", "spell_too_long", None),
        ("edd_year9999", "expected_discharge_date", "9999-12-31", "implausible_date", None),
        ("age_131", "age", "131", "not_allowed", None),
        ("spell_id_nul", "spell_id", "SP\x00X", "bad_characters", None),
        (
            "contributing_unknown_code",
            "contributing_reason_codes",
            "EQUIPMENT;NOT_A_CODE",
            "unknown_contributing_code",
            None,
        ),
        ("contributing_nul", "contributing_reason_codes", "EQUIPMENT\x00", "bad_characters", None),
        (
            "contributing_nine_codes",
            "contributing_reason_codes",
            "EQUIPMENT;HOUSING;CHOICE;DISPUTE;TRANSPORT;TTO;THERAPY;SAFEGUARDING;INFECTION",
            "too_many_contributing_codes",
            None,
        ),
    ]


def _json_only(feed: str) -> list[tuple[str, str, Any, str]]:
    count, text = _COUNT[feed], _TEXT[feed]
    too_big = "not_allowed" if feed == "patients" else "implausible_number"
    return [
        ("lone_surrogate", text, "Oak\ud800Lodge", "bad_characters"),
        ("lone_low_surrogate_alone", text, "\udc00", "bad_characters"),
        ("json_int_beyond_64_bits", count, 10**30, too_big),
        ("json_float_1e308", count, 1e308, too_big),
        ("json_nested_list", count, [[1]], "not_scalar"),
        ("json_nested_object", text, {"a": {"b": "c"}}, "not_scalar"),
        ("json_true_as_count", count, True, "not_integer"),
    ]


def _row_case(feed: str, fmt: str, name: str, column: str, value: Any, reason: str) -> Case:
    tag = f"{feed[:2]}{fmt[0]}{name}"
    rows: list[dict[str, Any]] = [good_row(feed, tag, 1), good_row(feed, tag, 2)]
    bad: dict[str, Any] = good_row(feed, tag, 3)
    bad[column] = value
    rows.insert(1, bad)
    body = csv_body(rows) if fmt == "csv" else json_body(rows)
    return Case(f"{feed}_{fmt}_{name}", feed, fmt, body, column=column, reason=reason)


def _file_cases(feed: str) -> list[Case]:
    """Files that fail as a whole, with the rows read before the problem (by hand)."""
    tag = f"{feed[:2]}file"
    first, second = good_row(feed, tag, 1), good_row(feed, f"{tag}b", 2)
    text = _TEXT[feed]
    long_line = dict(good_row(feed, tag, 2), **{text: "x" * (2 * 1024 * 1024)})  # 2 MiB
    deep = json.dumps([first]).encode()[:-1] + b', {"' + text.encode() + b'": '
    deep += b"[" * 100_000 + b"]" * 100_000 + b"}]"
    huge_digits = json.dumps([first]).encode()[:-1] + b', {"age": ' + b"9" * 5000 + b"}]"
    header_cr = csv_body([first]).replace(b",", b",\r", 1)  # a lone CR inside the header
    return [
        # the header cannot be read: no row was (rows_in 0)
        Case(
            f"{feed}_csv_carriage_return_in_header",
            feed,
            "csv",
            header_cr,
            reason="file_not_csv",
            file_level=True,
            rows_in=0,
        ),
        # a Windows-1252 'é' on line 4: the rows of lines 2 and 3 were read (rows_in 2)
        Case(
            f"{feed}_csv_windows_1252_byte_on_line_4",
            feed,
            "csv",
            csv_body([first, second, dict(first, **{text: "Caf\udce9"})]),
            reason="file_not_utf8",
            file_level=True,
            rows_in=2,
        ),
        # the same byte in item 3 of a JSON list: items 1 and 2 were read
        Case(
            f"{feed}_json_windows_1252_byte_in_item_3",
            feed,
            "json",
            json_body([first, second]).replace(b"]", b', {"x": "Caf\xe9"}]'),
            reason="file_not_utf8",
            file_level=True,
            rows_in=2,
        ),
        # the 2 MiB line is line 3: the row of line 2 was read (rows_in 1)
        Case(
            f"{feed}_csv_line_of_2_mib",
            feed,
            "csv",
            csv_body([first, long_line, good_row(feed, tag, 3)]),
            reason="line_too_long",
            file_level=True,
            rows_in=1,
        ),
        Case(
            f"{feed}_json_item_of_2_mib",
            feed,
            "json",
            json_body([first, long_line]),
            reason="line_too_long",
            file_level=True,
            rows_in=1,
        ),
        # item 2 nests 100,000 lists: item 1 was read
        Case(
            f"{feed}_json_nested_100000_deep",
            feed,
            "json",
            deep,
            reason="json_too_deep",
            file_level=True,
            rows_in=1,
        ),
        # item 2 holds a number of 5,000 digits (Python refuses more than 4,300)
        Case(
            f"{feed}_json_number_of_5000_digits",
            feed,
            "json",
            huge_digits,
            reason="json_invalid",
            file_level=True,
            rows_in=1,
        ),
    ]


def hostile_cases(feed: str) -> list[Case]:
    """Every hostile file of ``feed``, in a fixed order."""
    cases: list[Case] = []
    for fmt in ("csv", "json"):
        for name, column, value, reason in _common(feed):
            cases.append(_row_case(feed, fmt, name, column, value, reason))
        for name, column, value, reason, only in _only(feed):
            if only in (None, fmt):
                cases.append(_row_case(feed, fmt, name, column, value, reason))
    for name, column, value, reason in _json_only(feed):
        cases.append(_row_case(feed, "json", name, column, value, reason))
    return cases + _file_cases(feed)


def header_cases(feed: str) -> list[Case]:
    """A NUL in a CSV header name and a lone surrogate in a JSON key: unknown columns, warned
    about (escaped) and ignored — all 3 rows load (rows_in 3, nothing quarantined)."""
    csv_rows = [dict(good_row(feed, f"{feed[:2]}hdrc", n), **{"extra\x00": "v"}) for n in (1, 2, 3)]
    json_rows = [
        dict(good_row(feed, f"{feed[:2]}hdrj", n), **{"key\ud800": "v"}) for n in (1, 2, 3)
    ]
    return [
        Case(f"{feed}_csv_nul_in_header", feed, "csv", csv_body(csv_rows), reason=""),
        Case(f"{feed}_json_surrogate_key", feed, "json", json_body(json_rows), reason=""),
    ]


def next_good_file(feed: str, after: str) -> bytes:
    """A clean CSV of two rows sent after the file ``after``: it must load whole."""
    tag = f"{feed[:2]}next{hash_of(after)}"
    return csv_body([good_row(feed, tag, 1), good_row(feed, tag, 2)])


def all_cases() -> list[Case]:
    return [c for feed in FEEDS for c in hostile_cases(feed) + header_cases(feed)]
