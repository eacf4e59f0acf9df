"""Collect a run's warnings, notices and inferences, written as ``IngestNotice`` rows at the end."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

NoticeKind = Literal["warning", "notice", "inference"]


class Notice(NamedTuple):
    kind: NoticeKind
    line_number: int | None
    message: str


@dataclass
class NoticeSink:
    """A list-collecting sink: the loader writes its items in the batch's transaction."""

    items: list[Notice] = field(default_factory=list)

    def warning(self, line: int | None, message: str) -> None:
        """A data-quality warning: the row was accepted but looks wrong."""
        self.items.append(Notice("warning", line, message))

    def notice(self, line: int | None, message: str) -> None:
        """Something worth knowing: a new ward, care home or council was registered."""
        self.items.append(Notice("notice", line, message))

    def inference(self, line: int | None, message: str) -> None:
        """Something the loader concluded rather than was told (e.g. an inferred discharge)."""
        self.items.append(Notice("inference", line, message))

    @property
    def warning_count(self) -> int:
        return sum(1 for n in self.items if n.kind == "warning")

    def messages(self, kind: NoticeKind | None = None) -> list[str]:
        return [n.message for n in self.items if kind is None or n.kind == kind]
