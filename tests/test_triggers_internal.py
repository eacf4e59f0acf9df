"""The ``internal_delay`` trigger (docs/meetings.md): an internal delay over 48 hours appearing
fires once per patient's internal run, in words without a patient identifier; both databases.

The store is tests/test_discharge_asks.py's hand-worked system (its docstring has the table):
  at Thu 19 Nov 01:00 only M is over 48 hours (its run 18, 17 Nov = 2 days, begun 17 Nov);
  at Sun 22 Nov 12:00 M (5 days, still begun 17 Nov), C (3, begun 19 Nov) and W (3, begun
  19 Nov) are — so M is the same event as before and C and W are two new ones.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from app.triggers.kinds import InternalDelayOptions, internal_delay
from tests.test_discharge_asks import asks  # noqa: F401  (the fixture)

T1 = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)
T2 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def test_each_internal_run_is_one_event_named_without_the_patient(asks: Engine) -> None:  # noqa: F811
    with Session(asks) as session:
        first = internal_delay(session, InternalDelayOptions(), T1)
        later = internal_delay(session, InternalDelayOptions(), T2)
        rows = session.execute(text("select spell_id, local_patient_id from spells")).all()
    spells = [spell_id for spell_id, _ in rows]
    locals_ = [local for _, local in rows if local]
    assert len(first) == 1
    assert len(later) == 3
    # M's run began on 17 Nov both times: the same event, not sent again
    assert first[0].key.endswith(":2026-11-17")
    assert first[0].key in {f.key for f in later}
    assert sorted(f.key.rsplit(":", 1)[1] for f in later) == [
        "2026-11-17",
        "2026-11-19",
        "2026-11-19",
    ]
    assert len({f.key for f in later}) == 3
    m = next(f for f in later if f.key == first[0].key)
    assert "delayed for 5 days" in m.body and "RXA01" in m.subject
    assert "delayed for 2 days" in first[0].body
    for firing in first + later:
        words = firing.key + firing.subject + firing.body
        # the scenario's spell ids are short ("M", "D7"): looked for as whole words
        assert not any(re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", words) for s in spells)
        assert not any(local in words for local in locals_), words
        assert firing.path == "/coordinator?ask=internal_48h"


def test_a_site_without_internal_delays_fires_nothing(asks: Engine) -> None:  # noqa: F811
    with Session(asks) as session:
        assert internal_delay(session, InternalDelayOptions(site="RXA01"), T2)
        # before any census there is nothing in hospital
        early = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
        assert internal_delay(session, InternalDelayOptions(), early) == []
