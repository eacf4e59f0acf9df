"""Register the sites, wards, councils, care homes and providers the feeds name.

A code not seen before is registered with what the feed says about it (or a placeholder
name equal to its code) and a notice is recorded for the run, so the data team can see what
appeared. Every function works on a whole batch at once: one SELECT, one INSERT, and only
the changed rows updated — never a round trip per feed row.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TypeVar

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from ingest.bulk import table_of, upsert
from ingest.notices import NoticeSink
from ingest.reference import load_organisations
from models import CareHome, Council, HomeCareProvider, Site, Ward

WardKey = tuple[str, str]  # (site_code, ward_code)
WardSpec = tuple[str, str, str | None, str | None]  # site, ward, ward_name, bed_base
CareHomeSpec = tuple[str, str, str]  # cqc_location_id, home_name, local_authority_code
ProviderSpec = tuple[str, str]  # provider_id, provider_name

SITE_KINDS = ("acute", "community")
T = TypeVar("T")
_IN_CHUNK = 500  # keep IN (...) lists well under every driver's parameter limit


def _chunks(items: Sequence[T], size: int = _IN_CHUNK) -> Iterable[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ensure_sites(
    session: Session, codes: Iterable[str], run_id: int | None, notices: NoticeSink
) -> dict[str, str]:
    """Register unknown site codes (as acute, named by their code); return ``{code: kind}``."""
    wanted = sorted(set(codes))
    kinds: dict[str, str] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(Site.site_code, Site.kind).where(Site.site_code.in_(chunk))
        ).all()
        kinds.update({code: kind for code, kind in rows})
    new = [code for code in wanted if code not in kinds]
    if new:
        session.execute(
            insert(table_of(Site)),
            [
                {
                    "site_code": c,
                    "name": c,
                    "trust_code": c[:3],
                    "trust_name": None,
                    "kind": "acute",
                }
                for c in new
            ],
        )
        for code in new:
            kinds[code] = "acute"
            notices.notice(
                None,
                f"new site {code} registered (acute, named '{code}') — load the reference "
                "sites file to give it its name and kind",
            )
    return kinds


def ensure_wards(
    session: Session, wards: Iterable[WardSpec], run_id: int | None, notices: NoticeSink
) -> dict[WardKey, int]:
    """Register unknown wards and return ``{(site_code, ward_code): ward_id}``.

    ``ward_name``/``bed_base`` of ``None`` mean "the feed does not say" (the patients feed): a
    new ward is then named by its code, with the bed base of its site's kind (community site →
    community, else general_acute), and an existing ward is left as it is. When a feed does
    say (the beds feed), a differing name or bed base updates the ward, with a notice.
    """
    specs: dict[WardKey, tuple[str | None, str | None]] = {}
    for site_code, ward_code, ward_name, bed_base in wards:
        name, base = specs.get((site_code, ward_code), (None, None))
        specs[(site_code, ward_code)] = (ward_name or name, bed_base or base)
    if not specs:
        return {}
    site_kinds = ensure_sites(session, {site for site, _ in specs}, run_id, notices)

    keys = sorted(specs)
    existing = _wards_of_sites(session, sorted(site_kinds))
    new_rows = []
    for key in keys:
        name, base = specs[key]
        site_code, ward_code = key
        if key not in existing:
            base = base or (
                "community" if site_kinds[site_code] == "community" else "general_acute"
            )
            new_rows.append(
                {
                    "site_code": site_code,
                    "ward_code": ward_code,
                    "ward_name": name or ward_code,
                    "bed_base": base,
                }
            )
            notices.notice(
                None, f"new ward {site_code}/{ward_code} '{name or ward_code}' registered ({base})"
            )
            continue
        ward_id, old_name, old_base = existing[key]
        changes: dict[str, str] = {}
        if name and name != old_name:
            changes["ward_name"] = name
        if base and base != old_base:
            changes["bed_base"] = base
        if changes:
            session.execute(update(Ward).where(Ward.id == ward_id).values(**changes))
            said = ", ".join(
                f"{col.replace('_', ' ')} '{old}' → '{changes[col]}'"
                for col, old in (("ward_name", old_name), ("bed_base", old_base))
                if col in changes
            )
            notices.notice(None, f"ward {site_code}/{ward_code} updated: {said}")
    if new_rows:
        session.execute(insert(table_of(Ward)), new_rows)
        # add the new wards to what is known (a census may name known wards at other sites)
        existing.update(_wards_of_sites(session, sorted({r["site_code"] for r in new_rows})))
    return {key: existing[key][0] for key in keys}


def _wards_of_sites(session: Session, sites: Sequence[str]) -> dict[WardKey, tuple[int, str, str]]:
    """Every ward of ``sites``: (site, ward) → (id, name, bed base). A system has hundreds."""
    found: dict[WardKey, tuple[int, str, str]] = {}
    for chunk in _chunks(sites):
        rows = session.execute(
            select(Ward.id, Ward.site_code, Ward.ward_code, Ward.ward_name, Ward.bed_base).where(
                Ward.site_code.in_(chunk)
            )
        ).all()
        found.update({(s, w): (i, n, b) for i, s, w, n, b in rows})
    return found


def ensure_councils(
    session: Session, codes: Iterable[str], run_id: int | None, notices: NoticeSink
) -> set[str]:
    """Register unknown council codes (named by their code); return the codes registered."""
    wanted = sorted({c for c in codes if c})
    known: set[str] = set()
    for chunk in _chunks(wanted):
        known.update(
            session.scalars(
                select(Council.local_authority_code).where(Council.local_authority_code.in_(chunk))
            )
        )
    new = [c for c in wanted if c not in known]
    if new:
        session.execute(
            insert(table_of(Council)), [{"local_authority_code": c, "name": c} for c in new]
        )
        for code in new:
            notices.notice(
                None,
                f"new council {code} registered (named '{code}') — load the reference "
                "councils file to give it its name",
            )
    return set(new)


def ensure_care_homes(
    session: Session, homes: Iterable[CareHomeSpec], run_id: int | None, notices: NoticeSink
) -> set[str]:
    """Register unknown care homes, update a changed name or council; return the new ids."""
    specs = {cqc: (name, la) for cqc, name, la in homes}
    if not specs:
        return set()
    ensure_councils(session, {la for _, la in specs.values()}, run_id, notices)
    existing: dict[str, tuple[str, str]] = {}
    ids = sorted(specs)
    for chunk in _chunks(ids):
        rows = session.execute(
            select(
                CareHome.cqc_location_id, CareHome.home_name, CareHome.local_authority_code
            ).where(CareHome.cqc_location_id.in_(chunk))
        ).all()
        existing.update({cqc: (name, la) for cqc, name, la in rows})
    new = [cqc for cqc in ids if cqc not in existing]
    if new:
        session.execute(
            insert(table_of(CareHome)),
            [
                {
                    "cqc_location_id": c,
                    "home_name": specs[c][0],
                    "local_authority_code": specs[c][1],
                }
                for c in new
            ],
        )
        for cqc in new:
            name, la = specs[cqc]
            notices.notice(None, f"new care home {cqc} '{name}' registered (council {la})")
    for cqc in ids:
        if cqc in existing and existing[cqc] != specs[cqc]:
            name, la = specs[cqc]
            session.execute(
                update(CareHome)
                .where(CareHome.cqc_location_id == cqc)
                .values(home_name=name, local_authority_code=la)
            )
            notices.notice(None, f"care home {cqc} updated: now '{name}' (council {la})")
    return set(new)


def ensure_providers(
    session: Session, providers: Iterable[ProviderSpec], run_id: int | None, notices: NoticeSink
) -> set[str]:
    """Register unknown home-care providers, update a changed name; return the new ids."""
    specs = dict(providers)
    if not specs:
        return set()
    ids = sorted(specs)
    existing: dict[str, str] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(HomeCareProvider.provider_id, HomeCareProvider.provider_name).where(
                HomeCareProvider.provider_id.in_(chunk)
            )
        ).all()
        existing.update({pid: name for pid, name in rows})
    new = [pid for pid in ids if pid not in existing]
    if new:
        session.execute(
            insert(table_of(HomeCareProvider)),
            [{"provider_id": p, "provider_name": specs[p]} for p in new],
        )
        for pid in new:
            notices.notice(None, f"new home-care provider {pid} '{specs[pid]}' registered")
    for pid in ids:
        if pid in existing and existing[pid] != specs[pid]:
            session.execute(
                update(HomeCareProvider)
                .where(HomeCareProvider.provider_id == pid)
                .values(provider_name=specs[pid])
            )
            notices.notice(None, f"home-care provider {pid} renamed '{specs[pid]}'")
    return set(new)


def load_reference_dir(session: Session, path: Path) -> dict[str, int]:
    """Upsert ``sites.csv``, ``councils.csv`` and ``organisations.csv`` from a reference folder;
    returns rows per file.

    ``sites.csv``: site_code, site_name, trust_code, trust_name, kind (acute|community).
    ``councils.csv``: local_authority_code, name. ``organisations.csv``: which system (ICB) and
    region each trust and council belongs to, from which date (``ingest.reference``). A missing
    file is skipped. Wards already
    registered from the patients feed on a site that turns out to be community are moved
    to the community bed base unless a beds feed has named their bed base.
    """
    counts: dict[str, int] = {}
    sites_file = path / "sites.csv"
    if sites_file.exists():
        rows = []
        for line, record in _read_reference_csv(
            sites_file, ("site_code", "site_name", "trust_code", "kind")
        ):
            kind = record["kind"].strip().lower() or "acute"
            if kind not in SITE_KINDS:
                raise ValueError(
                    f"{sites_file}, line {line}: kind '{record['kind']}' must be acute or community"
                )
            code = record["site_code"].strip().upper()
            rows.append(
                {
                    "site_code": code,
                    "name": record["site_name"].strip() or code,
                    "trust_code": record["trust_code"].strip().upper() or code[:3],
                    "trust_name": (record.get("trust_name") or "").strip() or None,
                    "kind": kind,
                }
            )
        upsert(session, Site, rows, key=["site_code"])
        community = [r["site_code"] for r in rows if r["kind"] == "community"]
        if community:
            # wards named only by the patients feed were given the acute default
            session.execute(
                update(Ward)
                .where(
                    Ward.site_code.in_(community),
                    Ward.bed_base == "general_acute",
                    Ward.ward_name == Ward.ward_code,
                )
                .values(bed_base="community")
            )
        counts["sites"] = len(rows)
    councils_file = path / "councils.csv"
    if councils_file.exists():
        council_rows = [
            {
                "local_authority_code": r["local_authority_code"].strip().upper(),
                "name": r["name"].strip() or r["local_authority_code"].strip().upper(),
            }
            for _, r in _read_reference_csv(councils_file, ("local_authority_code", "name"))
        ]
        upsert(session, Council, council_rows, key=["local_authority_code"])
        counts["councils"] = len(council_rows)
    organisations_file = path / "organisations.csv"
    if organisations_file.exists():
        counts["organisations"] = load_organisations(session, organisations_file)
    session.flush()
    return counts


def _read_reference_csv(
    file: Path, required: Sequence[str]
) -> Iterable[tuple[int, dict[str, str]]]:
    with file.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise ValueError(f"{file}: missing column(s) {', '.join(missing)}")
        for record in reader:
            yield reader.line_num, {k: v or "" for k, v in record.items() if k is not None}
