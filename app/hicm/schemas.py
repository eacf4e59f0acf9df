"""The contract of the self-assessments: what is recorded and what is read back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AssessmentCreate(BaseModel):
    """A self-assessment of one change, as a meeting agreed it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    change: int = Field(ge=1, le=9, description="the High Impact Change, 1–9")
    level: int = Field(
        ge=1,
        le=5,
        description="1 not yet established, 2 plans in place, 3 established, 4 mature, 5 exemplary",
    )
    assessed_on: date = Field(description="the day the level was agreed (YYYY-MM-DD)")
    assessed_by: str = Field(
        min_length=1, max_length=150, description="who assessed it: people or a group"
    )
    notes: str | None = Field(default=None, max_length=2000)


class AssessmentOut(BaseModel):
    id: int
    change: int
    change_name: str
    level: int
    level_name: str
    assessed_on: date
    assessed_by: str
    notes: str | None
    #: the evidence shown when it was recorded (each measure's value and icons), as it was
    evidence: dict[str, Any]
    recorded_at: datetime
    recorded_by: str
    recorded_role: str


class AssessmentList(BaseModel):
    total: int
    assessments: list[AssessmentOut]
