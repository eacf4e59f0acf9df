"""The world's life as one discrete-event simulation.

Events, in time order: the start of each local day (that day's admissions are drawn, bed
closures start and end), the hourly escalation review, the morning capacity update of care
homes and home care, and each patient's admission, ward moves and discharge. All randomness
comes from generators seeded from the world seed; outputs only read the state.
"""

from __future__ import annotations

import heapq
import math
import random
from collections import Counter
from typing import Any

from sample_data import capacity
from sample_data.clock import DAY, HOUR, MINUTE, iso, local_date, local_time, midnight, weekday
from sample_data.clock import winter as winter_pressure
from sample_data.spells import (
    PATHWAY_DECKS,
    Deck,
    Spell,
    Table,
    critical_care_stay,
    draw_age,
    draw_pathway,
    plan,
    uniform_int,
)
from sample_data.world import NhsNumbers, Organisations, Person, Site, Ward

EV_DAY, EV_CAPACITY, EV_HOUR, EV_DISCHARGE, EV_MOVE, EV_ADMIT = range(6)

ADMISSIONS_PER_GA_BED = 230 / 2400  # ~230 admissions a day for ~2,400 G&A beds
EMERGENCY_SHARE = 0.8
EMERGENCY_BY_WEEKDAY = (1.10, 1.04, 1.00, 1.00, 1.02, 0.92, 0.92)
ELECTIVE_BY_WEEKDAY = (1.3, 1.3, 1.3, 1.3, 1.2, 0.3, 0.3)
# hour of arrival on a ward: emergencies all day (most afternoon/evening), electives mornings
EMERGENCY_HOURS = Table(
    list(
        enumerate(
            (
                2,
                1.5,
                1.2,
                1,
                1,
                1,
                1.5,
                2.5,
                4,
                5.5,
                6.5,
                7,
                7,
                7,
                7,
                7,
                6.5,
                6,
                5.5,
                5,
                4.5,
                4,
                3.5,
                3,
            )
        )
    )
)
ELECTIVE_HOURS = Table([(7, 3), (8, 4), (9, 2), (10, 1), (11, 1), (12, 1), (13, 1), (14, 0.5)])
CRITICAL_CARE_START = {"emergency": 0.09, "elective": 0.06}
ASSESSMENT_UNIT_START = 0.55  # emergencies first admitted to an assessment unit
SURGICAL = {"emergency": 0.15, "elective": 0.80}
READMISSION = 0.12  # emergency admissions of someone discharged recently
STEP_UP_PER_DAY = 0.6  # direct admissions from home to each community hospital
P2_TO_OWN_COMMUNITY_HOSPITAL = 0.85  # the rest go to other providers' rehabilitation beds
CAPACITY_UPDATE_MINUTE = 8 * 60  # providers update the capacity tracker by 08:00
ELECTIVE_CANCEL_OCCUPANCY = 1.0


def poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 30:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


class World:
    """Everything that lives: the organisations, the patients in hospital, the event queue."""

    def __init__(self, orgs: Organisations, seed: int) -> None:
        self.orgs = orgs
        self.rng = random.Random(f"homeward-{seed}-life")
        self.capacity_rng = random.Random(f"homeward-{seed}-capacity")
        ids_rng = random.Random(f"homeward-{seed}-ids")
        self.nhs_numbers = NhsNumbers(ids_rng)
        self.salt = ids_rng.getrandbits(64)
        self.local_ids: dict[str, int] = {}
        for site in orgs.sites:
            self.local_ids.setdefault(site.trust_code, ids_rng.randrange(100_000, 900_000))
        for site in orgs.sites:
            site.wards_by_kind = {}
            for ward in site.wards:
                site.wards_by_kind.setdefault(ward.kind, []).append(ward)
            site.ga_core_open = site.core_beds
            site.ga_escalation_open = 0
        self.catchments = {
            site.code: Table(list(zip(site.catchment, site.catchment_weights, strict=True)))
            for site in orgs.sites
        }
        self.acute_sites = [s for s in orgs.sites if s.kind == "acute"]
        self.community_sites = [s for s in orgs.sites if s.kind == "community"]
        self.heap: list[tuple[int, int, int, Any]] = []
        self.event_seq = 0
        self.now = 0
        self.spell_seq = 0
        self.active: dict[int, Spell] = {}
        self.discharged: list[Spell] = []  # discharged since the last census
        self.stats: Counter[str] = Counter()
        self.pathway_decks = {setting: Deck(cards) for setting, cards in PATHWAY_DECKS.items()}

    # -- the clock -------------------------------------------------------------------------

    def start(self, t: int) -> None:
        """Open the world at ``t`` (a local midnight): empty hospitals, daily and hourly clocks."""
        day = local_date(t)
        self.now = t
        self._push(midnight(day), EV_DAY, day)
        self._push(local_time(day, CAPACITY_UPDATE_MINUTE), EV_CAPACITY, day)
        self._push(t - t % HOUR + HOUR, EV_HOUR, None)
        capacity.step_care_homes(self.orgs.care_homes, self.capacity_rng, day - 1)
        capacity.step_home_care(self.orgs.providers, self.capacity_rng, day - 1)

    def advance(self, t: int) -> None:
        """Live every event up to and including ``t``."""
        heap = self.heap
        while heap and heap[0][0] <= t:
            when, kind, _, payload = heapq.heappop(heap)
            if kind == EV_DISCHARGE:
                self._discharge(when, payload)
            elif kind == EV_ADMIT:
                self._admit(when, *payload)
            elif kind == EV_MOVE:
                self._move(when, payload)
            elif kind == EV_HOUR:
                self._escalation_review()
                self._push(when + HOUR, EV_HOUR, None)
            elif kind == EV_DAY:
                self._new_day(payload)
            elif kind == EV_CAPACITY:
                capacity.step_care_homes(self.orgs.care_homes, self.capacity_rng, payload)
                capacity.step_home_care(self.orgs.providers, self.capacity_rng, payload)
                self._push(
                    local_time(payload + 1, CAPACITY_UPDATE_MINUTE), EV_CAPACITY, payload + 1
                )
        self.now = max(self.now, t)

    def take_discharges(self) -> list[Spell]:
        """The discharges since the last census (with a discharge row), in time order."""
        taken, self.discharged = self.discharged, []
        return taken

    def _push(self, t: int, kind: int, payload: Any) -> None:
        self.event_seq += 1
        heapq.heappush(self.heap, (t, kind, self.event_seq, payload))

    # -- days and hours ----------------------------------------------------------------------

    def _new_day(self, day: int) -> None:
        rng = self.rng
        start = midnight(day)
        pressure = winter_pressure(day)
        dow = weekday(day)
        for site in self.acute_sites:
            per_day = ADMISSIONS_PER_GA_BED * site.core_beds
            emergencies = per_day * EMERGENCY_SHARE * EMERGENCY_BY_WEEKDAY[dow]
            emergencies *= 1 + 0.06 * (pressure - 0.5)
            electives = per_day * (1 - EMERGENCY_SHARE) * ELECTIVE_BY_WEEKDAY[dow]
            electives *= 1 - 0.15 * (pressure - 0.5)
            for method, mean, hours in (
                ("emergency", emergencies, EMERGENCY_HOURS),
                ("elective", electives, ELECTIVE_HOURS),
            ):
                for _ in range(poisson(rng, mean)):
                    t = start + hours.draw(rng) * HOUR + int(rng.random() * HOUR)
                    self._push(t, EV_ADMIT, (site, method, None))
            for ward in site.general_acute_wards:
                if ward.closed and start >= ward.closed_until:
                    ward.closed = 0
                elif not ward.closed and rng.random() < 0.006:
                    ward.closed = uniform_int(rng, 1, max(1, min(4, ward.core_beds // 6)))
                    ward.closed_until = start + uniform_int(rng, 2, 7) * DAY
            site.ga_core_open = sum(w.core_beds - w.closed for w in site.general_acute_wards)
        for site in self.community_sites:
            for _ in range(poisson(rng, STEP_UP_PER_DAY)):
                t = start + uniform_int(rng, 9 * 60, 18 * 60) * MINUTE
                self._push(t, EV_ADMIT, (site, "emergency", None))
        self._push(midnight(day + 1), EV_DAY, day + 1)

    def _escalation_review(self) -> None:
        """Open escalation beds on the fullest wards when a site runs above 97 %; close them
        again once it falls below 92 % and the beds are empty."""
        stats = self.stats
        for site in self.acute_sites:
            occupied = site.ga_occupied
            open_beds = site.ga_core_open + site.ga_escalation_open
            stats["hours.ga_occupied"] += occupied
            stats["hours.ga_core_open"] += site.ga_core_open
            stats["hours.ga_escalation_open"] += site.ga_escalation_open
            if 0.92 * open_beds <= occupied <= 0.97 * open_beds:
                continue
            wards = site.general_acute_wards
            if occupied > 0.97 * open_beds:
                needed = math.ceil(occupied / 0.95 - open_beds)
                for ward in sorted(wards, key=lambda w: w.free):
                    extra = min(needed, ward.escalation_max - ward.escalation_open)
                    if extra > 0:
                        ward.escalation_open += extra
                        site.ga_escalation_open += extra
                        needed -= extra
                    if needed <= 0:
                        break
            elif occupied < 0.92 * open_beds:
                excess = open_beds - math.ceil(occupied / 0.94)
                for ward in wards:
                    if excess <= 0:
                        break
                    fewer = min(ward.escalation_open, ward.free, excess)
                    if fewer > 0:
                        ward.escalation_open -= fewer
                        site.ga_escalation_open -= fewer
                        excess -= fewer

    # -- patients ----------------------------------------------------------------------------

    @staticmethod
    def _pressure(site: Site) -> float:
        """G&A beds occupied per core bed open."""
        return site.ga_occupied / max(1, site.ga_core_open)

    @staticmethod
    def _occupy(ward: Ward, change: int) -> None:
        ward.occupied += change
        if ward.bed_base == "general_acute":
            ward.site.ga_occupied += change

    def _choose_ward(
        self,
        site: Site,
        kinds: tuple[str, ...],
        *,
        escalate: bool,
        overflow: bool,
        exclude: Ward | None = None,
    ) -> Ward | None:
        """A ward of the given kinds with a free bed (likelier the more it has free); else an
        escalation bed opened; else the least full ward, over its beds."""
        candidates = [
            w for kind in kinds for w in site.wards_by_kind.get(kind, ()) if w is not exclude
        ]
        free = [
            (w, spare)
            for w in candidates
            if (spare := w.core_beds - w.closed + w.escalation_open - w.occupied) > 0
        ]
        if free:
            pick = self.rng.random() * sum(spare for _, spare in free)
            for ward, spare in free:
                pick -= spare
                if pick < 0:
                    return ward
            return free[-1][0]
        if escalate:
            expandable = [w for w in candidates if w.escalation_open < w.escalation_max]
            if expandable:
                ward = max(expandable, key=lambda w: w.escalation_max - w.escalation_open)
                ward.escalation_open += 1
                if ward.bed_base == "general_acute":
                    site.ga_escalation_open += 1
                return ward
        if overflow and candidates:
            return min(candidates, key=lambda w: w.occupied / max(1, w.open_beds))
        return None

    def _base_ward(self, site: Site, specialty: str, exclude: Ward | None = None) -> Ward | None:
        if site.kind == "community":
            return self._choose_ward(
                site, ("community",), escalate=False, overflow=False, exclude=exclude
            )
        return self._choose_ward(
            site, (specialty,), escalate=False, overflow=False, exclude=exclude
        ) or self._choose_ward(
            site, ("medical", "surgical"), escalate=True, overflow=True, exclude=exclude
        )

    def _person(self, site: Site, pathway: int | None, method: str, t: int) -> Person:
        rng = self.rng
        pool = site.system.recent_patients
        if method == "emergency" and pool and rng.random() < READMISSION:
            for _ in range(3):
                person = pool[int(rng.random() * len(pool))]
                if not person.in_hospital:
                    return person
        council = self.catchments[site.code].draw(rng)
        return Person(self.nhs_numbers.next(), draw_age(rng, pathway, method), t, council)

    def _local_id(self, person: Person, trust_code: str) -> str:
        local_id = person.local_ids.get(trust_code)
        if local_id is None:
            self.local_ids[trust_code] += 1
            local_id = f"{trust_code}{self.local_ids[trust_code]:07d}"
            person.local_ids[trust_code] = local_id
        return local_id

    def _admit(self, t: int, site: Site, method: str, person: Person | None) -> None:
        rng = self.rng
        community = site.kind == "community"
        setting = "community" if community else method
        if (
            method == "elective"
            and not community
            and self._pressure(site) >= ELECTIVE_CANCEL_OCCUPANCY
            and rng.random() < 0.5
        ):
            self.stats["electives_cancelled"] += 1
            return
        pathway = draw_pathway(rng, self.pathway_decks, setting)
        specialty = "community" if community else "medical"
        if not community and rng.random() < SURGICAL[method]:
            specialty = "surgical"

        critical_days = 0.0
        ward: Ward | None = None
        if community:
            ward = self._base_ward(site, specialty)
            if ward is None:  # full: the transfer or step-up goes elsewhere
                if person is not None:
                    person.in_hospital = False
                self.stats["community_refused"] += 1
                return
        else:
            if rng.random() < CRITICAL_CARE_START[method]:
                ward = self._choose_ward(site, ("critical",), escalate=False, overflow=False)
                if ward is not None:
                    critical_days = critical_care_stay(rng)
            if ward is None and method == "emergency" and rng.random() < ASSESSMENT_UNIT_START:
                ward = self._choose_ward(site, ("assessment",), escalate=True, overflow=False)
            if ward is None:
                ward = self._base_ward(site, specialty)
        assert ward is not None

        if person is None:
            person = self._person(site, pathway, method, t)
        person.in_hospital = True
        self.spell_seq += 1
        age = person.age + int((t - person.age_at) / (365.25 * DAY))
        spell = Spell(
            seq=self.spell_seq,
            spell_id=f"{site.code}-{self.spell_seq:08d}",
            person=person,
            site=site,
            ward=ward,
            specialty=specialty,
            local_patient_id=self._local_id(person, site.trust_code),
            age=min(age, 100),
            admitted_at=t,
            admitted_iso=iso(t),
            method=method,
            setting=setting,
            council=person.council,
            pathway=pathway,
        )
        spell.identity = (
            spell.spell_id,
            spell.local_patient_id,
            person.nhs_number,
            str(spell.age),
            spell.admitted_iso,
            method,
        )
        pressure = self._pressure(site) if not community else 0.0
        stay_factor = max(0.8, 1 - 2.5 * (pressure - 0.95)) if pressure > 0.95 else 1.0
        plan(spell, rng, stay_factor=stay_factor, critical_care_days=critical_days)
        self._occupy(ward, 1)
        self.active[spell.seq] = spell
        self.stats[f"admissions.{site.kind}.{method}"] += 1
        self._push(spell.discharge_at, EV_DISCHARGE, spell)

        if ward.kind == "critical":
            self._plan_move(spell, t + int(critical_days * DAY))
        elif ward.kind == "assessment":
            self._plan_move(spell, t + uniform_int(rng, 4 * 60, 30 * 60) * MINUTE)
        else:
            self._maybe_plan_ward_transfer(spell, t)

    def _plan_move(self, spell: Spell, t: int) -> None:
        if t < spell.discharge_at - 3 * HOUR:
            spell.next_move_at = t
            self._push(t, EV_MOVE, spell)
        else:
            spell.next_move_at = None

    def _maybe_plan_ward_transfer(self, spell: Spell, t: int) -> None:
        """Some patients move between base wards mid-stay (specialty, isolation, flow)."""
        if spell.discharge_at - t > 4 * DAY and self.rng.random() < 0.07:
            self._plan_move(spell, uniform_int(self.rng, t + DAY, spell.discharge_at - DAY))

    def _move(self, t: int, spell: Spell) -> None:
        if spell.seq not in self.active or spell.next_move_at != t:
            return
        current = spell.ward
        target = self._base_ward(spell.site, spell.specialty, exclude=current)
        if target is None or target.free <= 0:
            self._plan_move(spell, t + 4 * HOUR)  # no bed yet: try again later
            return
        self._occupy(current, -1)
        self._occupy(target, 1)
        spell.ward = target
        spell.next_move_at = None
        self.stats["ward_moves"] += 1
        if current.kind in ("critical", "assessment"):
            self._maybe_plan_ward_transfer(spell, t)

    def _count_discharge(self, spell: Spell) -> None:
        """Running totals the tests and docs quote: the pathway mix and the delays."""
        stats = self.stats
        kind = spell.site.kind
        pathway = "none" if spell.pathway is None else str(spell.pathway)
        stats[f"discharges.{kind}.pathway.{pathway}"] += 1
        last = spell.periods[-1] if spell.periods else None
        if last is not None and last.cleared_at is None:
            delay = local_date(spell.discharge_at) - last.drd
            stats[f"delay.{kind}.{pathway}.discharges"] += 1
            stats[f"delay.{kind}.{pathway}.days"] += delay
            stats[f"delay.{kind}.{pathway}.within_one_day"] += delay <= 1
            stats[f"long21.{kind}"] += delay >= 21

    def _discharge(self, t: int, spell: Spell) -> None:
        self._occupy(spell.ward, -1)
        del self.active[spell.seq]
        person = spell.person
        person.in_hospital = False
        if not spell.silent:
            self.discharged.append(spell)
        self._count_discharge(spell)
        if spell.destination == "died":
            return
        system = spell.site.system
        system.recent_patients.append(person)
        if (
            spell.destination == "community_bed"
            and spell.site.kind == "acute"
            and self.rng.random() < P2_TO_OWN_COMMUNITY_HOSPITAL
        ):
            open_sites = [s for s in system.community_sites if any(w.free > 0 for w in s.wards)]
            if open_sites:
                site = self.rng.choice(open_sites)
                person.in_hospital = True
                arrival = t + uniform_int(self.rng, 30, 180) * MINUTE
                self._push(arrival, EV_ADMIT, (site, "elective", person))
