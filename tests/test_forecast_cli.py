"""On an empty store the forecast answers zeros without failing; ``homeward forecast
backtest`` refuses a store too young to back-test, and prints the back-test's rows (a known
result) as a table, with the JSON beside it when asked. (Apart from ``test_forecast_api.py``:
the ``engine`` fixture empties the database that module's scenario lives in.)"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.metrics.forecast.schemas import Backtest, BacktestRow


def test_an_empty_store_has_nothing_to_back_test(engine: Engine) -> None:
    result = CliRunner().invoke(cli, ["forecast", "backtest"])
    assert result.exit_code == 1
    assert "not enough history" in result.output


def test_the_table_shows_each_row(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    known = Backtest(
        site=None,
        first_origin=date(2026, 9, 3),
        last_origin=date(2026, 12, 2),
        history_start=date(2026, 8, 6),
        history_end=date(2026, 12, 3),
        simulations=1000,
        seed=1,
        rows=[
            BacktestRow(
                pathway=1,
                horizon=1,
                origins=91,
                mean_actual=228.7,
                mae=9.36,
                mae_pct_of_mean=4.1,
                naive_mae=14.12,
                beats_naive=True,
                coverage_pct=74.7,
            )
        ],
    )
    monkeypatch.setattr("app.metrics.forecast.backtest", lambda session, **_: known)
    out = tmp_path / "bt.json"
    result = CliRunner().invoke(cli, ["forecast", "backtest", "--json", str(out)])
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if "D+1" in row)
    for text in ("P1", "91", "228.7", "9.36", "4.1", "14.12", "yes", "74.7"):
        assert text in line
    assert json.loads(out.read_text())["rows"][0]["mae"] == 9.36


def test_an_empty_store_forecasts_nothing_without_failing(session: Session) -> None:
    from app.metrics.forecast import backtest, pathway_forecast, what_if

    result = pathway_forecast(session, days=2)
    assert result.as_of is None and [p.pathway for p in result.pathways] == [0, 1, 2, 3]
    assert all(d.nctr_in_hospital.p90 == 0 for p in result.pathways for d in p.days)
    assert what_if(session, {"days": 2}).pathways[1].bed_days_saved.p50 == 0
    assert backtest(session).rows == []
