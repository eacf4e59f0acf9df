"""The baseline: the headline numbers an analyst would get with a plain pandas script.

Read every patients CSV, rebuild each spell's NCtR periods from the census rows (DESIGN.md
§4.2: a DRD counts from the start of its day until the first later census without a DRD, or
the discharge), then count: the daily sitrep (§4.2a), delayed days by reason (§4.3), discharge
delay bands (§4.4) and the census summary at a moment. Deliberately straightforward — no
store, no incremental state: every refresh re-reads every file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

LONDON = "Europe/London"
BANDS = ("0", "1", "2-3", "4-6", "7-13", "14-20", "21+")
COLUMNS = [
    "snapshot_at",
    "site_code",
    "spell_id",
    "admitted_at",
    "discharge_ready_date",
    "delay_reason_code",
    "discharged_at",
]
EPOCH = date(1970, 1, 1)


def read_patients(paths: Iterable[Path]) -> pd.DataFrame:
    """Every row of the patients files, timestamps parsed (UTC), dates as day numbers."""
    frames = [pd.read_csv(p, dtype=str, keep_default_na=False, usecols=COLUMNS) for p in paths]
    df = pd.concat(frames, ignore_index=True)
    for column in ("snapshot_at", "admitted_at", "discharged_at"):
        df[column] = pd.to_datetime(df[column].replace("", None), utc=True, format="ISO8601")
    drd = pd.to_datetime(df["discharge_ready_date"].replace("", None), format="%Y-%m-%d")
    df["drd_day"] = _day_number(drd)
    return df


def _day_number(values: pd.Series) -> pd.Series:
    """Naive dates → days since 1970-01-01 (float, NaN when missing)."""
    return (values - pd.Timestamp("1970-01-01")).dt.days.astype("float64")


def local_day(instants: pd.Series) -> pd.Series:
    """UTC instants → Europe/London day numbers (float, NaN when missing)."""
    return _day_number(instants.dt.tz_convert(LONDON).dt.tz_localize(None).dt.floor("D"))


def local_day_of(moment: datetime) -> date:
    """The Europe/London day of an aware instant."""
    return pd.Timestamp(moment).tz_convert(LONDON).date()


def day_of(number: float) -> date:
    return EPOCH + timedelta(days=int(number))


def _ns(values: pd.Series) -> np.ndarray:
    """UTC instants → int64 nanoseconds (NaT → the smallest int64)."""
    naive = pd.to_datetime(values, utc=True).dt.tz_localize(None).astype("datetime64[ns]")
    return naive.to_numpy().view("int64")


def _day_end_ns(days: np.ndarray) -> np.ndarray:
    """The UTC instant (ns) each local day ends, for an array of day numbers."""
    unique = np.unique(days)
    ends = {
        d: pd.Timestamp(day_of(d + 1)).tz_localize(LONDON).tz_convert("UTC").value for d in unique
    }
    return np.array([ends[d] for d in days], dtype="int64")


@dataclass
class Spells:
    """The spells of a set of patients files: one row each, plus their DRD-carrying rows."""

    spells: pd.DataFrame  # spell_id → site_code, admitted_at, last_seen, discharged_at
    drd_rows: pd.DataFrame  # rows carrying a DRD, with the end of the period they start
    census: pd.DataFrame  # the inpatient rows


def build_spells(df: pd.DataFrame) -> Spells:
    """Each spell's discharge (reported, or inferred from its absence from the next census of
    its site) and each DRD row's period end (the first later census without a DRD)."""
    census = df[df["discharged_at"].isna()]
    discharges = df[df["discharged_at"].notna()]
    spells = census.groupby("spell_id").agg(
        site_code=("site_code", "first"),
        admitted_at=("admitted_at", "first"),
        last_seen=("snapshot_at", "max"),
    )
    reported = discharges.groupby("spell_id")["discharged_at"].last()
    spells["discharged_at"] = reported.reindex(spells.index)
    extra = reported.index.difference(spells.index)
    if len(extra):  # discharged without ever being in a census we read
        first = discharges.drop_duplicates("spell_id", keep="last").set_index("spell_id")
        spells = pd.concat(
            [
                spells,
                pd.DataFrame(
                    {
                        "site_code": first.loc[extra, "site_code"],
                        "admitted_at": first.loc[extra, "admitted_at"],
                        "last_seen": first.loc[extra, "snapshot_at"],
                        "discharged_at": first.loc[extra, "discharged_at"],
                    }
                ),
            ]
        )
    # absent from the next census of the site, with no discharge row: discharged then
    for site, times in census.groupby("site_code")["snapshot_at"]:
        moments = np.sort(times.unique())
        mask = (spells["site_code"] == site) & spells["discharged_at"].isna()
        seen = spells.loc[mask, "last_seen"].to_numpy()
        position = np.searchsorted(moments, seen, side="right")
        later = position < len(moments)
        inferred = pd.Series(pd.NaT, index=spells.index[mask], dtype="datetime64[ns, UTC]")
        inferred[later] = moments[position[later]]
        spells.loc[mask, "discharged_at"] = inferred

    rows = pd.concat([census, discharges[discharges["drd_day"].notna()]])
    rows = rows.sort_values(["spell_id", "snapshot_at"], kind="stable")
    clear_at = rows["snapshot_at"].where(rows["drd_day"].isna() & rows["discharged_at"].isna())
    following = clear_at.groupby(rows["spell_id"]).shift(-1)
    rows["next_clear"] = following.groupby(rows["spell_id"]).bfill()
    drd_rows = rows[rows["drd_day"].notna()].copy()
    drd_rows = drd_rows.join(
        spells[["discharged_at", "last_seen"]].rename(
            columns={"discharged_at": "spell_discharged_at"}
        ),
        on="spell_id",
    )
    return Spells(spells, drd_rows, census)


def delayed_day_rows(s: Spells) -> pd.DataFrame:
    """One row per (spell, day) whose end finds the patient in hospital and NCtR, with the
    delay reason in force that day."""
    rows = s.drd_rows
    end = rows[["next_clear", "spell_discharged_at"]].min(axis=1)
    # in hospital and NCtR at the end of day D ⇔ the end of D is before ``end``
    last = local_day(end - pd.Timedelta(microseconds=1)) - 1
    last = last.fillna(local_day(rows["last_seen"]))
    first = rows["drd_day"]
    count = (last - first + 1).clip(lower=0).fillna(0).astype("int64").to_numpy()
    repeat = np.repeat(np.arange(len(rows)), count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    days = first.to_numpy()[repeat] + offsets
    snapshots = _ns(rows["snapshot_at"])[repeat]
    before = snapshots < _day_end_ns(days)
    # the latest census of the period at or before the day, else the one that first said so
    key = np.where(before, snapshots, -snapshots - (1 << 62))
    exploded = pd.DataFrame(
        {
            "spell_id": rows["spell_id"].to_numpy()[repeat],
            "day": days,
            "key": key,
            "reason": rows["delay_reason_code"].to_numpy()[repeat],
        }
    )
    exploded = exploded.sort_values(["spell_id", "day", "key"], kind="stable")
    return exploded.drop_duplicates(["spell_id", "day"], keep="last")[["spell_id", "day", "reason"]]


def _final_drd(s: Spells) -> pd.Series:
    """Per discharged spell: the start (day number) of the NCtR period in force at discharge."""
    rows = s.drd_rows
    final = rows[rows["next_clear"].isna() | (rows["next_clear"] > rows["spell_discharged_at"])]
    # a discharge row's DRD counts (it is sent after the discharge); census rows up to it
    said_before = final["snapshot_at"] <= final["spell_discharged_at"].fillna(final["snapshot_at"])
    final = final[said_before | final["discharged_at"].notna()]
    return final.groupby("spell_id")["drd_day"].min()


def _band(delay: int) -> str:
    for limit, name in ((0, "0"), (1, "1"), (3, "2-3"), (6, "4-6"), (13, "7-13"), (20, "14-20")):
        if delay <= limit:
            return name
    return "21+"


def headline(paths: Iterable[Path], at: datetime, start: date, end: date) -> dict[str, Any]:
    """The four headline numbers from the files: what ``Homeward`` shows, recomputed."""
    df = read_patients(paths)
    s = build_spells(df)
    first, last = (start - EPOCH).days, (end - EPOCH).days
    days = delayed_day_rows(s)
    in_period = days[(days["day"] >= first) & (days["day"] <= last)]
    remaining = in_period.groupby("day").size()
    by_reason = in_period.groupby("reason").size().sort_values(ascending=False)

    spells = s.spells[s.spells["discharged_at"].notna()].copy()
    spells["discharge_day"] = local_day(spells["discharged_at"])
    spells = spells[(spells["discharge_day"] >= first) & (spells["discharge_day"] <= last)]
    final = _final_drd(s).reindex(spells.index)
    delay = (spells["discharge_day"] - final).clip(lower=0).fillna(0).astype(int)
    bands = {name: 0 for name in BANDS}
    for value, n in delay.value_counts().items():
        bands[_band(int(value))] += int(n)

    # discharged on D while NCtR: the discharge falls in a period (from the DRD day's start)
    rows = s.drd_rows.join(spells[["discharge_day"]], on="spell_id", how="inner")
    drd_start_ns = _day_end_ns(rows["drd_day"].to_numpy() - 1)
    out_ns = _ns(rows["spell_discharged_at"])
    clear = rows["next_clear"]
    inside = (drd_start_ns <= out_ns) & (clear.isna().to_numpy() | (_ns(clear) > out_ns))
    nctr_out = spells.loc[rows["spell_id"][inside].unique()]
    local_out = nctr_out["discharged_at"].dt.tz_convert(LONDON)
    by_1700 = (local_out.dt.hour * 60 + local_out.dt.minute) < 17 * 60 + 1
    discharged = nctr_out.groupby("discharge_day").size()
    discharged_by_1700 = nctr_out[by_1700.to_numpy()].groupby("discharge_day").size()
    daily = [
        {
            "date": day_of(d).isoformat(),
            "discharged": int(discharged.get(d, 0)),
            "discharged_by_1700": int(discharged_by_1700.get(d, 0)),
            "remaining": int(remaining.get(d, 0)),
        }
        for d in range(first, last + 1)
    ]
    return {
        "nctr_daily": daily,
        "delayed_days_total": len(in_period),
        "delayed_days_by_reason": {str(k): int(v) for k, v in by_reason.items()},
        "discharges": len(spells),
        "discharge_bands": bands,
        "summary": census_summary(s, at),
    }


def census_summary(s: Spells, at: datetime) -> dict[str, Any]:
    """In hospital at ``at`` (each site's latest census at or before it): counts, NCtR, long
    stays and the bands of days beyond the DRD."""
    now = in_hospital_at(s, at)
    at_day = _day_number_of(at)
    los = at_day - local_day(now["admitted_at"])
    beyond = days_beyond_drd(now, at)
    bands = {name: 0 for name in BANDS}
    for value, n in beyond.value_counts().items():
        bands[_band(int(value))] += int(n)
    return {
        "in_hospital": len(now),
        "nctr_in_hospital": len(beyond),
        "los_7": int((los >= 7).sum()),
        "los_14": int((los >= 14).sum()),
        "los_21": int((los >= 21).sum()),
        "delay_bands": bands,
    }


def in_hospital_at(s: Spells, at: datetime) -> pd.DataFrame:
    """The census rows of the patients in hospital at ``at``: each site's latest census at or
    before it, less the spells discharged by then."""
    census = s.census[s.census["snapshot_at"] <= pd.Timestamp(at)]
    latest = census.groupby("site_code")["snapshot_at"].transform("max")
    now = census[census["snapshot_at"] == latest]
    return now[~now["spell_id"].isin(_discharged_by(s, at))]


def days_beyond_drd(now: pd.DataFrame, at: datetime) -> pd.Series:
    """Per NCtR row of ``in_hospital_at`` (a DRD on or before ``at``'s day): the days since it."""
    at_day = _day_number_of(at)
    nctr = now["drd_day"].notna() & (now["drd_day"] <= at_day)
    return (at_day - now.loc[nctr, "drd_day"]).astype(int)


def _day_number_of(at: datetime) -> int:
    """The Europe/London day of an aware instant, as days since 1970-01-01."""
    return int(
        (
            pd.Timestamp(at).tz_convert(LONDON).tz_localize(None).normalize()
            - pd.Timestamp("1970-01-01")
        ).days
    )


def _discharged_by(s: Spells, at: datetime) -> pd.Index:
    gone = s.spells["discharged_at"]
    return s.spells.index[gone.notna() & (gone <= pd.Timestamp(at))]
