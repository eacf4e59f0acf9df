"""``homeward forecast backtest``: refuses a store too young to back-test, and prints the
back-test's rows (a known result) as a table, with the JSON beside it when asked."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine
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
