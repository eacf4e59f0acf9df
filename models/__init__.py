"""The Homeward store: schema only (SQLAlchemy 2 typed ORM)."""

from models.actions import Action, ActionChange, ActionUpdate
from models.base import Base, UTCDateTime
from models.capacity import BedSnapshot, CareHomeSnapshot, DomiciliarySnapshot
from models.hicm import HicmAssessment
from models.ingest import (
    FEEDS,
    HttpSourceState,
    IngestNotice,
    IngestRun,
    QuarantinedRow,
    SchedulerHeartbeat,
    SchedulerJobRun,
)
from models.meetings import Meeting, MeetingAction, MeetingAttendee, MeetingDecision
from models.reference import (
    CareHome,
    Council,
    DelayReason,
    HomeCareProvider,
    OrganisationMapping,
    Site,
    Ward,
)
from models.security import ApiToken, AuditEvent, User, UserSession
from models.spells import (
    Spell,
    SpellDay,
    SpellDayCount,
    SpellDayDelayCount,
    SpellDayWardTotal,
    SpellDischargeCount,
    SpellEvent,
    SpellState,
)
from models.triggers import TriggerEvent, TriggerNotice

__all__ = [
    "FEEDS",
    "Action",
    "ActionChange",
    "ActionUpdate",
    "ApiToken",
    "AuditEvent",
    "Base",
    "BedSnapshot",
    "CareHome",
    "CareHomeSnapshot",
    "Council",
    "DelayReason",
    "DomiciliarySnapshot",
    "HicmAssessment",
    "HomeCareProvider",
    "HttpSourceState",
    "IngestNotice",
    "IngestRun",
    "Meeting",
    "MeetingAction",
    "MeetingAttendee",
    "MeetingDecision",
    "OrganisationMapping",
    "QuarantinedRow",
    "SchedulerHeartbeat",
    "SchedulerJobRun",
    "Site",
    "Spell",
    "SpellDay",
    "SpellDayCount",
    "SpellDayDelayCount",
    "SpellDayWardTotal",
    "SpellDischargeCount",
    "SpellEvent",
    "SpellState",
    "TriggerEvent",
    "TriggerNotice",
    "UTCDateTime",
    "User",
    "UserSession",
    "Ward",
]
