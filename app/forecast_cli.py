"""``homeward forecast …``: the forecast's back-test (DESIGN.md §4.12) from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

forecast_cli = typer.Typer(help="The next ten days: forecast and back-test.", no_args_is_help=True)


@forecast_cli.command("backtest")
def backtest(
    site: Annotated[
        Optional[str],  # noqa: UP045  (typer reads the annotation)
        typer.Option(help="An ODS site code; default the whole system."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed of the Monte Carlo runs.")] = 20261204,
    json_out: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--json", help="Also write the back-test as JSON to this file."),
    ] = None,
) -> None:
    """Rolling-origin back-test of NCtR in hospital per pathway and horizon 1–10: MAE of the
    P50, P10–P90 coverage and seasonal-naive's MAE (the same weekday last week)."""
    from app.core.db import session_scope
    from app.metrics.forecast import backtest as run_backtest

    with session_scope() as session:
        result = run_backtest(session, site=site, seed=seed)
    console = Console(width=max(Console().width, 120))  # the whole table, never cut
    if not result.rows:
        console.print("not enough history to back-test (at least 30 days of censuses)")
        raise typer.Exit(1)
    table = Table(
        title=f"Forecast back-test, {site or 'the whole system'}: origins "
        f"{result.first_origin} to {result.last_origin} ({result.simulations} runs each)"
    )
    for name in (
        "pathway",
        "horizon",
        "origins",
        "mean",
        "MAE",
        "MAE % of mean",
        "naive MAE",
        "beats naive",
        "P10–P90 coverage %",
    ):
        table.add_column(name, justify="right")
    for row in result.rows:
        table.add_row(
            f"P{row.pathway}",
            f"D+{row.horizon}",
            str(row.origins),
            f"{row.mean_actual:.1f}",
            f"{row.mae:.2f}",
            "–" if row.mae_pct_of_mean is None else f"{row.mae_pct_of_mean:.1f}",
            f"{row.naive_mae:.2f}",
            "yes" if row.beats_naive else "no",
            f"{row.coverage_pct:.1f}",
        )
    console.print(table)
    if json_out is not None:
        json_out.write_text(json.dumps(result.model_dump(mode="json"), indent=1) + "\n")
        console.print(f"wrote {json_out}")
