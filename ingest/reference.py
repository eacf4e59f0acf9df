"""The delay reason catalogue (DESIGN.md §5) written into the store from its versioned file."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.reason_catalogue import CatalogueError, reason_catalogue
from models import DelayReason


def sync_reason_catalogue(session: Session) -> int:
    """Make the ``delay_reasons`` table equal the catalogue file; returns rows written.

    A code whose ``internal`` flag differs from the stored one under the same
    ``catalogue_version`` is refused (:class:`CatalogueError`): a change of flag is a new
    version of the catalogue, so a figure can always say which catalogue it was counted under.
    """
    existing = {r.code: r for r in session.scalars(select(DelayReason))}
    written = 0
    for reason in reason_catalogue().values():
        row = existing.get(reason.code)
        if row is None:
            session.add(DelayReason(**reason.__dict__))
            written += 1
        elif any(getattr(row, k) != v for k, v in reason.__dict__.items()):
            if (
                row.internal != reason.internal
                and row.catalogue_version == reason.catalogue_version
            ):
                raise CatalogueError(
                    f"{reason.code}: the internal flag changed but the catalogue version is "
                    f"still {reason.catalogue_version}; a change of flag is a new version"
                )
            for k, v in reason.__dict__.items():
                setattr(row, k, v)
            written += 1
    session.flush()
    return written
