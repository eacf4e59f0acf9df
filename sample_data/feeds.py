"""The feed files, in the contract layouts of DESIGN.md §3: columns, rows, atomic CSV writing."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from sample_data.clock import iso
from sample_data.simulation import World
from sample_data.spells import Census, census_fields, discharge_fields
from sample_data.world import Organisations

BED_COLUMNS = (
    "snapshot_at",
    "site_code",
    "ward_code",
    "ward_name",
    "bed_base",
    "core_beds_open",
    "escalation_beds_open",
    "beds_occupied",
    "beds_closed",
)
CARE_HOME_COLUMNS = (
    "snapshot_at",
    "cqc_location_id",
    "home_name",
    "local_authority_code",
    "care_type",
    "max_capacity",
    "occupied",
    "vacant_reserved",
    "vacant_accepting_admissions",
    "accepting_admissions",
)
DOMICILIARY_COLUMNS = (
    "snapshot_at",
    "provider_id",
    "provider_name",
    "local_authority_code",
    "zone",
    "hours_available_per_week",
    "packages_startable_next_7_days",
)
PATIENT_COLUMNS = (
    "snapshot_at",
    "site_code",
    "ward_code",
    "spell_id",
    "local_patient_id",
    "nhs_number",
    "age",
    "admitted_at",
    "admission_method",
    "expected_discharge_date",
    "discharge_ready_date",
    "pathway",
    "delay_reason_code",
    "delay_attributable_to",
    "local_authority_code",
    "day_status",
    "red_reason_code",
    "discharged_at",
    "discharge_destination",
    "contributing_reason_codes",
)
SITE_COLUMNS = ("site_code", "site_name", "trust_code", "trust_name", "kind")
COUNCIL_COLUMNS = ("local_authority_code", "name")
#: the columns ``ingest.reference.load_organisations`` reads
ORGANISATION_COLUMNS = (
    "org_code",
    "org_kind",
    "icb_code",
    "icb_name",
    "region_code",
    "region_name",
    "effective_from",
)

FEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "beds": BED_COLUMNS,
    "care_homes": CARE_HOME_COLUMNS,
    "domiciliary": DOMICILIARY_COLUMNS,
    "patients": PATIENT_COLUMNS,
}
FEED_ORDER = ("beds", "care_homes", "domiciliary", "patients")  # at one moment, in this order


def bed_rows(world: World, t: int) -> Iterator[list[str]]:
    """Every ward's bed state: beds_occupied is the count of patients on the ward at ``t``."""
    stamp = iso(t)
    for site in world.orgs.sites:
        for ward in site.wards:
            yield [
                stamp,
                site.code,
                ward.code,
                ward.name,
                ward.bed_base,
                str(ward.core_beds - ward.closed),
                str(ward.escalation_open),
                str(ward.occupied),
                str(ward.closed),
            ]


def care_home_rows(world: World, t: int) -> Iterator[list[str]]:
    stamp = iso(t)
    for home in world.orgs.care_homes:
        accepting = "true" if home.accepting else "false"
        for unit in home.units:
            vacant = unit.max_capacity - unit.occupied - unit.reserved
            yield [
                stamp,
                home.cqc_location_id,
                home.name,
                home.council.code,
                unit.care_type,
                str(unit.max_capacity),
                str(unit.occupied),
                str(unit.reserved),
                str(vacant if home.accepting else 0),
                accepting,
            ]


def domiciliary_rows(world: World, t: int) -> Iterator[list[str]]:
    stamp = iso(t)
    for provider in world.orgs.providers:
        for zone in provider.zones:
            yield [
                stamp,
                provider.provider_id,
                provider.name,
                zone.council.code,
                zone.zone,
                f"{round(zone.hours * 2) / 2:.1f}",
                str(zone.packages),
            ]


def patient_rows(world: World, t: int) -> Iterator[list[str]]:
    """The census at ``t``: every inpatient of every site, then the discharges since the
    previous census (taken from the world, so each is reported once)."""
    stamp = iso(t)
    census = Census.at_moment(t, world.salt)
    spells = sorted(world.active.values(), key=lambda s: (s.site.code, s.ward.code, s.spell_id))
    discharges = world.take_discharges()
    for spell in spells:
        yield [
            stamp,
            spell.site.code,
            spell.ward.code,
            *spell.identity,
            *census_fields(spell, census),
        ]
    for spell in discharges:
        yield [stamp, spell.site.code, spell.ward.code, *spell.identity, *discharge_fields(spell)]


def reference_rows(orgs: Organisations) -> tuple[list[list[str]], list[list[str]]]:
    sites = [[s.code, s.name, s.trust_code, s.trust_name, s.kind] for s in orgs.sites]
    councils = [[c.code, c.name] for c in orgs.councils]
    return sites, councils


#: NHS England's seven regions (ODS codes): the synthetic systems are spread over them in turn
REGIONS = (
    ("Y63", "North East and Yorkshire"),
    ("Y62", "North West"),
    ("Y60", "Midlands"),
    ("Y61", "East of England"),
    ("Y56", "London"),
    ("Y59", "South East"),
    ("Y58", "South West"),
)
#: the day the integrated care boards were established
ICB_ESTABLISHED = "2022-07-01"


def organisation_rows(orgs: Organisations) -> list[list[str]]:
    """``organisations.csv``: each trust and council of a system under that system's ICB."""
    rows: list[list[str]] = []
    for index, system in enumerate(orgs.systems):
        icb_code = f"Q{chr(65 + index // 26)}{chr(65 + index % 26)}"
        icb_name = f"NHS {system.name.removesuffix(' ICS')} Integrated Care Board"
        region_code, region_name = REGIONS[index % len(REGIONS)]
        mapped = [icb_code, icb_name, region_code, region_name, ICB_ESTABLISHED]
        for trust in sorted({site.trust_code for site in system.sites}):
            rows.append([trust, "trust", *mapped])
        for council in system.councils:
            rows.append([council.code, "council", *mapped])
    return rows


def write_csv(
    path: Path, columns: Iterable[str], rows: Iterable[list[str]], *, atomic: bool = False
) -> int:
    """Write a UTF-8 CSV with a header row; with ``atomic``, under a temporary name first and
    then renamed, so a folder watcher never sees half a file. Returns the rows written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path.with_name(f".{path.name}.part") if atomic else path
    count = 0
    with target.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(row)
            count += 1
    if atomic:
        os.replace(target, path)
    return count
