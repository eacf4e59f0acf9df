"""A hospital spell and its plan, and what a census says about it at a moment.

Everything a census reports (expected discharge date, discharge ready date, pathway, delay
reason, Red2Green) is planned when the patient is admitted, as a timeline; a census only reads
that timeline. Reading never draws random numbers (Red2Green uses a hash of spell and day), so
the world evolves the same whatever the census schedule — a live demo continues exactly the
world the history files describe.
"""

from __future__ import annotations

import bisect
import math
import random
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from app.domain.reason_catalogue import reason_catalogue
from app.domain.vocabularies import AGENCIES
from sample_data.clock import (
    DAY,
    HOUR,
    MINUTE,
    iso,
    iso_date,
    local_date,
    local_time,
    midnight,
    weekday,
    winter,
)
from sample_data.world import Council, Person, Site, Ward

T = TypeVar("T")

BOARD_ROUND_MINUTE = 10 * 60  # the daily board round, 10:00 local
LOS_SCALE = 1.64  # calibrates mean length of stay so G&A occupancy sits around 92-96 %
LATE_DRD = 0.08  # DRD first recorded at the next day's board round, for the earlier day
SILENT_DISCHARGE = 0.03  # discharges with no discharge row (the loader infers them)
UNRECORDED_R2G = (0.08, 0.35)  # board rounds without a Red2Green status: weekday, weekend


class Table(Generic[T]):
    """Values with weights, drawn in O(log n)."""

    __slots__ = ("cumulative", "values")

    def __init__(self, pairs: Sequence[tuple[T, float]]) -> None:
        self.values = [v for v, _ in pairs]
        total = 0.0
        self.cumulative = []
        for _, weight in pairs:
            total += weight
            self.cumulative.append(total)

    def draw(self, rng: random.Random) -> T:
        return self.pick(rng.random())

    def pick(self, u: float) -> T:
        """The value at quantile ``u`` in [0, 1)."""
        i = bisect.bisect_right(self.cumulative, u * self.cumulative[-1])
        return self.values[i] if i < len(self.values) else self.values[-1]


class Deck:
    """Draws in exact proportions: a shuffled deck of cards, reshuffled once used up.

    Used for the pathway so the mix over any few thousand spells is the target mix, not
    the target give or take the sampling error of a 1 % share.
    """

    __slots__ = ("cards", "position")

    def __init__(self, counts: dict[int, int]) -> None:
        self.cards = [value for value, count in counts.items() for _ in range(count)]
        self.position = len(self.cards)

    def draw(self, rng: random.Random) -> int:
        if self.position >= len(self.cards):
            rng.shuffle(self.cards)
            self.position = 0
        card = self.cards[self.position]
        self.position += 1
        return card


# Pathway mix by setting (cards per deck). Emergency and elective are set so the acute mix
# over all discharges is the national shape, P0 50 %, P1 45 %, P2 4 %, P3 1 % (emergency
# 80 %); P2 and P3 a touch above it, as their long stays and the deaths among them trim their
# share of the discharges of any period.
PATHWAY_DECKS = {
    "emergency": {0: 875, 1: 1000, 2: 100, 3: 25},
    "elective": {0: 750, 1: 240, 2: 8, 3: 2},
    "community": {0: 4, 1: 5, 3: 1},
}
# share of spells that end without ever becoming ready (death, transfer, self-discharge)
NO_DRD = {"emergency": 0.06, "elective": 0.01, "community": 0.04}
NO_DRD_OUTCOMES: dict[str, Table[str]] = {
    "emergency": Table(
        [("died", 0.5), ("other_hospital", 0.2), ("usual_residence", 0.2), ("other", 0.1)]
    ),
    "elective": Table([("died", 0.3), ("other_hospital", 0.4), ("usual_residence", 0.3)]),
    "community": Table([("died", 0.6), ("other_hospital", 0.4)]),
}
# (median days, sigma) of the stay until death / transfer / self-discharge
NO_DRD_STAY = {
    "died": (7.0, 0.8),
    "other_hospital": (2.5, 0.8),
    "usual_residence": (1.5, 0.8),
    "other": (3.0, 0.8),
}
# (median days, sigma) of the stay until the patient stops meeting the criteria to reside
CLINICAL_STAY = {1: (6.5, 0.6), 2: (10.0, 0.5), 3: (12.0, 0.5)}
P0_SHORT_STAY = 0.40  # P0 patients ready within about a day
P0_STAY = (3.5, 0.65)
COMMUNITY_STAY = (11.0, 0.5)
ELECTIVE_STAY_FACTOR = 0.6

P0_DELAY = Table([(0, 0.62), (1, 0.23), (2, 0.07), (3, 0.04), (4, 0.02), (5, 0.01), (6, 0.01)])
WEEKEND_DEFERRAL = {
    0: 0.25,
    1: 0.45,
    2: 0.45,
    3: 0.45,
}  # chance a weekend discharge waits to Monday
# the long tail: the chance a P1/P2/P3 discharge waits 21+ days beyond its DRD (complex
# packages, funding disputes, court of protection), and the (shape, scale) of the days beyond
# 21. Set so ~0.7 % of acute discharges wait 21+ days (docs/sample-data.md).
LONG_WAIT = {1: 0.007, 2: 0.05, 3: 0.14}
LONG_WAIT_EXTRA = (1.2, 10.0)
DETERIORATION = {0: 0.05, 1: 0.05, 2: 0.10, 3: 0.10}  # DRD cleared during a delay of 2+ days

# delay reasons by pathway: (first reason while assessed, the wait proper)
P0_REASONS = Table(
    [
        ("MEDICAL_DECISION", 0.30),
        ("TTO", 0.30),
        ("TRANSPORT", 0.20),
        ("DIAGNOSTICS", 0.10),
        ("THERAPY", 0.05),
        ("NO_REASON", 0.05),
    ]
)
P0_LONG_REASONS = Table(
    [("CHOICE", 0.3), ("HOUSING", 0.25), ("EQUIPMENT", 0.25), ("SAFEGUARDING", 0.2)]
)
P1_ASSESS = Table([("ASSESS_TRIAGE", 0.40), ("ASSESS_SOCIAL", 0.45), ("A", 0.15)])
P1_WAIT = Table(
    [
        ("P1_HOMECARE", 0.45),
        ("P1_REABLEMENT", 0.25),
        ("E", 0.12),
        ("EQUIPMENT", 0.10),
        ("CHOICE", 0.05),
        ("HOUSING", 0.03),
    ]
)
P1_SHORT = Table([("TTO", 0.4), ("TRANSPORT", 0.3), ("P1_REABLEMENT", 0.3)])
P2_ASSESS = Table([("ASSESS_TRIAGE", 1.0)])
P2_WAIT = Table([("P2_BED", 0.7), ("C", 0.2), ("P2_HOSPICE", 0.1)])
P3_ASSESS = Table(
    [("ASSESS_SOCIAL", 0.3), ("ASSESS_CHC", 0.3), ("FUNDING", 0.2), ("B", 0.1), ("A", 0.1)]
)
P3_WAIT = Table(
    [
        ("P3_RESIDENTIAL", 0.30),
        ("P3_NURSING", 0.30),
        ("DI", 0.10),
        ("DII", 0.10),
        ("CHOICE", 0.10),
        ("DISPUTE", 0.04),
        ("MCA_DOLS", 0.06),
    ]
)
NOT_READY_RED_REASONS = Table(
    [
        ("DIAGNOSTICS", 0.35),
        ("SPECIALIST_REVIEW", 0.25),
        ("THERAPY", 0.20),
        ("MEDICAL_DECISION", 0.20),
    ]
)
ALL_REASON_TABLES = (
    P0_REASONS,
    P0_LONG_REASONS,
    P1_ASSESS,
    P1_WAIT,
    P1_SHORT,
    P2_ASSESS,
    P2_WAIT,
    P3_ASSESS,
    P3_WAIT,
    NOT_READY_RED_REASONS,
)


def default_agency(code: str) -> str:
    return reason_catalogue()[code].default_agency


@dataclass(slots=True, eq=False)
class NctrPeriod:
    """One stretch of not meeting the criteria to reside, from a DRD to discharge or clearing."""

    drd: int  # the discharge ready date (day ordinal)
    decided_at: int  # when the DRD was decided; the reasons start here
    visible_from: int  # the first moment a census carries it (a day later when recorded late)
    cleared_at: int | None = None  # the criteria to reside were met again
    reasons: list[tuple[int, str, str]] = field(default_factory=list)  # (from, code, agency)

    def reason_at(self, t: int) -> tuple[str, str]:
        code, agency = self.reasons[0][1], self.reasons[0][2]
        for start, c, a in self.reasons:
            if start > t:
                break
            code, agency = c, a
        return code, agency


@dataclass(slots=True, eq=False)
class Spell:
    seq: int
    spell_id: str
    person: Person
    site: Site
    ward: Ward
    specialty: str  # the kind of base ward the patient belongs on: medical | surgical | community
    local_patient_id: str
    age: int
    admitted_at: int
    admitted_iso: str
    method: str  # emergency | elective
    setting: str  # emergency | elective | community
    council: Council
    pathway: int | None = None
    pathway_from: int = 0
    periods: list[NctrPeriod] = field(default_factory=list)
    edds: list[tuple[int, int]] = field(default_factory=list)  # (from, EDD day ordinal)
    discharge_at: int = 0
    destination: str = ""
    silent: bool = False
    next_move_at: int | None = None
    # spell_id … admission_method as a census row writes them (set once, at admission)
    identity: tuple[str, ...] = ()


def uniform_int(rng: random.Random, low: int, high: int) -> int:
    """An integer in [low, high]; quicker than ``Random.randint`` on hot paths."""
    return low + int(rng.random() * (high - low + 1))


def draw_pathway(rng: random.Random, decks: dict[str, Deck], setting: str) -> int | None:
    """The pathway a spell will end on, or None for a spell that never becomes ready."""
    if rng.random() < NO_DRD[setting]:
        return None
    return decks[setting].draw(rng)


def draw_age(rng: random.Random, pathway: int | None, method: str) -> int:
    """Adult ages skewed old; the older the patient, the more support they go home with."""
    if method == "elective":
        age = rng.gauss(62, 15)
    elif pathway == 3:
        age = rng.gauss(86, 6)
    elif pathway in (1, 2):
        age = rng.gauss(79, 10) if rng.random() < 0.85 else rng.uniform(18, 70)
    else:
        age = rng.gauss(74, 12) if rng.random() < 0.6 else rng.uniform(18, 65)
    return int(min(100, max(18, age)))


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def _delay_days(rng: random.Random, pathway: int, council: Council, day: int) -> int:
    """Whole days from the DRD to discharge: longest on P3 and P2, worse in winter and in
    councils short of care; a few complex discharges wait three weeks or more."""
    if pathway == 0:
        return P0_DELAY.draw(rng)
    pressure = winter(day)
    if rng.random() < LONG_WAIT[pathway] * (0.7 + 0.6 * pressure):
        return 21 + int(rng.gammavariate(*LONG_WAIT_EXTRA))
    if pathway == 1:
        mean, shape = 1.0 * council.p1_factor * (1 + 0.5 * pressure), 0.8
    elif pathway == 2:
        mean, shape = 5.0 * (1 + 0.3 * pressure), 1.2
    else:
        mean, shape = 10.0 * council.p3_factor * (1 + 0.4 * pressure), 1.3
    return int(rng.gammavariate(shape, mean / shape))


def _agency(rng: random.Random, code: str) -> str:
    """Usually the catalogue's agency, often left empty (the catalogue default then applies)."""
    u = rng.random()
    if u < 0.35:
        return ""
    default = default_agency(code)
    if u < 0.92:
        return default
    return rng.choice([a for a in AGENCIES if a != default])


def _reasons(rng: random.Random, pathway: int, start: int, end: int) -> list[tuple[int, str, str]]:
    """The delay reasons of one NCtR period, from ``start`` to ``end``: often an assessment
    first, then the wait for the service the pathway needs."""
    length = end - start
    codes: list[str] = []
    if pathway == 0:
        codes.append(P0_REASONS.draw(rng))
        if length > 3 * DAY and rng.random() < 0.5:
            codes.append(P0_LONG_REASONS.draw(rng))
    elif pathway == 1:
        if length < DAY:
            codes.append(P1_SHORT.draw(rng))
        else:
            if length > 1.5 * DAY and rng.random() < 0.6:
                codes.append(P1_ASSESS.draw(rng))
            codes.append(P1_WAIT.draw(rng))
    elif pathway == 2:
        if length > 2 * DAY and rng.random() < 0.5:
            codes.append(P2_ASSESS.draw(rng))
        codes.append(P2_WAIT.draw(rng))
    else:
        if length > 2 * DAY and rng.random() < 0.85:
            codes.append(P3_ASSESS.draw(rng))
        codes.append(P3_WAIT.draw(rng))
    segments = [(start, codes[0], _agency(rng, codes[0]))]
    if len(codes) > 1:
        switch = start + int(length * rng.uniform(0.25, 0.6))
        segments.append((switch, codes[1], _agency(rng, codes[1])))
    return segments


def _board_round(rng: random.Random, day: int) -> int:
    return local_time(day, BOARD_ROUND_MINUTE) + uniform_int(rng, 0, 90) * MINUTE


def _discharge_time_of_day(rng: random.Random, pathway: int | None) -> int:
    low, high, mode = (10.5, 21.0, 15.5) if pathway == 0 else (10.0, 19.5, 14.5)
    return int(rng.triangular(low, high, mode) * HOUR)


def plan(
    spell: Spell, rng: random.Random, *, stay_factor: float, critical_care_days: float
) -> None:
    """Plan a spell's whole journey from admission: DRD(s), pathway, reasons, EDDs, discharge.

    ``stay_factor`` shortens stays when the hospital is under pressure; ``critical_care_days``
    is time spent in critical care before the ward stay proper begins.
    """
    admitted = spell.admitted_at
    pathway = spell.pathway
    setting = spell.setting
    if pathway is None:
        outcome = NO_DRD_OUTCOMES[setting].draw(rng)
        median, sigma = NO_DRD_STAY[outcome]
        stay = _lognormal(rng, median, sigma) * LOS_SCALE * stay_factor + critical_care_days
        spell.discharge_at = admitted + max(2 * HOUR, int(stay * DAY))
        spell.destination = outcome
        spell.silent = rng.random() < SILENT_DISCHARGE
        _plan_edds(spell, rng, stay)
        return

    if setting == "community":
        stay = _lognormal(rng, *COMMUNITY_STAY)
    elif pathway == 0:
        stay = rng.uniform(0.2, 1.2) if rng.random() < P0_SHORT_STAY else _lognormal(rng, *P0_STAY)
    else:
        stay = _lognormal(rng, *CLINICAL_STAY[pathway])
    if setting == "elective":
        stay *= ELECTIVE_STAY_FACTOR
    stay = stay * LOS_SCALE * stay_factor + critical_care_days
    ready_day = local_date(admitted + int(stay * DAY))
    decided = _board_round(rng, ready_day)
    if decided < admitted + HOUR:  # ready on the day of admission, after the board round
        decided = admitted + uniform_int(rng, 60, 240) * MINUTE
    visible = decided
    if rng.random() < LATE_DRD:
        visible = max(decided, _board_round(rng, ready_day + 1))
    first = NctrPeriod(ready_day, decided, visible)
    spell.periods = [first]

    delay = _delay_days(rng, pathway, spell.council, ready_day)
    discharge_day = ready_day + delay
    if weekday(discharge_day) >= 5 and rng.random() < WEEKEND_DEFERRAL[pathway]:
        discharge_day += 7 - weekday(discharge_day) + (rng.random() < 0.3)  # to Mon or Tue
    discharge_at = midnight(discharge_day) + _discharge_time_of_day(rng, pathway)
    discharge_at = max(discharge_at, decided + 30 * MINUTE, admitted + 2 * HOUR)
    destination = ""

    if delay >= 2 and rng.random() < DETERIORATION[pathway]:
        low, high = decided + 6 * HOUR, discharge_at - 6 * HOUR
        if high > low:
            cleared = uniform_int(rng, low, high)
            first.cleared_at = cleared
            unwell_days = 1 + int(rng.gammavariate(1.5, 1.5))
            if rng.random() < 0.12:
                discharge_at = cleared + int(rng.uniform(0.3, unwell_days) * DAY)
                destination = "died"
            else:
                ready_again = local_date(cleared + unwell_days * DAY)
                decided_again = _board_round(rng, ready_again)
                discharge_at = max(discharge_at + unwell_days * DAY, decided_again + 30 * MINUTE)
                spell.periods.append(NctrPeriod(ready_again, decided_again, decided_again))

    for period in spell.periods:
        end = period.cleared_at if period.cleared_at is not None else discharge_at
        period.reasons = _reasons(rng, pathway, period.decided_at, max(end, period.decided_at))

    if not destination:
        last_code = spell.periods[-1].reasons[-1][1]
        if pathway == 3:
            destination = "care_home"
        elif pathway == 2:
            destination = "hospice" if last_code == "P2_HOSPICE" else "community_bed"
        else:
            destination = "usual_residence" if rng.random() < 0.975 else "other"
    spell.discharge_at = discharge_at
    spell.destination = destination
    spell.silent = rng.random() < SILENT_DISCHARGE

    if pathway == 0:
        spell.pathway_from = decided
    else:  # the plan is usually known a few days before the patient is ready
        ahead = rng.choice((0, 1, 1, 2, 3))
        spell.pathway_from = min(decided, max(admitted, local_time(ready_day - ahead, 600)))
    _plan_edds(spell, rng, stay)


def _plan_edds(spell: Spell, rng: random.Random, stay: float) -> None:
    """An expected discharge date estimated at admission, revised when it passes."""
    admitted = spell.admitted_at
    admitted_day = local_date(admitted)
    estimate = stay * math.exp(rng.gauss(0, 0.35))
    edd = max(admitted_day, local_date(admitted + int(estimate * DAY)))
    if rng.random() < 0.85:
        set_at = admitted
    else:  # set at the first board round after admission
        set_at = local_time(admitted_day, BOARD_ROUND_MINUTE)
        if set_at <= admitted:
            set_at = local_time(admitted_day + 1, BOARD_ROUND_MINUTE)
    if set_at >= spell.discharge_at:
        return
    spell.edds = [(set_at, edd)]
    discharge_day = local_date(spell.discharge_at)
    for _ in range(2):
        if edd >= discharge_day:
            break
        revised_at = local_time(edd + 1, BOARD_ROUND_MINUTE)
        if revised_at >= spell.discharge_at or rng.random() > 0.7:
            break
        edd = max(edd + 1, local_date(revised_at), discharge_day + uniform_int(rng, -2, 2))
        spell.edds.append((revised_at, edd))


def critical_care_stay(rng: random.Random) -> float:
    """Days in critical care before stepping down to a ward."""
    return 0.5 + rng.gammavariate(1.5, 1.4)


_MASK = (1 << 64) - 1


def _mix(x: int) -> int:
    """splitmix64: a well-spread 64-bit hash, for draws that must not consume a generator."""
    x = (x + 0x9E3779B97F4A7C15) & _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def period_at(spell: Spell, t: int) -> NctrPeriod | None:
    """The NCtR period a census at ``t`` reports (its DRD is visible and not cleared)."""
    for period in spell.periods:
        if period.visible_from <= t and (period.cleared_at is None or t < period.cleared_at):
            return period
    return None


@dataclass(frozen=True, slots=True)
class Census:
    """The moment of a census, and what every row of it shares."""

    at: int
    day: int  # its Europe/London day
    salt: int  # the world's hash salt (Red2Green)
    board_round: int  # 10:00 on that day
    unrecorded: float  # share of board rounds recording no Red2Green status that day

    @classmethod
    def at_moment(cls, t: int, salt: int) -> Census:
        day = local_date(t)
        unrecorded = UNRECORDED_R2G[1 if weekday(day) >= 5 else 0]
        return cls(t, day, salt, local_time(day, BOARD_ROUND_MINUTE), unrecorded)


def red2green(spell: Spell, census: Census) -> tuple[str, str]:
    """The board round's Red2Green status for the census's day, as the census reports it.

    Empty before the board round has happened, for patients admitted after it, and on the
    board rounds that recorded nothing (more at weekends).
    """
    board = census.board_round
    if census.at < board + HOUR or spell.admitted_at > board:
        return "", ""
    h = _mix(census.salt ^ _mix(spell.seq * 1_000_003 + census.day))
    if (h & 0xFFFF) / 65536 < census.unrecorded:
        return "", ""
    u_status = ((h >> 16) & 0xFFFF) / 65536
    period = period_at(spell, board)
    if period is not None and period.drd <= census.day:
        if u_status < 0.95:
            return "red", period.reason_at(board)[0]
        return "green", ""
    if u_status < 0.2:
        return "red", NOT_READY_RED_REASONS.pick(((h >> 32) & 0xFFFF) / 65536)
    return "green", ""


def census_fields(spell: Spell, census: Census) -> list[str]:
    """expected_discharge_date … discharge_destination of a spell in hospital at a census."""
    t = census.at
    edd = ""
    for start, value in spell.edds:
        if start > t:
            break
        edd = iso_date(value)
    drd = pathway = reason = agency = ""
    period = period_at(spell, t)
    if period is not None:
        drd = iso_date(period.drd)
        reason, agency = period.reason_at(t)
    if spell.pathway is not None and t >= spell.pathway_from:
        pathway = str(spell.pathway)
    status, red_reason = red2green(spell, census)
    return [
        edd,
        drd,
        pathway,
        reason,
        agency,
        spell.council.code,
        status,
        red_reason,
        "",
        "",
        contributing_codes(spell.spell_id, reason),
    ]


#: what often holds up a delay of each kind as well (DESIGN §3: delays rarely have one cause)
_ALSO_HELD_UP_BY = {
    "P1": "ASSESS_SOCIAL",
    "P2": "THERAPY",
    "P3": "FUNDING;CHOICE",
    "AS": "EQUIPMENT",
}


def contributing_codes(spell_id: str, reason: str) -> str:
    """Contributing reasons for about a quarter of the delays, from a hash of the spell id (no
    draw from the random streams, so the rest of the sample is unchanged)."""
    if not reason or zlib.crc32(spell_id.encode()) % 4:
        return ""
    return _ALSO_HELD_UP_BY.get(reason[:2], "")


def discharge_fields(spell: Spell) -> list[str]:
    """expected_discharge_date … discharge_destination of a discharge row: the state at
    discharge, with the DRD in force then even when it had not reached a census yet."""
    t = spell.discharge_at
    edd = ""
    for start, value in spell.edds:
        if start > t:
            break
        edd = iso_date(value)
    drd = pathway = reason = agency = ""
    last = spell.periods[-1] if spell.periods else None
    if last is not None and last.cleared_at is None:
        drd = iso_date(last.drd)
        reason, agency = last.reason_at(t)
    if spell.pathway is not None and (t >= spell.pathway_from or drd):
        pathway = str(spell.pathway)
    return [
        edd,
        drd,
        pathway,
        reason,
        agency,
        spell.council.code,
        "",
        "",
        iso(spell.discharge_at),
        spell.destination,
        contributing_codes(spell.spell_id, reason),
    ]
