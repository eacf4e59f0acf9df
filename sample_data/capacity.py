"""Day-to-day life of care-home and home-care capacity: tighter in winter, varying by council."""

from __future__ import annotations

import math
import random

from sample_data.clock import winter
from sample_data.world import CareHome, Provider

HOURS_PER_PACKAGE = 16.0  # a typical new package after a discharge: ~16 hours of care a week
# Of a home's vacant beds, the share open to a patient leaving hospital on a given day; the
# rest are held (a placement from the community arranged, respite, a self-funder's choice) or
# not suitable, and the feed reports them as reserved. An assumption that puts the P3 supply
# near the P3 demand, as the escalation meetings find it, instead of ~1,000 free beds.
OPEN_TO_HOSPITAL = 0.028
HOME_CARE_DAY_SPREAD = 0.2  # sigma of the day's shared factor on packages startable


def step_care_homes(homes: list[CareHome], rng: random.Random, day: int) -> None:
    """One day: occupancy drifts toward each home's usual level (higher in winter and in
    councils short of places); outbreaks close homes to admissions for days or weeks."""
    pressure = winter(day)
    for home in homes:
        if home.accepting:
            if rng.random() < 0.002 + 0.005 * pressure:
                home.accepting = False
                home.reopens_on = day + rng.randint(3, 14)
        elif day >= home.reopens_on:
            home.accepting = True
        rate = min(0.99, home.base_rate + 0.04 * pressure + 0.03 * (home.council.p3_factor - 1))
        for unit in home.units:
            step = 0.25 * (unit.max_capacity * rate - unit.occupied) + rng.gauss(0, 0.9)
            unit.occupied = min(unit.max_capacity, max(0, round(unit.occupied + step)))
            vacant = unit.max_capacity - unit.occupied
            open_share = OPEN_TO_HOSPITAL * (1.3 - 0.6 * pressure)
            unit.reserved = vacant - sum(rng.random() < open_share for _ in range(vacant))


def step_home_care(providers: list[Provider], rng: random.Random, day: int) -> None:
    """One day: each provider zone's spare hours drift toward a level that falls by up to
    ~45 % in winter and is lower in councils where home care is scarce."""
    pressure = winter(day)
    # a day's shared fortune across every provider (carers off sick, a cold snap, a provider
    # handing packages back): what makes one morning's P1 gap much worse than the last's
    shared = math.exp(rng.gauss(0, HOME_CARE_DAY_SPREAD))
    for provider in providers:
        for zone in provider.zones:
            target = zone.base_hours * (1 - 0.45 * pressure) / zone.council.p1_factor
            noise = rng.gauss(0, 0.15 * zone.base_hours)
            zone.hours = max(0.0, zone.hours + 0.3 * (target - zone.hours) + noise)
            startable = zone.hours * shared / HOURS_PER_PACKAGE
            zone.packages = max(0, round(startable + rng.gauss(0, 0.6)))
