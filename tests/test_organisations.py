"""Organisations as configuration: the reference ``organisations.csv`` loader
(``ingest/reference.py``) and what a site rolls up to without a mapping."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.metrics.organisations import org_units, parents_on
from ingest.reference import load_organisations
from tests.test_returns import NE, ORGANISATIONS, QAA


def test_an_unmapped_trust_falls_under_not_mapped(session: Session, tmp_path: Path) -> None:
    from ingest.registry import load_reference_dir

    (tmp_path / "sites.csv").write_text(
        "site_code,site_name,trust_code,trust_name,kind\nRZZ01,Lone Hospital,RZZ,Lone Trust,acute\n"
    )
    load_reference_dir(session, tmp_path)
    (unit,) = org_units(session, "system", on=date(2026, 11, 1))
    assert (unit.code, unit.name, unit.sites) == ("", "Not mapped", ("RZZ01",))


def test_the_organisations_file_is_checked_line_by_line(session: Session, tmp_path: Path) -> None:
    file = tmp_path / "organisations.csv"
    file.write_text(ORGANISATIONS.replace("RXA,trust", "RXA,hospital"))
    with pytest.raises(ValueError, match=r"line 2: org_kind 'hospital' must be trust or council"):
        load_organisations(session, file)
    file.write_text(ORGANISATIONS.replace("2026-11-01", "1 Nov 2026"))
    with pytest.raises(ValueError, match=r"line 4: effective_from '1 Nov 2026' is not a date"):
        load_organisations(session, file)
    file.write_text(ORGANISATIONS + f"RXA,trust,QAA,{QAA},Y63,{NE},2022-07-01\n")
    with pytest.raises(ValueError, match=r"line 6: RXA from 2022-07-01 appears twice"):
        load_organisations(session, file)
    # loading the file again makes the table equal to it: a row taken out goes
    file.write_text(ORGANISATIONS)
    assert load_organisations(session, file) == 4
    file.write_text("\n".join(ORGANISATIONS.splitlines()[:3]) + "\n")  # no merger, no council
    assert load_organisations(session, file) == 2
    in_force = parents_on(session, date(2026, 12, 1))
    assert sorted(in_force) == ["RXA", "RXB"]
    assert in_force["RXB"].icb_code == "QBB"  # without the merger row, still Southfield's


def test_homeward_reference_loads_a_folder_and_refuses_a_bad_line(
    engine: object, session: Session, tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    (tmp_path / "sites.csv").write_text(
        "site_code,site_name,trust_code,trust_name,kind\n"
        "RXA01,Northgate General,RXA,Northgate Trust,acute\n"
    )
    (tmp_path / "organisations.csv").write_text(ORGANISATIONS)
    result = CliRunner().invoke(cli, ["reference", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "sites: 1 rows, organisations: 4 rows" in " ".join(result.output.split())
    (unit,) = org_units(session, "trust", on=date(2026, 11, 1))
    assert (unit.code, unit.icb_name, unit.region_name) == ("RXA", QAA, NE)

    (tmp_path / "organisations.csv").write_text(ORGANISATIONS.replace(",trust,", ",hospital,", 1))
    bad = CliRunner().invoke(cli, ["reference", str(tmp_path)])
    assert bad.exit_code == 1
    assert "line 2: org_kind 'hospital' must be trust or council" in " ".join(bad.output.split())
    session.expire_all()
    assert len(parents_on(session, date(2026, 11, 1))) == 3  # the earlier load still stands
