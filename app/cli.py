"""The ``homeward`` command line."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.core.config import get_settings

cli = typer.Typer(
    help="Homeward: a real-time discharge flow dashboard for health and care systems.",
    no_args_is_help=True,
    add_completion=False,
)
db_cli = typer.Typer(help="The database.", no_args_is_help=True)
sample_cli = typer.Typer(help="The synthetic sample system.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(sample_cli, name="sample")
console = Console(stderr=True)


def _logging(level: str = "INFO") -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the latest schema and sync the reason catalogue (idempotent)."""
    from app.core import migrations
    from app.core.db import session_scope
    from ingest.reference import sync_reason_catalogue

    url = get_settings().database_url
    migrations.upgrade(url)
    with session_scope() as session:
        changed = sync_reason_catalogue(session)
    console.print(f"database at head ({_safe_url(url)}); reason catalogue: {changed} rows updated")


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@sample_cli.command("generate")
def sample_generate(
    out: Annotated[Path, typer.Option("--out", help="Folder to write the feed files into.")],
    scale: Annotated[
        str, typer.Option(help="ics (one system) or england (national volume).")
    ] = "ics",
    days: Annotated[int, typer.Option(min=1, help="Days of history.")] = 120,
    seed: Annotated[int, typer.Option(help="Random seed: same seed, same files.")] = 42,
    end: Annotated[
        Optional[datetime],  # noqa: UP045
        typer.Option(help="End of the history; no offset = Europe/London. Default: now."),
    ] = None,
) -> None:
    """Generate a synthetic health and care system as feed files."""
    from sample_data.generator import GeneratorConfig, generate

    if scale not in ("ics", "england"):
        raise typer.BadParameter("scale must be 'ics' or 'england'", param_hint="--scale")
    config = GeneratorConfig(seed=seed, scale=scale, days=days, end=end)  # type: ignore[arg-type]
    with _progress() as progress:
        task = progress.add_task("generating", total=None)

        def report(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        manifest = generate(out, config, progress=report)
    console.print(f"wrote {len(manifest.files)} feed files to {out}")


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


@cli.command("reference")
def reference_load(
    folder: Annotated[
        Path, typer.Argument(help="sites.csv, councils.csv, organisations.csv (those present)")
    ],
) -> None:
    """Load a reference folder: site names and trusts, council names, and which system (ICB)
    and region each trust and council belongs to from which date (docs/returns.md)."""
    from app.core.db import session_scope
    from ingest.registry import load_reference_dir

    if not folder.is_dir():
        raise typer.BadParameter(f"{folder} is not a folder", param_hint="FOLDER")
    try:
        with session_scope() as session:
            counts = load_reference_dir(session, folder)
    except ValueError as exc:  # a file's line that cannot be loaded: nothing was written
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    said = ", ".join(f"{name}: {n} rows" for name, n in counts.items()) or "no reference files"
    console.print(f"reference loaded from {folder} ({said})")


@cli.command("ingest")
def ingest_files(
    feed: Annotated[str, typer.Argument(help="beds, care_homes, domiciliary or patients")],
    paths: Annotated[list[Path], typer.Argument(help="CSV or JSON files, loaded in order")],
    layout: Annotated[
        Optional[str], typer.Option(help="Column mapping layout name.")  # noqa: UP045
    ] = None,
) -> None:
    """Load feed files through the same loader as every other source, printing each run."""
    from ingest.loader import DatabaseUnavailable, load_batch
    from models import FEEDS

    if feed not in FEEDS:
        raise typer.BadParameter(f"unknown feed {feed!r}; one of {', '.join(FEEDS)}")
    failed = 0
    for path in paths:
        if not path.is_file():
            console.print(f"[red]{path}: no such file[/red]")
            failed += 1
            continue
        size = path.stat().st_size
        with _progress() as progress:
            task = progress.add_task(path.name, total=size if size > 5_000_000 else None)
            try:
                summary = load_batch(
                    feed,
                    path,
                    source_kind="cli",
                    source_name="homeward ingest",
                    file_name=path.name,
                    fmt="json" if path.suffix.lower() == ".json" else "csv",
                    layout=layout,
                    progress=lambda n, t=task: progress.update(t, completed=n),  # type: ignore[misc]
                )
            except DatabaseUnavailable as exc:
                console.print(f"[red]database unavailable: {exc}[/red]")
                raise typer.Exit(3) from exc
        print(json.dumps(_summary_dict(summary), default=str))
        if summary.status == "failed" or summary.rows_quarantined:
            failed += 1
    raise typer.Exit(1 if failed else 0)


def _summary_dict(summary: object) -> dict[str, object]:
    from dataclasses import asdict, is_dataclass

    if is_dataclass(summary) and not isinstance(summary, type):
        return asdict(summary)
    return dict(vars(summary))


users_cli = typer.Typer(help="People who sign in.", no_args_is_help=True)
tokens_cli = typer.Typer(help="API tokens for machines and wall kiosks.", no_args_is_help=True)
cli.add_typer(users_cli, name="users")
cli.add_typer(tokens_cli, name="tokens")


@users_cli.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The sign-in name.")],
    role: Annotated[str, typer.Option(help="wall, analyst, coordinator or admin.")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Password."),
    ],
    scope: Annotated[
        str,
        typer.Option(
            help="Whose patients a coordinator sees: system, council:CODE, trust:CODE or "
            "sites:CODE,CODE (for example council:E06000015)."
        ),
    ] = "system",
) -> None:
    """Create a person's account (for example the first admin of a new deployment)."""
    from datetime import UTC, datetime

    from app.core.db import session_scope
    from app.domain.scopes import ScopeError, parse_scope
    from app.security.accounts import AccountError, create_user
    from app.security.passwords import check_policy

    try:
        limited_to = parse_scope(scope)
    except ScopeError as exc:
        raise typer.BadParameter(str(exc), param_hint="--scope") from exc
    problem = check_policy(password, username=username)
    if problem:
        raise typer.BadParameter(problem, param_hint="--password")
    try:
        with session_scope() as session:
            create_user(
                session,
                username=username,
                role=role,
                password=password,
                now=datetime.now(UTC),
                scope=limited_to,
            )
    except (AccountError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    console.print(f"created {username} ({role}, scope {limited_to})")


@tokens_cli.command("create")
def tokens_create(
    name: Annotated[str, typer.Argument(help="What the token is for, e.g. trust-a-beds-feed.")],
    role: Annotated[str, typer.Option(help="feed, wall or analyst.")],
    days: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(min=1, help="Expires after this many days (default: never)."),
    ] = None,
) -> None:
    """Create an API token and print it once (only its hash is kept)."""
    from datetime import UTC, datetime, timedelta

    from app.core.db import session_scope
    from app.security.tokens import TokenError, create_api_token

    now = datetime.now(UTC)
    try:
        with session_scope() as session:
            _token, plaintext = create_api_token(
                session,
                name=name,
                role=role,
                now=now,
                expires_at=now + timedelta(days=days) if days else None,
                created_by="homeward tokens create",
            )
    except (TokenError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    print(plaintext)
    console.print("shown once: store it in the client's secret store now")


@cli.command("scheduler")
def scheduler(
    log_level: Annotated[str, typer.Option(help="Logging level.")] = "INFO",
) -> None:
    """Run the feed scheduler as its own process (production: exactly one of these)."""
    from app.demo import simulator_jobs
    from app.outbox import outbox_jobs
    from ingest.scheduler import run_blocking

    _logging(log_level)
    settings = get_settings()
    run_blocking(settings, [*simulator_jobs(settings), *outbox_jobs(settings)])


@cli.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8050,
    workers: Annotated[int, typer.Option(min=1, help="Web worker processes.")] = 1,
    log_level: Annotated[str, typer.Option(help="Logging level.")] = "info",
) -> None:
    """Serve the API and the dashboard (uvicorn)."""
    import uvicorn

    _logging(log_level)
    if workers > 1 and get_settings().run_scheduler:
        console.print(
            "[red]HOMEWARD_RUN_SCHEDULER=true with several workers would start one scheduler "
            "per worker: run `homeward scheduler` as its own process instead.[/red]"
        )
        raise typer.Exit(2)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=log_level,
        # X-Forwarded-For is read by the app, from HOMEWARD_TRUSTED_PROXIES only
        # (app/security/proxies.py); uvicorn's own reading would believe loopback peers.
        proxy_headers=False,
    )


@cli.command("demo")
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8050,
    days: Annotated[int, typer.Option(min=7, help="Days of sample history.")] = 120,
    reset: Annotated[bool, typer.Option(help="Start again from a new sample.")] = False,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """What `make run` does: migrate, generate and load the sample system, then serve it live."""
    from app.demo import prepare_demo

    _logging("INFO")
    settings = get_settings()
    if settings.environment != "demo":
        console.print("[red]homeward demo runs only with HOMEWARD_ENVIRONMENT=demo[/red]")
        raise typer.Exit(2)
    prepare_demo(settings, days=days, reset=reset, console=console)
    from app.core.db import session_scope
    from app.security.demo import create_demo_kiosk_token, create_demo_users

    with session_scope() as session:
        accounts = create_demo_users(session)
        kiosk = create_demo_kiosk_token(session)
    console.print("\n[bold]Demo accounts[/bold] (demo only; production has none):")
    for username, role, password in accounts:
        console.print(f"  sign in as [bold]{username}[/bold] / {password}   ({role})")
    console.print(
        f"  wall kiosk (no sign-in): http://{host}:{port}/api/v1/auth/kiosk?token={kiosk}",
        soft_wrap=True,
    )
    if not serve_after:
        return
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a job a minute is not news
    os.environ.setdefault("HOMEWARD_RUN_SCHEDULER", "true")
    os.environ.setdefault("HOMEWARD_SIMULATOR", "true")
    get_settings.cache_clear()
    console.print(
        f"\n[bold]Homeward is running:[/bold] http://{host}:{port}/  "
        f"(wall display: http://{host}:{port}/wall, API: http://{host}:{port}/api/docs)\n"
        "Press Ctrl+C to stop.\n"
    )
    serve(host=host, port=port, workers=1, log_level="warning")


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
