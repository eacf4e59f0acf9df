"""The organisations of the synthetic world and how they are built for each scale.

A *system* is one ICS: acute and community hospital sites, the councils it serves, their care
homes and home-care providers. ``ics`` is one hand-named system; ``england`` is 42 generated
systems sized to national totals. Patients only ever move within their system.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass, field

from app.domain.vocabularies import CARE_TYPES
from sample_data import names

# which care types a home registers, and how often
CARE_TYPE_MIXES: tuple[tuple[tuple[str, ...], float], ...] = (
    (("residential",), 0.30),
    (("nursing",), 0.15),
    (("residential", "residential_dementia"), 0.20),
    (("nursing", "nursing_dementia"), 0.15),
    (("residential", "nursing"), 0.10),
    (CARE_TYPES, 0.05),
    (("residential_dementia",), 0.05),
)
UNIT_SIZE = {
    "residential": (12, 45),
    "nursing": (20, 60),
    "residential_dementia": (8, 30),
    "nursing_dementia": (8, 30),
}
READMISSION_POOL = 2000  # recently discharged people per system who may come back (~9 days)


@dataclass(slots=True, eq=False)
class Council:
    code: str
    name: str
    town: str
    weight: float  # share of the system's population
    p1_factor: float  # > 1: home care is harder to find (longer P1 waits, fewer packages)
    p3_factor: float  # > 1: care-home places are harder to find
    zones: list[str] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class Ward:
    site: Site
    code: str
    name: str
    bed_base: str  # general_acute | critical_care | community
    kind: str  # assessment | medical | surgical | critical | community
    core_beds: int
    escalation_max: int = 0
    escalation_open: int = 0
    closed: int = 0
    closed_until: int = 0
    occupied: int = 0

    @property
    def open_beds(self) -> int:
        return self.core_beds - self.closed + self.escalation_open

    @property
    def free(self) -> int:
        return self.open_beds - self.occupied


@dataclass(slots=True, eq=False)
class Site:
    code: str
    name: str
    trust_code: str
    trust_name: str
    kind: str  # acute | community
    system: System
    catchment: list[Council] = field(default_factory=list)
    catchment_weights: list[float] = field(default_factory=list)
    wards: list[Ward] = field(default_factory=list)
    # kept by the simulation: wards by kind, and G&A occupied / core beds open (not closed)
    wards_by_kind: dict[str, list[Ward]] = field(default_factory=dict)
    ga_occupied: int = 0
    ga_core_open: int = 0
    ga_escalation_open: int = 0

    @property
    def general_acute_wards(self) -> list[Ward]:
        return [w for w in self.wards if w.bed_base == "general_acute"]

    @property
    def core_beds(self) -> int:
        return sum(w.core_beds for w in self.wards if w.bed_base == "general_acute")


@dataclass(slots=True, eq=False)
class System:
    name: str
    councils: list[Council] = field(default_factory=list)
    sites: list[Site] = field(default_factory=list)
    recent_patients: deque[Person] = field(default_factory=lambda: deque(maxlen=READMISSION_POOL))

    @property
    def acute_sites(self) -> list[Site]:
        return [s for s in self.sites if s.kind == "acute"]

    @property
    def community_sites(self) -> list[Site]:
        return [s for s in self.sites if s.kind == "community"]


@dataclass(slots=True, eq=False)
class CareHomeUnit:
    """One care type of one home: one row of the care_homes feed."""

    care_type: str
    max_capacity: int
    occupied: int
    reserved: int = 0


@dataclass(slots=True, eq=False)
class CareHome:
    cqc_location_id: str
    name: str
    council: Council
    base_rate: float  # the occupancy the home tends to
    units: list[CareHomeUnit]
    accepting: bool = True
    reopens_on: int = 0  # day ordinal a closure to admissions ends


@dataclass(slots=True, eq=False)
class HomeCareZone:
    """One zone a provider serves: one row of the domiciliary feed."""

    zone: str
    council: Council
    base_hours: float
    hours: float
    packages: int = 0


@dataclass(slots=True, eq=False)
class Provider:
    provider_id: str
    name: str
    zones: list[HomeCareZone]


@dataclass(slots=True, eq=False)
class Person:
    nhs_number: str
    age: int  # at ``age_at``
    age_at: int
    council: Council
    local_ids: dict[str, str] = field(default_factory=dict)
    in_hospital: bool = False


class NhsNumbers:
    """Unique synthetic NHS numbers (999 000 0000 – 999 999 9999, valid modulus 11).

    An affine permutation of the million nine-digit stems visits each once, so numbers never
    repeat until the ~909,000 valid ones are used up (then they cycle).
    """

    def __init__(self, rng: random.Random) -> None:
        self.multiplier = rng.randrange(1, 1_000_000)
        while math.gcd(self.multiplier, 1_000_000) != 1:
            self.multiplier += 1
        self.offset = rng.randrange(1_000_000)
        self.index = 0

    def next(self) -> str:
        while True:
            low = (self.multiplier * self.index + self.offset) % 1_000_000
            self.index += 1
            # modulus 11 over the digits, weights 10..2: the leading 999 weigh 9·(10+9+8)
            total, rest = 243, low
            for weight in (2, 3, 4, 5, 6, 7):
                total += (rest % 10) * weight
                rest //= 10
            digit = (11 - total % 11) % 11
            if digit != 10:
                return f"{999_000_000 + low}{digit}"


@dataclass(slots=True, eq=False)
class Organisations:
    systems: list[System]
    care_homes: list[CareHome]
    providers: list[Provider]

    @property
    def sites(self) -> list[Site]:
        return [site for system in self.systems for site in system.sites]

    @property
    def councils(self) -> list[Council]:
        return [council for system in self.systems for council in system.councils]


def _split(total: int, parts: int, rng: random.Random, spread: float = 0.25) -> list[int]:
    """``total`` split into ``parts`` uneven positive integers that add up exactly."""
    weights = [rng.uniform(1 - spread, 1 + spread) for _ in range(parts)]
    scale = total / sum(weights)
    sizes = [max(1, math.floor(w * scale)) for w in weights]
    for i in range(total - sum(sizes)):
        sizes[i % parts] += 1
    return sizes


def _add_acute_site(
    system: System,
    rng: random.Random,
    *,
    code: str,
    name: str,
    trust_code: str,
    trust_name: str,
    beds: int,
    wards: int,
    critical_care_beds: int,
    catchment: list[tuple[Council, float]],
) -> Site:
    site = Site(code, name, trust_code, trust_name, "acute", system)
    site.catchment = [c for c, _ in catchment]
    site.catchment_weights = [w for _, w in catchment]
    layout: list[tuple[str, str, str, int]] = []  # (code, name, kind, beds)
    amu = min(60, max(16, round(beds * 0.05)))
    layout.append(("AMU", "Acute Medical Unit", "assessment", amu))
    base_beds, base_wards = beds - amu, wards - 1
    if beds >= 500 and wards >= 12:
        sau = max(12, round(beds * 0.025))
        layout.append(("SAU", "Surgical Assessment Unit", "assessment", sau))
        base_beds, base_wards = base_beds - sau, base_wards - 1
    sizes = _split(base_beds, base_wards, rng)
    surgical = round(base_wards * 0.35)
    for i, (ward_name, size) in enumerate(
        zip(names.ward_names(rng, base_wards), sizes, strict=True)
    ):
        kind = "surgical" if i < surgical else "medical"
        layout.append((names.ward_code(ward_name), ward_name, kind, size))
    for ward_code, ward_name, kind, size in layout:
        escalation = 4 if kind == "assessment" else rng.choice((0, 1, 2, 2, 3, 4))
        site.wards.append(
            Ward(site, ward_code, ward_name, "general_acute", kind, size, escalation_max=escalation)
        )
    if critical_care_beds > 20:
        hdu = critical_care_beds // 3
        icu = critical_care_beds - hdu
        site.wards.append(
            Ward(site, "ICU", "Intensive Care Unit", "critical_care", "critical", icu)
        )
        site.wards.append(
            Ward(site, "HDU", "High Dependency Unit", "critical_care", "critical", hdu)
        )
    else:
        site.wards.append(
            Ward(
                site, "ICU", "Intensive Care Unit", "critical_care", "critical", critical_care_beds
            )
        )
    system.sites.append(site)
    return site


def _add_community_site(
    system: System,
    rng: random.Random,
    *,
    code: str,
    name: str,
    trust_code: str,
    trust_name: str,
    beds: int,
) -> Site:
    site = Site(code, name, trust_code, trust_name, "community", system)
    site.catchment = list(system.councils)
    site.catchment_weights = [c.weight for c in system.councils]
    for ward_name, size in zip(names.ward_names(rng, 2), _split(beds, 2, rng, 0.1), strict=True):
        site.wards.append(
            Ward(site, names.ward_code(ward_name), ward_name, "community", "community", size)
        )
    system.sites.append(site)
    return site


def _care_homes(rng: random.Random, council: Council, count: int, ids: set[str]) -> list[CareHome]:
    homes = []
    mixes = [m for m, _ in CARE_TYPE_MIXES]
    mix_weights = [w for _, w in CARE_TYPE_MIXES]
    for _ in range(count):
        base_rate = rng.uniform(0.84, 0.96)
        units = []
        for care_type in rng.choices(mixes, mix_weights)[0]:
            low, high = UNIT_SIZE[care_type]
            size = rng.randint(low, high)
            units.append(CareHomeUnit(care_type, size, round(size * base_rate)))
        home = CareHome(_cqc_id(rng, ids), names.care_home_name(rng), council, base_rate, units)
        if rng.random() < 0.01:  # e.g. under enforcement: closed to admissions for months
            home.accepting, home.reopens_on = False, 10**7
        homes.append(home)
    return homes


def _providers(
    rng: random.Random, council: Council, neighbours: list[Council], count: int, ids: set[str]
) -> list[Provider]:
    providers = []
    for _ in range(count):
        zone_names = rng.sample(council.zones, k=min(len(council.zones), rng.choice((1, 2, 2, 3))))
        zones = [(z, council) for z in zone_names]
        if neighbours and rng.random() < 0.2:
            other = rng.choice(neighbours)
            zones.append((rng.choice(other.zones), other))
        provider = Provider(_cqc_id(rng, ids), names.provider_name(rng, council.town), [])
        for zone, zone_council in zones:
            base = rng.gammavariate(2.0, 16.0)
            provider.zones.append(HomeCareZone(zone, zone_council, base, base))
        providers.append(provider)
    return providers


def _cqc_id(rng: random.Random, ids: set[str]) -> str:
    """A CQC-style location id: ``1-`` and 9 or 10 digits, unique in the world."""
    while True:
        value = f"1-{rng.randrange(100_000_000, 10_000_000_000)}"
        if value not in ids:
            ids.add(value)
            return value


def _zones(rng: random.Random, council: Council) -> None:
    council.zones = [f"{council.town} {z}" for z in rng.sample(names.ZONES, k=rng.randint(3, 5))]


def build_ics(rng: random.Random) -> Organisations:
    """One fictional ICS: 3 acute sites (~2,400 G&A beds, 80 wards), 2 community hospitals
    (120 beds), 4 councils, ~350 care homes, ~40 home-care providers."""
    system = System("Wyvern and Dale ICS")
    councils = [
        Council("E06000901", "Marlbridge City Council", "Marlbridge", 0.30, 0.85, 1.00),
        Council(
            "E08000902", "Hollinsford Metropolitan Borough Council", "Hollinsford", 0.28, 1.30, 1.20
        ),
        Council("E06000903", "Wyvern Vale Council", "Wyvern Vale", 0.20, 1.00, 0.80),
        Council("E06000904", "Coldwater and Amberleigh Council", "Coldwater", 0.22, 1.15, 1.30),
    ]
    for council in councils:
        _zones(rng, council)
    system.councils = councils
    c901, c902, c903, c904 = councils
    _add_acute_site(
        system,
        rng,
        code="RXA01",
        name="Marlbridge General Hospital",
        trust_code="RXA",
        trust_name="Marlbridge University Hospitals NHS Foundation Trust",
        beds=1000,
        wards=33,
        critical_care_beds=30,
        catchment=[(c901, 0.70), (c904, 0.20), (c903, 0.10)],
    )
    _add_acute_site(
        system,
        rng,
        code="RXB01",
        name="Hollinsford Royal Infirmary",
        trust_code="RXB",
        trust_name="Hollinsford Teaching Hospitals NHS Trust",
        beds=800,
        wards=27,
        critical_care_beds=18,
        catchment=[(c902, 0.80), (c904, 0.15), (c901, 0.05)],
    )
    _add_acute_site(
        system,
        rng,
        code="RXC01",
        name="Wyvern Vale District Hospital",
        trust_code="RXC",
        trust_name="Wyvern Vale Hospitals NHS Foundation Trust",
        beds=600,
        wards=20,
        critical_care_beds=12,
        catchment=[(c903, 0.75), (c904, 0.20), (c901, 0.05)],
    )
    community_trust = ("RXD", "Wyvernshire Community Health NHS Trust")
    _add_community_site(
        system,
        rng,
        code="RXD01",
        name="Coldwater Community Hospital",
        trust_code=community_trust[0],
        trust_name=community_trust[1],
        beds=64,
    )
    _add_community_site(
        system,
        rng,
        code="RXD02",
        name="Amberleigh Community Hospital",
        trust_code=community_trust[0],
        trust_name=community_trust[1],
        beds=56,
    )
    ids: set[str] = set()
    homes: list[CareHome] = []
    providers: list[Provider] = []
    for council, home_count, provider_count in zip(
        councils, (105, 98, 70, 77), (12, 11, 8, 9), strict=True
    ):
        homes += _care_homes(rng, council, home_count, ids)
        neighbours = [c for c in councils if c is not council]
        providers += _providers(rng, council, neighbours, provider_count, ids)
    return Organisations([system], homes, providers)


ENGLAND_SYSTEMS = 42
ENGLAND_ACUTE_TRUSTS = 130
ENGLAND_ACUTE_SITES = 200
ENGLAND_GA_BEDS = 100_000
ENGLAND_COUNCILS = 150
ENGLAND_CARE_HOMES = 15_000
ENGLAND_PROVIDERS = 11_500
COUNCIL_CODE_PREFIXES = ("E06", "E07", "E08", "E09")


def _trust_codes() -> list[str]:
    return [f"R{a}{b}" for a in "XYZWVUTQ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"]


def build_england(rng: random.Random) -> Organisations:
    """42 systems sized to national totals: ~100,000 G&A beds on ~200 acute sites of ~130
    trusts, ~150 councils, ~15,000 care homes, ~11,500 home-care providers."""
    towns = names.town_names(rng, 800)  # ~500 needed; the pools hold ~1,900
    town_iter = iter(towns)
    trust_codes = iter(_trust_codes())
    trusts_per_system = [3] * ENGLAND_SYSTEMS
    for i in rng.sample(range(ENGLAND_SYSTEMS), ENGLAND_ACUTE_TRUSTS - 3 * ENGLAND_SYSTEMS):
        trusts_per_system[i] += 1
    two_site_trusts = set(rng.sample(range(ENGLAND_ACUTE_TRUSTS), ENGLAND_ACUTE_SITES - 130))
    site_weights = [rng.lognormvariate(0, 0.4) for _ in range(ENGLAND_ACUTE_SITES)]
    beds_per_weight = ENGLAND_GA_BEDS / sum(site_weights)
    councils_per_system = [3] * ENGLAND_SYSTEMS
    for i in rng.sample(range(ENGLAND_SYSTEMS), ENGLAND_COUNCILS - 3 * ENGLAND_SYSTEMS):
        councils_per_system[i] += 1

    systems: list[System] = []
    council_index = 0
    trust_index = 0
    site_index = 0
    for s in range(ENGLAND_SYSTEMS):
        system = System(f"System {s + 1}")
        for _ in range(councils_per_system[s]):
            town = next(town_iter)
            prefix = COUNCIL_CODE_PREFIXES[council_index % 4]
            code = f"{prefix}000{901 + council_index // 4}"
            council = Council(
                code,
                rng.choice(names.COUNCIL_FORMS).format(town=town),
                town,
                rng.uniform(0.6, 1.4),
                rng.lognormvariate(0, 0.25),
                rng.lognormvariate(0, 0.25),
            )
            _zones(rng, council)
            system.councils.append(council)
            council_index += 1
        total_weight = sum(c.weight for c in system.councils)
        for council in system.councils:
            council.weight /= total_weight
        for _ in range(trusts_per_system[s]):
            trust_code = next(trust_codes)
            trust_town = next(town_iter)
            trust_name = rng.choice(names.TRUST_FORMS).format(town=trust_town)
            site_count = 2 if trust_index in two_site_trusts else 1
            for k in range(site_count):
                town = trust_town if k == 0 else next(town_iter)
                beds = round(site_weights[site_index] * beds_per_weight)
                main = system.councils[site_index % len(system.councils)]
                others = [c for c in system.councils if c is not main]
                catchment = [(main, 0.7)] + [(c, 0.3 / len(others)) for c in others]
                _add_acute_site(
                    system,
                    rng,
                    code=f"{trust_code}{k + 1:02d}",
                    name=rng.choice(names.HOSPITAL_FORMS).format(town=town),
                    trust_code=trust_code,
                    trust_name=trust_name,
                    beds=beds,
                    wards=max(4, round(beds / 30)),
                    critical_care_beds=max(6, round(beds * 0.025)),
                    catchment=catchment,
                )
                site_index += 1
            trust_index += 1
        community_code = next(trust_codes)
        community_name = f"{system.councils[0].town} Community Health NHS Trust"
        ga_beds = sum(site.core_beds for site in system.sites)
        for k, beds in enumerate(_split(max(40, round(ga_beds * 0.05)), 2, rng, 0.2)):
            _add_community_site(
                system,
                rng,
                code=f"{community_code}{k + 1:02d}",
                name=f"{next(town_iter)} Community Hospital",
                trust_code=community_code,
                trust_name=community_name,
                beds=beds,
            )
        systems.append(system)

    councils = [c for system in systems for c in system.councils]
    population = [
        c.weight * sum(site.core_beds for site in system.sites)
        for system in systems
        for c in system.councils
    ]
    ids: set[str] = set()
    homes: list[CareHome] = []
    providers: list[Provider] = []
    home_counts = _apportion(ENGLAND_CARE_HOMES, population)
    provider_counts = _apportion(ENGLAND_PROVIDERS, population)
    for system in systems:
        for council in system.councils:
            i = councils.index(council)
            homes += _care_homes(rng, council, home_counts[i], ids)
            neighbours = [c for c in system.councils if c is not council]
            providers += _providers(rng, council, neighbours, provider_counts[i], ids)
    return Organisations(systems, homes, providers)


def _apportion(total: int, weights: list[float]) -> list[int]:
    """``total`` shared in proportion to ``weights`` (largest remainders), summing exactly."""
    raw = [total * w / sum(weights) for w in weights]
    counts = [math.floor(r) for r in raw]
    by_remainder = sorted(range(len(raw)), key=lambda i: raw[i] - counts[i], reverse=True)
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts
