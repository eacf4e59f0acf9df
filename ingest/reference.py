"""Reference data written into the store from files: the delay reason catalogue (DESIGN.md §5)
from its versioned file, and the organisations (trusts and councils to a system and region, by
effective date) from a reference folder's ``organisations.csv``."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.domain.reason_catalogue import CatalogueError, reason_catalogue
from ingest.bulk import upsert
from models import DelayReason, OrganisationMapping
from models.reference import ORGANISATION_KINDS


def sync_reason_catalogue(session: Session) -> int:
    """Make the ``delay_reasons`` table equal the catalogue file; returns rows written.

    A code whose ``internal`` flag differs from the stored one under the same
    ``catalogue_version`` is refused (:class:`CatalogueError`): a change of flag is a new
    version of the catalogue, so a figure can always say which catalogue it was counted under.
    """
    existing = {r.code: r for r in session.scalars(select(DelayReason))}
    written = 0
    for reason in reason_catalogue().values():
        row = existing.get(reason.code)
        if row is None:
            session.add(DelayReason(**reason.__dict__))
            written += 1
        elif any(getattr(row, k) != v for k, v in reason.__dict__.items()):
            if (
                row.internal != reason.internal
                and row.catalogue_version == reason.catalogue_version
            ):
                raise CatalogueError(
                    f"{reason.code}: the internal flag changed but the catalogue version is "
                    f"still {reason.catalogue_version}; a change of flag is a new version"
                )
            for k, v in reason.__dict__.items():
                setattr(row, k, v)
            written += 1
    session.flush()
    return written


#: the columns of the reference ``organisations.csv``
ORGANISATION_COLUMNS = (
    "org_code",
    "org_kind",
    "icb_code",
    "icb_name",
    "region_code",
    "region_name",
    "effective_from",
)


def load_organisations(session: Session, file: Path) -> int:
    """Upsert ``organisations.csv`` (one row per trust or council and ``effective_from`` date:
    the system and region it belongs to from that day) into ``organisation_mappings``.

    Rows are keyed by (org_code, effective_from), so a merger is a new row with a later date and
    the earlier row still answers for the periods before it. The table is made equal to the
    file (in the caller's transaction). Returns the rows in the file."""
    rows: list[dict[str, object]] = []
    seen: set[tuple[str, date]] = set()
    with file.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in ORGANISATION_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{file}: missing column(s) {', '.join(missing)}")
        for record in reader:
            line = reader.line_num
            values = {k: (record.get(k) or "").strip() for k in ORGANISATION_COLUMNS}
            kind = values["org_kind"].lower()
            if kind not in ORGANISATION_KINDS:
                raise ValueError(
                    f"{file}, line {line}: org_kind '{values['org_kind']}' must be trust or council"
                )
            empty = [k for k in ORGANISATION_COLUMNS if not values[k]]
            if empty:
                raise ValueError(f"{file}, line {line}: {', '.join(empty)} must not be empty")
            try:
                effective_from = date.fromisoformat(values["effective_from"])
            except ValueError:
                raise ValueError(
                    f"{file}, line {line}: effective_from '{values['effective_from']}' "
                    "is not a date (YYYY-MM-DD)"
                ) from None
            key = (values["org_code"].upper(), effective_from)
            if key in seen:
                raise ValueError(
                    f"{file}, line {line}: {key[0]} from {effective_from} appears twice"
                )
            seen.add(key)
            rows.append(
                {
                    "org_code": key[0],
                    "effective_from": effective_from,
                    "org_kind": kind,
                    "icb_code": values["icb_code"].upper(),
                    "icb_name": values["icb_name"],
                    "region_code": values["region_code"].upper(),
                    "region_name": values["region_name"],
                }
            )
    # the file is the whole configuration: a row taken out of it (a correction) goes too
    session.execute(delete(OrganisationMapping))
    upsert(session, OrganisationMapping, rows, key=["org_code", "effective_from"])
    session.flush()
    return len(rows)
