"""Who may read what: the roles (DESIGN §7) and the ONE table of paths each role may call.

The table is enforced for every request by ``app.security.access`` (the API and the pages
alike), so a new router is closed until a rule here opens it. The first rule that matches
the method and path wins; a path no rule matches is refused.

Patterns are matched segment by segment: ``*`` is one segment, a trailing ``**`` any number
(including none). ``roles=None`` means anyone, signed in or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    WALL = "wall"  # the escalation-meeting wall display: aggregates only, never an identifier
    ANALYST = "analyst"  # aggregates and reports
    COORDINATOR = "coordinator"  # patient-level, every read audited
    ADMIN = "admin"  # users, tokens, audit, configuration, quarantine; no patient-level data
    FEED = "feed"  # machine clients that deliver batches


ALL_ROLES = frozenset(Role)
AGGREGATES = frozenset({Role.WALL, Role.ANALYST, Role.COORDINATOR, Role.ADMIN})
PEOPLE_WHO_SEE_FEEDS = frozenset({Role.ANALYST, Role.COORDINATOR, Role.ADMIN})
PATIENT_LEVEL = frozenset({Role.COORDINATOR})
FEED_ONLY = frozenset({Role.FEED})
RUN_READERS = PEOPLE_WHO_SEE_FEEDS | FEED_ONLY
ADMIN_ONLY = frozenset({Role.ADMIN})
# Actions (DESIGN §4.13): coordinators and analysts raise and change them; admins read them;
# the wall reads titles, owners and status (/api/v1/actions/wall); feed tokens nothing.
ACTION_WRITERS = frozenset({Role.ANALYST, Role.COORDINATOR})
ACTION_READERS = ACTION_WRITERS | ADMIN_ONLY
# High Impact Change Model self-assessments: analysts and coordinators record them.
HICM_WRITERS = frozenset({Role.ANALYST, Role.COORDINATOR})
# Roles an API token may carry: patient-level and admin access is for named people only, so
# that the audit trail always says which person looked.
TOKEN_ROLES = frozenset({Role.FEED, Role.WALL, Role.ANALYST})
# Meetings (DESIGN §4.13): coordinators and analysts run the daily call and the weekly meeting
# (/meeting, /api/v1/meetings); not the wall (minutes are free text), not admins, not feeds.
MEETING_ROLES = frozenset({Role.ANALYST, Role.COORDINATOR})


@dataclass(frozen=True)
class Rule:
    """Who may call ``methods`` on the paths matching ``pattern``."""

    methods: frozenset[str] | None  # None: any method
    pattern: str
    roles: frozenset[Role] | None  # None: anyone, signed in or not
    patient_level: bool = False  # audited; never cached

    def matches(self, method: str, path: str) -> bool:
        if self.methods is not None and method not in self.methods:
            return False
        return path_matches(self.pattern, path)


GET = frozenset({"GET", "HEAD"})
POST = frozenset({"POST"})
ANY = None
PUBLIC = None

API_RULES: tuple[Rule, ...] = (
    Rule(GET, "/api/v1/health", PUBLIC),
    Rule(ANY, "/api/v1/auth/login", PUBLIC),
    Rule(POST, "/api/v1/auth/logout", PUBLIC),  # ends the caller's own session, if any
    Rule(ANY, "/api/v1/auth/kiosk", PUBLIC),  # a wall token becomes a wall browser session
    Rule(GET, "/api/v1/auth/oidc/**", PUBLIC),
    Rule(GET, "/api/v1/auth/me", ALL_ROLES),
    Rule(ANY, "/api/v1/admin/**", ADMIN_ONLY),
    # Only machine clients deliver batches: a person's account (admin included) does not.
    Rule(POST, "/api/v1/feeds/*/batches", FEED_ONLY),
    Rule(GET, "/api/v1/feeds/status", AGGREGATES),  # the wall shows how fresh each feed is
    # Runs and their quarantined rows: a feed client reads only the runs it delivered; the
    # values received (local ids, ages, dates) only the coordinator (audited) and the sender
    # see, the others the line, column and reason (app/api/feeds.py decides).
    Rule(GET, "/api/v1/feeds/runs/**", RUN_READERS),
    Rule(GET, "/api/v1/feeds/**", PEOPLE_WHO_SEE_FEEDS),
    Rule(GET, "/api/v1/flow/**", AGGREGATES),
    Rule(GET, "/api/v1/capacity/**", AGGREGATES),
    Rule(GET, "/api/v1/trends/**", AGGREGATES),
    Rule(GET, "/api/v1/metrics/**", AGGREGATES),
    Rule(GET, "/api/v1/forecast/**", AGGREGATES),
    Rule(POST, "/api/v1/forecast/what-if", AGGREGATES),  # a scenario: aggregates, no change
    Rule(GET, "/api/v1/returns/**", AGGREGATES),  # NHS England's returns: aggregates only
    Rule(GET, "/api/v1/actions/wall", AGGREGATES),
    Rule(GET, "/api/v1/actions/**", ACTION_READERS),
    Rule(frozenset({"POST", "PATCH"}), "/api/v1/actions/**", ACTION_WRITERS),
    Rule(GET, "/api/v1/meetings/**", MEETING_ROLES),
    Rule(POST, "/api/v1/meetings/**", MEETING_ROLES),
    Rule(GET, "/api/v1/hicm/**", AGGREGATES),
    Rule(POST, "/api/v1/hicm/assessments", HICM_WRITERS),
    # Patient level: coordinators only. Not admin: managing the system does not need
    # identifiable data (Caldicott principle 3, the minimum necessary).
    Rule(GET, "/api/v1/patients/**", PATIENT_LEVEL, patient_level=True),
    # OpenAPI and its pages exist only when docs are enabled (off in production by default).
    Rule(GET, "/api/v1/openapi.json", PUBLIC),
    Rule(GET, "/api/docs/**", PUBLIC),
)

PAGE_RULES: tuple[Rule, ...] = (
    Rule(ANY, "/login", PUBLIC),
    Rule(GET, "/login/accessibility", PUBLIC),  # the accessibility statement, before sign-in
    Rule(GET, "/assets/**", PUBLIC),
    Rule(GET, "/_dash-component-suites/**", PUBLIC),
    Rule(GET, "/_favicon.ico", PUBLIC),
    Rule(GET, "/favicon.ico", PUBLIC),
    Rule(GET, "/docs/oauth2-redirect", PUBLIC),
    # Dash's own routes: signed in (the callback route is checked again per callback, by the
    # page whose module registered it: see app.security.access).
    Rule(GET, "/_dash-layout", AGGREGATES),
    Rule(GET, "/_dash-dependencies", AGGREGATES),
    Rule(GET, "/_reload-hash", AGGREGATES),
    Rule(POST, "/_dash-update-component", AGGREGATES),
    # Pages. The shell HTML is the same for all; what matters is the callback that fills it.
    Rule(GET, "/coordinator", PATIENT_LEVEL, patient_level=True),
    Rule(GET, "/patient/*", PATIENT_LEVEL, patient_level=True),
    Rule(GET, "/site/*/ward/*", PATIENT_LEVEL, patient_level=True),  # lists the ward's patients
    Rule(GET, "/feeds", PEOPLE_WHO_SEE_FEEDS),
    Rule(GET, "/meeting", MEETING_ROLES),
    Rule(GET, "/admin/**", ADMIN_ONLY),
    Rule(GET, "/**", AGGREGATES),  # the wall, overview, sites, weekly report, definitions, 404
)


def path_matches(pattern: str, path: str) -> bool:
    """``*`` matches one segment, a final ``**`` any number of segments (or none)."""
    want = [p for p in pattern.split("/") if p]
    have = [p for p in path.split("/") if p]
    if want and want[-1] == "**":
        head = want[:-1]
        return len(have) >= len(head) and all(
            w == "*" or w == h for w, h in zip(head, have, strict=False)
        )
    return len(want) == len(have) and all(
        w == "*" or w == h for w, h in zip(want, have, strict=True)
    )


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def rule_for(method: str, path: str) -> Rule | None:
    """The rule in force for a request, or None when no rule opens the path (refused)."""
    rules = API_RULES if is_api_path(path) else PAGE_RULES
    return next((rule for rule in rules if rule.matches(method, path)), None)


def page_rule(path: str) -> Rule | None:
    """The rule of a page path (``/coordinator``, ``/patient/<spell_id>``, …)."""
    return next((rule for rule in PAGE_RULES if rule.matches("GET", path)), None)


def allowed(rule: Rule | None, role: Role | None) -> bool:
    """Whether ``role`` (None: anonymous) may pass ``rule``."""
    if rule is None:
        return False
    if rule.roles is None:
        return True
    return role is not None and role in rule.roles
