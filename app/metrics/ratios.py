"""The one percentage rule of the metrics: a ratio over nothing is no value, not zero."""

from __future__ import annotations


def pct(part: float, whole: float) -> float | None:
    """``part ÷ whole × 100``, or None when ``whole`` is zero."""
    return part / whole * 100 if whole else None


def nctr_pct_of_occupied(nctr_in_hospital: int, occupied: int) -> float | None:
    """NCtR patients in hospital as a % of the occupied G&A beds (§4.8): the summary's field
    and the escalation parameter are this one rule."""
    return pct(nctr_in_hospital, occupied)


def super_stranded_pct_of_occupied(super_stranded: int, occupied: int) -> float | None:
    """Patients in hospital 21+ days as a % of the occupied G&A beds (§4.8)."""
    return pct(super_stranded, occupied)


def gap_pct_of_demand(gap: int | None, demand: int) -> float | None:
    """A pathway's gap (demand − supply) as a % of its demand (§4.8): 0 when supply just
    meets demand, negative when it is spare; None without a supply figure or a demand."""
    return None if gap is None else pct(gap, demand)
