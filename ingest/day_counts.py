"""Keep the roll-ups of ``spell_days`` in step: ``spell_day_counts`` (per day, site and every
attribute the period metrics group by), ``spell_day_ward_totals`` (per day and ward) and
``spell_day_delay_counts`` (delayed days per day, site and one attribute at a time); and the
discharges of ``spells`` in ``spell_discharge_counts`` (per discharge day, site, delay band,
NCtR and the 17:00 cut-off), recounted for the discharge days a batch's spells moved to or
from.

The patients census (``ingest.census``) writes ``spell_days`` rows for a few (site, day)
pairs — the census day, and earlier days only when a late DRD, a discharge or an
out-of-order census rewrites a spell's history from some day on. The census records what it
touched in a :class:`DayTouches`; :func:`refresh` then recounts exactly those (site, day)
pairs from ``spell_days`` in the same transaction (delete their counts, insert
``SELECT … GROUP BY``; then the same for the ward totals, summed from the fresh counts). A
recount is always exact, so counting a pair that did not change is harmless; what matters is
that no changed pair is missed, which is why a spell's "rewrite from day D" touches every
day from D on for its site.

:func:`rebuild` recounts the whole table (the migration that introduced it does the same in
SQL); ``tests/test_day_counts.py`` checks that the incremental counts always equal a rebuild.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    case,
    cast,
    delete,
    false,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement

from app.domain.days import local_instants
from app.domain.delay_bands import DISCHARGE_CUTOFF, band_of, delay_at_discharge
from models.spells import (
    Spell,
    SpellDay,
    SpellDayCount,
    SpellDayDelayCount,
    SpellDayWardTotal,
    SpellDischargeCount,
)

#: what the period metrics filter or group by: the roll-up's key (``n`` counts the bed days)
KEY_COLUMNS = (
    "day",
    "site_code",
    "ward_code",
    "local_authority_code",
    "nctr",
    "pathway",
    "delay_reason_code",
    "delay_attributable_to",
    "r2g_status",
    "r2g_reason_code",
)


#: a "from day D on" touch spanning fewer days than this is recounted as the list of its days
SPAN_AS_DAYS = 400


@dataclass
class DayTouches:
    """The (site, day) pairs whose ``spell_days`` rows a batch wrote or deleted."""

    days: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))
    #: site → the earliest day from which every later day of the site may have changed
    from_day: dict[str, date] = field(default_factory=dict)

    def add(self, site_code: str, day: date) -> None:
        self.days[site_code].add(day)

    def add_from(self, site_code: str, day: date) -> None:
        known = self.from_day.get(site_code)
        self.from_day[site_code] = day if known is None else min(known, day)

    #: site → the discharge days whose discharges a batch wrote (a spell's new and old date)
    discharges: dict[str, set[date]] = field(default_factory=lambda: defaultdict(set))

    def add_discharge(self, site_code: str, day: date) -> None:
        self.discharges[site_code].add(day)

    def __bool__(self) -> bool:
        return bool(self.from_day) or any(self.days.values()) or any(self.discharges.values())

    def discharge_groups(self) -> dict[frozenset[date], list[str]]:
        """Sites whose discharges changed on the same days."""
        grouped: dict[frozenset[date], list[str]] = defaultdict(list)
        for site in sorted(self.discharges):
            if self.discharges[site]:
                grouped[frozenset(self.discharges[site])].append(site)
        return grouped

    def groups(
        self, last: date | None = None
    ) -> dict[tuple[frozenset[date], date | None], list[str]]:
        """Sites that touched the same days, so one statement recounts them together.

        With ``last`` (the latest day the roll-ups can hold), a site's "every day from D on"
        spanning fewer than ``SPAN_AS_DAYS`` days is listed as its days D…``last``: the same
        (site, day) pairs, but a list lets the recount seek the (day, site_code) index, where
        ``day >= D`` made SQLite (which keeps no statistics) read each site's whole history.
        """
        grouped: dict[tuple[frozenset[date], date | None], list[str]] = defaultdict(list)
        for site in sorted(set(self.days) | set(self.from_day)):
            start = self.from_day.get(site)
            days = set(self.days.get(site, ()))
            if start is not None and last is not None and (last - start).days < SPAN_AS_DAYS:
                days.update(start + timedelta(days=i) for i in range((last - start).days + 1))
                start = None
            exact = frozenset(d for d in days if start is None or d < start)
            if exact or start is not None:
                grouped[(exact, start)].append(site)
        return grouped


Table = type[SpellDay] | type[SpellDayCount] | type[SpellDayWardTotal] | type[SpellDayDelayCount]


def _where(table: Table, sites: list[str], exact: frozenset[date], start: date | None) -> Any:
    on_days: list[ColumnElement[bool]] = []
    if exact:
        on_days.append(table.day.in_(sorted(exact)))
    if start is not None:
        on_days.append(table.day >= start)
    # one day condition stands alone: SQLite seeks the (day, site_code) index for
    # ``day IN (…) AND site_code IN (…)``, but wrapped in ``0 OR …`` it walked each site's
    # whole history through the (site_code, ward_code, day) index (~10x slower at a year)
    on_day = on_days[0] if len(on_days) == 1 else or_(*on_days) if on_days else false()
    site: Any = table.site_code
    if table is SpellDay:
        # ``site_code || ''`` keeps the site test off the (site_code, ward_code, day) index:
        # SQLite keeps no statistics and, for days not stored yet, chose that index and read
        # each site's whole history (~120 ms a census at a year instead of ~10)
        site = site.concat(literal_column("''"))
    if table is SpellDayDelayCount:  # its index leads with the dimension
        return and_(table.dimension.in_(list(DELAY_DIMENSIONS)), on_day, site.in_(sites))
    return and_(on_day, site.in_(sites))


def _n_where(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, SpellDayCount.n), else_=0))


#: the attributes delayed days are split by, one at a time (``spell_day_delay_counts``)
DELAY_DIMENSIONS = {
    "reason": "delay_reason_code",
    "agency": "delay_attributable_to",
    "local_authority": "local_authority_code",
    "pathway": "pathway",
    "ward": "ward_code",
}
WARD_KEY = ("day", "site_code", "ward_code")
WARD_TOTALS = ("bed_days", "nctr_days", "red_days", "green_days", "not_recorded_days")


def _recount(session: Session, where: Callable[[Table], Any] | None) -> None:
    """Recount the roll-ups where ``where(table)`` holds (everywhere when None)."""
    # the totals and the delay splits are summed from the counts
    for table in (SpellDayWardTotal, SpellDayDelayCount, SpellDayCount):
        remove = delete(table)
        if where is not None:
            remove = remove.where(where(table))
        session.execute(remove)
    keys = [getattr(SpellDay, c) for c in KEY_COLUMNS]
    counted = select(*keys, func.count()).group_by(*keys)
    if where is not None:
        counted = counted.where(where(SpellDay))
    session.execute(insert(SpellDayCount).from_select([*KEY_COLUMNS, "n"], counted))
    ward = [getattr(SpellDayCount, c) for c in WARD_KEY]
    totals = select(
        *ward,
        func.sum(SpellDayCount.n),
        _n_where(SpellDayCount.nctr.is_(True)),
        _n_where(SpellDayCount.r2g_status == "red"),
        _n_where(SpellDayCount.r2g_status == "green"),
        _n_where(SpellDayCount.r2g_status == "not_recorded"),
    ).group_by(*ward)
    if where is not None:
        totals = totals.where(where(SpellDayCount))
    session.execute(insert(SpellDayWardTotal).from_select([*WARD_KEY, *WARD_TOTALS], totals))
    for dimension, column in DELAY_DIMENSIONS.items():
        value = getattr(SpellDayCount, column)
        split = (
            select(
                literal(dimension),
                SpellDayCount.day,
                SpellDayCount.site_code,
                cast(value, String) if column == "pathway" else value,
                func.sum(SpellDayCount.n),
            )
            .where(SpellDayCount.nctr.is_(True))
            .group_by(SpellDayCount.day, SpellDayCount.site_code, value)
        )
        if where is not None:
            split = split.where(where(SpellDayCount))
        session.execute(
            insert(SpellDayDelayCount).from_select(
                ["dimension", "day", "site_code", "value", "n"], split
            )
        )


DISCHARGE_COLUMNS = ("discharge_date", "site_code", "band", "nctr", "by_cutoff", "n", "delay_days")


def _recount_discharges(session: Session, sites: list[str] | None, days: list[date]) -> None:
    """Recount ``spell_discharge_counts`` of ``days`` (at ``sites``, or everywhere)."""
    if not days:
        return
    remove = delete(SpellDischargeCount).where(SpellDischargeCount.discharge_date.in_(days))
    if sites is not None:
        remove = remove.where(SpellDischargeCount.site_code.in_(sites))
    session.execute(remove)
    cutoffs = local_instants(days, at_time=DISCHARGE_CUTOFF, name="cutoffs")
    delay = delay_at_discharge()
    nctr = Spell.drd_at_discharge.is_not(None)
    flags = (
        case((nctr, True), else_=False),
        case((and_(nctr, Spell.discharged_at < cutoffs.c.instant), True), else_=False),
    )
    band = band_of(delay)
    counted = (
        select(Spell.discharge_date, Spell.site_code, band, *flags, func.count(), func.sum(delay))
        .join(cutoffs, cutoffs.c.day == Spell.discharge_date)
        .group_by(Spell.discharge_date, Spell.site_code, band, *flags)
    )
    if sites is not None:
        counted = counted.where(Spell.site_code.in_(sites))
    session.execute(insert(SpellDischargeCount).from_select(DISCHARGE_COLUMNS, counted))


def refresh(session: Session, touches: DayTouches) -> None:
    """Recount the touched (site, day) pairs, in the caller's transaction (after its writes)."""
    if not touches:
        return
    session.flush()
    last = None
    if touches.from_day:
        # the latest day of spell_days (after the batch's writes) or of the counts (days the
        # batch deleted), at any site
        known = (
            session.scalar(select(func.max(SpellDay.day))),
            session.scalar(select(func.max(SpellDayCount.day))),
            *(max(days) for days in touches.days.values() if days),
        )
        last = max((day for day in known if day is not None), default=None)
    for (exact, start), sites in touches.groups(last).items():
        _recount(
            session,
            lambda table, sites=sites, exact=exact, start=start: _where(  # type: ignore[misc]
                table, sites, exact, start
            ),
        )
    for days, sites in touches.discharge_groups().items():
        _recount_discharges(session, sites, sorted(days))


def rebuild(session: Session) -> None:
    """Recount every day of every site from ``spell_days`` and ``spells``."""
    session.flush()
    _recount(session, None)
    session.execute(delete(SpellDischargeCount))
    days: list[date] = list(
        session.scalars(
            select(Spell.discharge_date)
            .where(Spell.discharge_date.is_not(None))
            .distinct()
            .order_by(Spell.discharge_date)
        )
    )
    for start in range(0, len(days), 500):
        _recount_discharges(session, None, days[start : start + 500])
