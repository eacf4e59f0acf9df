"""The coordinator's filters (kept in the address) and the metrics calls behind the page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from app.domain.discharge_asks import BEYOND_DRD_DAYS
from app.domain.scopes import NOBODY, Scope
from app.domain.vocabularies import AGENCIES, PATHWAYS
from app.metrics import flow, patient_level, timebase, windows
from app.metrics.cache import cached
from app.metrics.schemas import DelayedDaysByCategory, DelayedPatient, DelayedPatients
from app.security.principal import current_principal_or_none
from dashboards import figures, formats
from dashboards.data import parse_at

ALL = "all"  # the value of the "All …" choice of a select
FILTERS = ("site", "ward", "council", "pathway", "reason", "agency", "min_days", "ask")
#: NHS England's 2025/26 asks as presets of the grid (DESIGN §4.11): value → words
ASKS = {
    "internal_48h": "Internal delay over 48 hours",
    "beyond_21": f"{BEYOND_DRD_DAYS}+ days beyond ready date",
}


@dataclass(frozen=True)
class Filters:
    """The coordinator's filters, as read from the address or the controls ("" = all)."""

    site: str = ""
    ward: str = ""  # "SITE/WARD": ward codes repeat across sites
    council: str = ""
    pathway: str = ""
    reason: str = ""
    agency: str = ""
    min_days: int | None = None
    ask: str = ""  # one of ASKS: the patients of an NHS England ask
    at: str = ""

    @classmethod
    def read(cls, raw: dict[str, Any]) -> Filters:
        def text(name: str) -> str:
            value = raw.get(name)
            if value in (None, "", ALL):
                return ""
            return str(value).strip()

        try:
            min_days = int(raw["min_days"]) if raw.get("min_days") not in (None, "") else None
        except (TypeError, ValueError):
            min_days = None
        if min_days is not None and min_days < 0:
            min_days = None
        pathway = text("pathway")
        agency = text("agency")
        ask = text("ask")
        site = text("site")
        ward = text("ward")
        if ward and ("/" not in ward or (site and not ward.startswith(site + "/"))):
            ward = ""  # a ward of another site, or not a SITE/WARD key
        return cls(
            site=site,
            ward=ward,
            council=text("council"),
            pathway=pathway if pathway in PATHWAYS else "",
            reason=text("reason"),
            agency=agency if agency in AGENCIES else "",
            min_days=min_days,
            ask=ask if ask in ASKS else "",
            at=text("at"),
        )

    def query_string(self) -> str:
        """``?site=…`` with only the filters that are set (the empty string when none are)."""
        pairs = {
            name: getattr(self, name)
            for name in (*FILTERS, "at")
            if getattr(self, name) not in ("", None)
        }
        return f"?{urlencode(pairs)}" if pairs else ""


def viewer_scope() -> Scope:
    """Whose patients the signed-in coordinator may see (nobody's outside a request)."""
    principal = current_principal_or_none()
    return principal.scope if principal is not None else NOBODY


def everyone(session: Any, at: Any) -> DelayedPatients:
    """Every delayed patient the viewer may see, unfiltered (for the choices and the count)."""
    return cached(session, patient_level.delayed, now_bound=at is None, at=at, scope=viewer_scope())


def ward_key(site: str, ward: str) -> str:
    return f"{site}/{ward}"


def delayed(session: Any, filters: Filters) -> tuple[list[DelayedPatient], DelayedPatients]:
    ward_site, _, ward = filters.ward.partition("/")
    at = parse_at(filters.at)
    result = cached(
        session,
        patient_level.delayed,
        now_bound=at is None,
        at=at,
        scope=viewer_scope(),
        site=filters.site or ward_site or None,
        ward=ward or None,
        pathway=int(filters.pathway) if filters.pathway else None,
        reason=filters.reason or None,
        local_authority=filters.council or None,
        agency=filters.agency or None,
        min_days=_min_days(filters),
        internal_over_48h=True if filters.ask == "internal_48h" else None,
    )
    return list(result.patients), result


def _min_days(filters: Filters) -> int | None:
    """The minimum days beyond DRD asked for: the 21+ preset sets it to 21 (or keeps a larger
    minimum typed in)."""
    if filters.ask != "beyond_21":
        return filters.min_days
    return max(filters.min_days or 0, BEYOND_DRD_DAYS)


#: the blockage charts: the attribute each splits the bed days lost by, and its title
BLOCKAGE_CHARTS = (
    ("reason", "By reason"),
    ("pathway", "By pathway"),
    ("agency", "By who must act"),
    ("local_authority", "By council"),
)


@dataclass(frozen=True)
class Blockages:
    """The blockage charts, the roll-up by reason category and the words that say what they
    count, for the coordinator's filters."""

    figures: list[Any]
    by_category: DelayedDaysByCategory
    note: str


def _period_filters(filters: Filters) -> dict[str, Any]:
    """The coordinator's filters as the delayed-days metric takes them (every one of them)."""
    ward_site, _, ward = filters.ward.partition("/")
    return {
        "site": filters.site or ward_site or None,
        "ward": ward or None,
        "local_authority": filters.council or None,
        "pathway": int(filters.pathway) if filters.pathway else None,
        "reason": filters.reason or None,
        "agency": filters.agency or None,
        "min_days": _min_days(filters),
    }


def _filter_words(filters: Filters) -> str:
    chosen = [
        words
        for value, words in (
            (filters.site, f"site {filters.site}"),
            (filters.ward, f"ward {filters.ward.partition('/')[2]}"),
            (filters.council, f"council {filters.council}"),
            (filters.pathway, f"pathway {filters.pathway}"),
            (filters.reason, f"reason {filters.reason}"),
            (
                filters.agency,
                f"who must act: {formats.AGENCY_WORDS.get(filters.agency, filters.agency)}",
            ),
            (
                _min_days(filters) is not None,
                f"days at least {_min_days(filters)} beyond the ready date",
            ),
        )
        if value
    ]
    return "; ".join(chosen) if chosen else "the whole system"


def blockages(session: Any, filters: Filters) -> Blockages:
    """Bed days lost in the last 7 days, split four ways and by reason category, narrowed by
    every filter of the page (each day by what was in force that day, DESIGN §4.3)."""
    moment = timebase.resolve_at(parse_at(filters.at))
    period = windows.days_ending(timebase.local_date(moment))
    start, end = period.start, period.end
    narrowing = _period_filters(filters)
    charts = []
    for group_by, title in BLOCKAGE_CHARTS:
        delayed = cached(
            session,
            flow.delayed_days,
            now_bound=False,
            start=start,
            end=end,
            group_by=group_by,
            **narrowing,
        )
        charts.append(
            figures.ranked_bars(
                [g.label for g in delayed.groups],
                [g.delayed_days for g in delayed.groups],
                title=title,
                x_title="Delayed bed days",
                max_bars=8,
            )
        )
    by_category = cached(
        session,
        flow.delayed_days_by_category,
        now_bound=False,
        start=start,
        end=end,
        **narrowing,
    )
    note = (
        f"Bed days lost, {formats.short_day(start)} to {formats.short_day(end)}, for "
        f"{_filter_words(filters)}: each is a day a patient spent in hospital after being ready "
        "to leave, counted under the reason, pathway, agency, council and ward in force that "
        "day. Every filter above applies here."
    )
    return Blockages(figures=charts, by_category=by_category, note=note)
