"""Every reason a batch or a row is rejected, and every warning, in one place.

Each reason has a stable code, a message template a person can act on, and the advice shown
in ``docs/feeds.md`` (a test keeps the two in step). Field templates receive ``column``,
``value`` (already shortened and, for NHS numbers, masked), ``description`` and ``example``
from the column's contract, plus anything the check adds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

ReasonKind = Literal["file", "row", "warning"]


@dataclass(frozen=True)
class RejectionReason:
    code: str
    kind: ReasonKind  # file: the whole batch fails; row: the row is quarantined; warning: kept
    template: str
    what_to_do: str

    def render(self, **context: Any) -> str:
        return self.template.format(**context)


_REASONS = [
    # --- the whole file -------------------------------------------------------------------
    RejectionReason(
        "file_empty",
        "file",
        "the file is empty — send the header row and one row per record",
        "Check the export or query that produced the file ran and wrote its rows.",
    ),
    RejectionReason(
        "file_not_utf8",
        "file",
        "the file is not UTF-8 text: line {line}, byte {byte} is {bad_bytes} — export it as "
        "'CSV UTF-8' (Excel: Save As → CSV UTF-8) or ask the sending system for UTF-8",
        "Re-export as UTF-8. Files saved as 'CSV' by Excel on Windows are Windows-1252: "
        "names with accents (é, ö) or a £ sign break them.",
    ),
    RejectionReason(
        "file_not_csv",
        "file",
        "line {line}: the file is not readable CSV ({problem}) — export it as 'CSV UTF-8'",
        "Check the file is a CSV export (not a spreadsheet or a PDF renamed .csv).",
    ),
    RejectionReason(
        "missing_column",
        "file",
        "the header lacks required column(s) {missing}{suggestion} — the {feed} header must "
        "have: {columns}",
        "Add the column to the header row (spelling as in the contract; case and spaces "
        "around names do not matter), or add a column mapping for your layout.",
    ),
    RejectionReason(
        "duplicate_column",
        "file",
        "column '{column}' appears more than once in the header — keep one",
        "Remove the repeated column from the export.",
    ),
    RejectionReason(
        "unknown_layout",
        "file",
        "there is no column layout '{layout}' for {feed} — known layouts: {layouts}",
        "Use a layout named in the column mappings file, or add one there.",
    ),
    RejectionReason(
        "unknown_feed",
        "file",
        "'{feed}' is not a feed — send one of: {feeds}",
        "Use one of the four feed names in the folder, URL or command.",
    ),
    RejectionReason(
        "json_invalid",
        "file",
        "the JSON is malformed at line {line}, column {col} (item {item}): {problem} — send "
        "valid JSON",
        "Check the body with a JSON validator; a body cut short in transit also shows here.",
    ),
    RejectionReason(
        "json_too_deep",
        "file",
        "the JSON nests lists or objects too deeply at line {line} (item {item}) — send a list "
        "of flat objects: one object per row, each value text, a number, true/false or null",
        "Flatten the export: a feed row holds plain values only (DESIGN §3).",
    ),
    RejectionReason(
        "line_too_long",
        "file",
        "line {line}: the {what} is longer than {limit_kib} KiB (HOMEWARD_MAX_LINE_KIB) — no "
        "feed row is that long; check the export (a quote left open runs on to the end)",
        "Usually a quote that is never closed, or a binary file: fix the export and resend. "
        "Rows before the line are not loaded either (the batch is all-or-nothing).",
    ),
    RejectionReason(
        "json_not_list",
        "file",
        "the JSON body is not a list of objects: {found} — send an array with one object per "
        'row, e.g. [{{"snapshot_at": "2025-01-15T08:00", ...}}]',
        "Send a JSON array of objects whose keys are the contract's column names.",
    ),
    # --- one row: the row is quarantined, the rest of the batch is kept --------------------
    RejectionReason(
        "truncated_row",
        "row",
        "the row has {fields} field(s) but the header has {header_fields} — the line looks cut "
        "short; send the whole row",
        "Usually the last line of a file that was cut off in transfer: resend the file.",
    ),
    RejectionReason(
        "too_many_fields",
        "row",
        "the row has {fields} fields but the header has {header_fields} — a value probably "
        "contains an unquoted comma; quote it",
        'Put values that contain commas in double quotes ("Ward 3, East").',
    ),
    RejectionReason(
        "required",
        "row",
        "{column}: missing — send {description}, e.g. {example}",
        "Fill the value in the source system; this column may not be empty.",
    ),
    RejectionReason(
        "not_scalar",
        "row",
        "{column}: {value} is a JSON {found}, not a single value — send {description}, "
        "e.g. {example}",
        "Send one plain value per key (text, number, true/false or null).",
    ),
    RejectionReason(
        "not_integer",
        "row",
        "{column}: '{value}' is not a whole number — send {description}, e.g. {example}",
        "Send digits only: no decimals, units, spaces or thousands separators.",
    ),
    RejectionReason(
        "negative",
        "row",
        "{column}: '{value}' is negative — send {description} (0 or more), e.g. {example}",
        "Counts and capacities cannot be below zero; send 0 if there are none.",
    ),
    RejectionReason(
        "not_number",
        "row",
        "{column}: '{value}' is not a number — send {description}, e.g. {example}",
        "Send a number with a decimal point if needed (37.5), no units.",
    ),
    RejectionReason(
        "not_timestamp",
        "row",
        "{column}: '{value}' is not an ISO 8601 date and time — send e.g. {example} "
        "(UK local time) or with an offset, e.g. 2025-01-15T08:00:00Z",
        "Use YYYY-MM-DDTHH:MM[:SS] with an optional offset (Z, +01:00); without an offset the "
        "time is read as Europe/London local time.",
    ),
    RejectionReason(
        "not_date",
        "row",
        "{column}: '{value}' is not a date — send YYYY-MM-DD, e.g. {example}",
        "Use the ISO date form YYYY-MM-DD (not 15/01/2025), or a column mapping with a format.",
    ),
    RejectionReason(
        "not_boolean",
        "row",
        "{column}: '{value}' is not true or false — send true or false",
        "Send true/false (TRUE/FALSE, 1/0 and yes/no are accepted too).",
    ),
    RejectionReason(
        "not_allowed",
        "row",
        "{column}: '{value}' is not one of {allowed} — send {description}",
        "Send one of the listed values (case does not matter, spaces become underscores).",
    ),
    RejectionReason(
        "too_long",
        "row",
        "{column}: the value is {length} characters, more than {max_length} — send {description}",
        "Shorten the value in the source system.",
    ),
    RejectionReason(
        "bad_characters",
        "row",
        "{column}: '{value}' holds a control character or an unpaired surrogate ({found}) — "
        "send plain text, e.g. {example}",
        "Remove the character in the source system (often a NUL or a stray escape from a "
        "broken export); neither database can store it.",
    ),
    RejectionReason(
        "implausible_number",
        "row",
        "{column}: '{value}' is more than {maximum}, the most a row may hold — send "
        "{description}, e.g. {example}",
        "Check the value (a unit or a misplaced decimal point?). The bound is a setting "
        "(HOMEWARD_MAX_COUNT, HOMEWARD_MAX_HOURS_PER_WEEK).",
    ),
    RejectionReason(
        "implausible_time",
        "row",
        "{column}: '{value}' is not between {earliest} and {latest} — check the year",
        "A year typed wrong, or a placeholder date (0001-01-01, 1900-01-01, 9999-12-31) in the "
        "source; HOMEWARD_EARLIEST_TIMESTAMP sets the earliest time.",
    ),
    RejectionReason(
        "implausible_date",
        "row",
        "{column}: '{value}' is not between {earliest} and {latest} — check the year",
        "A year typed wrong or a placeholder date; a planned date may lie at most one "
        "longest spell (HOMEWARD_MAX_SPELL_YEARS) ahead.",
    ),
    RejectionReason(
        "spell_too_long",
        "row",
        "admitted_at: '{value}' is {days} days before the census (or the discharge), more than "
        "the {max_days} days a spell may last — check the admission time",
        "Usually a placeholder or mistyped admission year. HOMEWARD_MAX_SPELL_YEARS sets the "
        "longest spell (default 5 years).",
    ),
    RejectionReason(
        "bad_site_code",
        "row",
        "{column}: '{value}' is not an ODS site code — send the 3 to 12 letters and digits of "
        "the site's ODS code, e.g. {example}",
        "Use the site's ODS code (trust code + site suffix, e.g. RXA01), not its name.",
    ),
    RejectionReason(
        "bad_cqc_id",
        "row",
        "{column}: '{value}' is not a CQC location id — send '1-' followed by digits, "
        "e.g. {example}",
        "Use the CQC location id (not the provider id) exactly as CQC publishes it.",
    ),
    RejectionReason(
        "bad_council_code",
        "row",
        "{column}: '{value}' is not an ONS local authority code — send a letter and 8 digits, "
        "e.g. {example}",
        "Use the council's ONS code (E06…, E08…, E09…, E10…), not its name.",
    ),
    RejectionReason(
        "bad_nhs_number",
        "row",
        "{column}: '{value}' is not a valid NHS number (10 digits whose last is the modulus 11 "
        "check digit) — check it was copied correctly, or leave it empty",
        "Correct the number in the source system. The number is never stored: quarantine "
        "shows only its first three digits.",
    ),
    RejectionReason(
        "unknown_reason_code",
        "row",
        "{column}: '{value}' is not a code of the reason catalogue — send one of the catalogue "
        "codes, e.g. P1_HOMECARE, or a historic DTOC code (A–I, O)",
        "Map local reasons onto the catalogue (table below); unknown codes are never guessed.",
    ),
    RejectionReason(
        "unknown_contributing_code",
        "row",
        "{column}: '{listed}' (in '{value}') is not a code of the reason catalogue — list "
        "catalogue codes separated by ';', e.g. ASSESS_SOCIAL;EQUIPMENT",
        "Map local reasons onto the catalogue (table below); unknown codes are never guessed.",
    ),
    RejectionReason(
        "too_many_contributing_codes",
        "row",
        "{column}: {count} codes in '{value}' — at most {max_codes} contributing reasons are "
        "kept; send the ones that hold the patient up most",
        "List the main contributing reasons only.",
    ),
    RejectionReason(
        "future_timestamp",
        "row",
        "{column}: '{value}' is {minutes} minutes in the future (more than the {tolerance} "
        "minutes allowed) — check the sending system's clock and time zone",
        "A clock set wrong or a UTC time sent as local time (or the reverse).",
    ),
    RejectionReason(
        "reason_required",
        "row",
        "delay_reason_code: missing for a patient who no longer meets the criteria to reside "
        "(discharge_ready_date {drd} is on or before the census date {census_date}) and is "
        "still in hospital — send what they are waiting for, e.g. P1_HOMECARE",
        "Record the delay reason at the board round as soon as the DRD is set.",
    ),
    RejectionReason(
        "drd_before_admission",
        "row",
        "discharge_ready_date: '{value}' is before the admission date {admission_date} — check "
        "both dates",
        "A DRD cannot precede the admission: one of the two dates is wrong.",
    ),
    RejectionReason(
        "discharged_before_admitted",
        "row",
        "discharged_at: '{value}' is before admitted_at {admitted_at} — check both times",
        "One of the two timestamps is wrong (often a date typed the wrong way round).",
    ),
    RejectionReason(
        "duplicate_row",
        "row",
        "exact duplicate of line {line} — send each row once",
        "Remove the repeated row; the first copy was loaded.",
    ),
    RejectionReason(
        "conflicting_duplicate",
        "row",
        "duplicate of line {line}: the same {key} with different values — send one row per {key}",
        "Only the first row was loaded; fix the source so each key appears once per snapshot.",
    ),
    # --- warnings: the row (or batch) is accepted and a data-quality warning recorded -------
    RejectionReason(
        "occupied_over_open",
        "warning",
        "beds_occupied {occupied} is more than the beds open ({core} core + {escalation} "
        "escalation) — accepted; check the open beds are up to date",
        "It happens (patients in unfunded spaces); if it persists, the ward's open beds are "
        "probably out of date.",
    ),
    RejectionReason(
        "occupied_over_capacity",
        "warning",
        "occupied {occupied} is more than max_capacity {max_capacity} — accepted; check the "
        "home's capacity",
        "Update the home's maximum capacity in the Capacity Tracker.",
    ),
    RejectionReason(
        "unknown_columns",
        "warning",
        "column(s) {columns} are not part of the {feed} contract and were ignored",
        "Harmless; remove them from the export, or map them with a column layout.",
    ),
    RejectionReason(
        "no_rows",
        "warning",
        "the batch has no rows (a header only, or an empty list) — nothing was loaded",
        "Check the export selected the right period or sites.",
    ),
]

REASONS: dict[str, RejectionReason] = {r.code: r for r in _REASONS}


def reason_message(code: str, **context: Any) -> str:
    """The message of reason ``code`` with its placeholders filled in."""
    return REASONS[code].render(**context)


def reasons_markdown() -> str:
    """The table of every reason, for ``docs/feeds.md``."""
    lines = [
        "| Code | Effect | Message | What to do |",
        "|---|---|---|---|",
    ]
    effect = {"file": "batch fails", "row": "row quarantined", "warning": "warning, kept"}
    for reason in _REASONS:
        message = reason.template.replace("{{", "{").replace("}}", "}").replace("|", "\\|")
        lines.append(
            f"| `{reason.code}` | {effect[reason.kind]} | {message} | {reason.what_to_do} |"
        )
    return "\n".join(lines)


def contracts_markdown() -> str:
    """The column tables of the four contracts, for ``docs/feeds.md``: read off the row
    models' fields (``ingest.contracts.columns``)."""
    from ingest.contracts.columns import FEED_SPECS  # the contracts import this module

    parts = []
    for feed, specs in FEED_SPECS.items():
        lines = [
            f"### {feed}",
            "",
            "| Column | Type / allowed values | Required | What it holds | Example |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| `{c.name}` | {c.type} | {'yes' if c.required else 'may be empty'} | "
            f"{c.description} | `{c.example}` |"
            for c in specs
        ]
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def catalogue_markdown() -> str:
    """The reason catalogue as a table, for ``docs/feeds.md``."""
    from app.domain.reason_catalogue import reason_catalogue

    lines = [
        "| Code | DTOC | Category | Default agency | Internal | Label | Why internal or external |",
        "|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| `{r.code}` | {r.dtoc_code} | {r.category} | {r.default_agency} | "
        f"{'yes' if r.internal else 'no'} | {r.label} | {r.internal_why} |"
        for r in reason_catalogue().values()
    ]
    return "\n".join(lines)


GENERATED = {
    "contracts": contracts_markdown,
    "reasons": reasons_markdown,
    "catalogue": catalogue_markdown,
}


def render_doc(text: str) -> str:
    """``text`` with each ``<!-- generated: NAME -->`` … ``<!-- end -->`` block refreshed."""
    for name, make in GENERATED.items():
        start = f"<!-- generated: {name} (python -m ingest.reasons docs/feeds.md) -->\n"
        head, found, rest = text.partition(start)
        if not found:
            continue
        _, _, tail = rest.partition("<!-- end -->")
        text = f"{head}{start}{make()}\n<!-- end -->{tail}"
    return text


if __name__ == "__main__":  # python -m ingest.reasons docs/feeds.md
    import sys
    from pathlib import Path

    doc = Path(sys.argv[1])
    doc.write_text(render_doc(doc.read_text(encoding="utf-8")), encoding="utf-8")
