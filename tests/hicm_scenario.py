"""A small system for the High Impact Change Model's measures, loaded through the real ingest
path: one acute site, five spells over two weeks (Mon 2 – Sun 15 Nov 2026, all in GMT), a daily
census at 09:00 from Mon 2 Nov to Mon 16 Nov. The measures' values are worked out by hand in
``tests/test_hicm_measures.py``.

    E1  emergency, admitted Mon 2 Nov 08:00; EDD on the first census (2 Nov); pathway 0;
        never ready; discharged Wed 4 Nov 12:00.
    E2  emergency, admitted Mon 2 Nov 10:00; pathway 1; no EDD until the census of Thu 5 Nov,
        which also sets DRD 5 Nov, reason CHOICE; discharged Sat 7 Nov 11:00.
    E3  elective, admitted Tue 3 Nov 07:00; EDD on 3 Nov; pathway 3; DRD 4 Nov, P3_NURSING,
        from the 4 Nov census; discharged Tue 10 Nov 10:00.
    E4  emergency, admitted Wed 4 Nov 20:00; EDD first on the census of Fri 6 Nov (two days
        after the admission day); pathway 0; DRD 9 Nov, HOUSING, from the 9 Nov census;
        discharged Thu 12 Nov 15:00.
    E5  emergency, admitted Tue 10 Nov 06:00; never an EDD; pathway 2, never ready;
        discharged Sun 15 Nov 10:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ingest.loader import load_batch
from ingest.registry import load_reference_dir

SITE = "RXA01"
DERBY = "E06000015"
FIRST_CENSUS = date(2026, 11, 2)
CENSUS_DAYS = [FIRST_CENSUS + timedelta(days=k) for k in range(15)]  # Mon 2 – Mon 16 Nov
WEEK_1, WEEK_2 = date(2026, 11, 8), date(2026, 11, 15)  # the Sundays

COLUMNS = (
    "snapshot_at,site_code,ward_code,spell_id,local_patient_id,nhs_number,age,admitted_at,"
    "admission_method,expected_discharge_date,discharge_ready_date,pathway,delay_reason_code,"
    "delay_attributable_to,local_authority_code,day_status,red_reason_code,discharged_at,"
    "discharge_destination"
)


@dataclass
class Stay:
    spell_id: str
    admitted_at: str
    method: str
    changes: dict[date, dict[str, Any]]  # census day -> what changes from that census on
    discharged_at: str

    def state_on(self, day: date) -> dict[str, Any]:
        state: dict[str, Any] = {"edd": None, "drd": None, "pathway": None, "reason": None}
        for when in sorted(self.changes):
            if when <= day:
                state.update(self.changes[when])
        return state


STAYS = [
    Stay("E1", "2026-11-02T08:00:00", "emergency",
         {date(2026, 11, 2): {"edd": "2026-11-05", "pathway": 0}}, "2026-11-04T12:00:00"),
    Stay("E2", "2026-11-02T10:00:00", "emergency",
         {date(2026, 11, 2): {"pathway": 1},
          date(2026, 11, 5): {"edd": "2026-11-06", "drd": "2026-11-05", "reason": "CHOICE"}},
         "2026-11-07T11:00:00"),
    Stay("E3", "2026-11-03T07:00:00", "elective",
         {date(2026, 11, 3): {"edd": "2026-11-04", "pathway": 3},
          date(2026, 11, 4): {"drd": "2026-11-04", "reason": "P3_NURSING"}},
         "2026-11-10T10:00:00"),
    Stay("E4", "2026-11-04T20:00:00", "emergency",
         {date(2026, 11, 5): {"pathway": 0},
          date(2026, 11, 6): {"edd": "2026-11-09"},
          date(2026, 11, 9): {"drd": "2026-11-09", "reason": "HOUSING"}},
         "2026-11-12T15:00:00"),
    Stay("E5", "2026-11-10T06:00:00", "emergency",
         {date(2026, 11, 10): {"pathway": 2}}, "2026-11-15T10:00:00"),
]  # fmt: skip


def _at(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time()).replace(hour=9)


def _row(stay: Stay, day: date, snapshot: datetime, *, discharge: bool) -> str:
    state = stay.state_on(day)
    return ",".join(
        [
            snapshot.isoformat(),
            SITE,
            "A1",
            stay.spell_id,
            f"P-{stay.spell_id}",
            "",
            "80",
            stay.admitted_at,
            stay.method,
            state["edd"] or "",
            state["drd"] or "",
            "" if state["pathway"] is None else str(state["pathway"]),
            state["reason"] or "",
            "",
            DERBY,
            "",
            "",
            stay.discharged_at if discharge else "",
            "usual_residence" if discharge else "",
        ]
    )


def census(index: int) -> bytes:
    day = CENSUS_DAYS[index]
    at = _at(day)
    previous = _at(CENSUS_DAYS[index - 1]) if index else None
    lines = [COLUMNS]
    for stay in STAYS:
        admitted = datetime.fromisoformat(stay.admitted_at)
        discharged = datetime.fromisoformat(stay.discharged_at)
        if admitted > at:
            continue
        if discharged > at:
            lines.append(_row(stay, day, at, discharge=False))
        elif previous is not None and previous < discharged <= at:
            lines.append(_row(stay, CENSUS_DAYS[index - 1], at, discharge=True))
    return ("\n".join(lines) + "\n").encode()


def load(engine: Engine, reference_dir: Path) -> None:
    """The site and council, then every census; each must load whole."""
    reference_dir.mkdir(parents=True, exist_ok=True)
    (reference_dir / "sites.csv").write_text(
        f"site_code,site_name,trust_code,trust_name,kind\n{SITE},Northgate General,RXA,"
        "Northgate Trust,acute\n"
    )
    (reference_dir / "councils.csv").write_text(f"local_authority_code,name\n{DERBY},Derby\n")
    with Session(engine) as session:
        load_reference_dir(session, reference_dir)
        session.commit()
    for index in range(len(CENSUS_DAYS)):
        summary = load_batch("patients", census(index), fmt="csv", engine=engine)
        assert summary.status == "succeeded", summary
        assert summary.rows_quarantined == 0, summary
