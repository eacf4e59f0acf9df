"""The ``homeward`` command line."""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import threading
import time
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
cli.add_typer(__import__("app.forecast_cli").forecast_cli.forecast_cli, name="forecast")
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
        typer.Option(
            min=1, help="Expires after this many days (default HOMEWARD_TOKEN_EXPIRY_DAYS, 90)."
        ),
    ] = None,
    never_expires: Annotated[
        bool, typer.Option("--never-expires", help="A token without an expiry (not advised).")
    ] = False,
) -> None:
    """Create an API token and print it once (only its hash is kept)."""
    from datetime import UTC, datetime, timedelta

    from app.core.db import session_scope
    from app.security import audit
    from app.security.tokens import TokenError, create_api_token

    if never_expires and days is not None:
        raise typer.BadParameter("give --days or --never-expires, not both")
    now = datetime.now(UTC)
    lifetime = days if days is not None else get_settings().token_expiry_days
    expires_at = None if never_expires else now + timedelta(days=lifetime)
    try:
        with session_scope() as session:
            token, plaintext = create_api_token(
                session,
                name=name,
                role=role,
                now=now,
                expires_at=expires_at,
                created_by="homeward tokens create",
            )
            audit.record_event(
                session,
                actor="homeward tokens create",
                action="token_created",
                what=f"token {token.name} as {token.role}",
            )
    except (TokenError, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    print(plaintext)
    when = f"expires {expires_at:%Y-%m-%d %H:%M} UTC" if expires_at else "never expires"
    console.print(f"token {token.id} ({when}); shown once: store it in the client's secret store")


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "–"


@tokens_cli.command("list")
def tokens_list(
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per token.")] = False,
) -> None:
    """Every API token: id, name, role, first characters, expiry, last use, state."""
    from datetime import UTC, datetime

    from rich.table import Table

    from app.core.db import session_scope
    from app.security.tokens import list_api_tokens, token_is_valid

    now = datetime.now(UTC)
    with session_scope() as session:
        tokens = list_api_tokens(session)
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "role": t.role,
                "token_prefix": t.token_prefix,
                "created_at": t.created_at,
                "expires_at": t.expires_at,
                "last_used_at": t.last_used_at,
                "state": "revoked"
                if t.revoked_at is not None
                else ("active" if token_is_valid(t, now) else "expired"),
            }
            for t in tokens
        ]
    if as_json:
        for row in rows:
            print(json.dumps(row, default=str))
        return
    if not rows:
        console.print("no API tokens")
        return
    table = Table("id", "name", "role", "starts", "created", "expires", "last used", "state")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["name"]),
            str(row["role"]),
            f"{row['token_prefix']}…",
            _when(row["created_at"]),  # type: ignore[arg-type]
            _when(row["expires_at"]),  # type: ignore[arg-type]
            _when(row["last_used_at"]),  # type: ignore[arg-type]
            str(row["state"]),
        )
    Console(width=160).print(table)


@tokens_cli.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(help="The token's id (`homeward tokens list`).")],
) -> None:
    """Revoke a token at once (and every kiosk session opened with it)."""
    from datetime import UTC, datetime

    from app.core.db import session_scope
    from app.security import audit
    from app.security.tokens import revoke_api_token

    with session_scope() as session:
        token = revoke_api_token(session, token_id, now=datetime.now(UTC))
        if token is None:
            console.print(f"[red]no API token {token_id} (see homeward tokens list)[/red]")
            raise typer.Exit(2)
        audit.record_event(
            session,
            actor="homeward tokens revoke",
            action="token_revoked",
            what=f"token {token.name}",
        )
        name = token.name
    console.print(f"revoked token {token_id} ({name})")


@cli.command("scheduler")
def scheduler(
    log_level: Annotated[str, typer.Option(help="Logging level.")] = "INFO",
) -> None:
    """Run the feed scheduler as its own process (production: exactly one of these)."""
    from app.demo import simulator_jobs
    from app.outbox import outbox_jobs
    from app.triggers.jobs import trigger_jobs
    from ingest.scheduler import run_blocking

    _logging(log_level)
    settings = get_settings()
    jobs = [*simulator_jobs(settings), *outbox_jobs(settings), *trigger_jobs(settings)]
    run_blocking(settings, jobs)


@cli.command("serve")
def serve(
    host: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Address to listen on (default HOMEWARD_HOST, 127.0.0.1)."),
    ] = None,
    port: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Port to listen on (default HOMEWARD_PORT, 8050)."),
    ] = None,
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
    settings = get_settings()
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=settings.port if port is None else port,
        workers=workers,
        log_level=log_level,
        # X-Forwarded-For is read by the app, from HOMEWARD_TRUSTED_PROXIES only
        # (app/security/proxies.py); uvicorn's own reading would believe loopback peers.
        proxy_headers=False,
    )


class PortTaken(RuntimeError):
    """The address the demo should serve on is already in use."""


def claim_port(host: str, port: int) -> socket.socket:
    """Bind and listen on ``host:port`` now, or raise :class:`PortTaken` at once.

    The demo holds this socket while it loads its history and then serves on it, so a port
    taken by another program is found before minutes of loading, and nothing can take the
    port in between (a browser that connects meanwhile waits for the server to start)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    # as uvicorn does: a port left in TIME_WAIT by a stopped server is free, a listening one not
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortTaken(
            f"Port {port} on {host} is already in use ({exc.strerror or exc}). Stop the "
            f"program using it, or choose another port: HOMEWARD_PORT={port + 1} make run "
            f"(or homeward demo --port {port + 1})."
        ) from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def wait_until_answering(url: str, *, timeout: float, stop: threading.Event) -> bool:
    """Poll ``url`` until it answers with a status below 500 (True), or ``timeout`` seconds
    pass or ``stop`` is set (False)."""
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + timeout
    while not stop.is_set() and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status < 500:
                    return True
        except urllib.error.HTTPError as exc:
            if exc.code < 500:
                return True
        except OSError:
            pass
        stop.wait(0.2)
    return False


def _announce_when_answering(host: str, port: int, stop: threading.Event) -> None:
    shown = f"[{host}]" if ":" in host else host
    base = f"http://{shown}:{port}"
    if wait_until_answering(f"{base}/api/v1/health", timeout=300, stop=stop):
        console.print(
            f"\n[bold]Homeward is running at {base}/[/bold]  "
            f"(wall display: {base}/wall, API: {base}/api/docs)\n"
            "Press Ctrl+C to stop.\n",
            soft_wrap=True,
        )
    elif not stop.is_set():
        console.print(f"[red]Homeward did not answer at {base}/ within 5 minutes[/red]")


@cli.command("demo")
def demo(
    host: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option(help="Address to listen on (default HOMEWARD_HOST, 127.0.0.1)."),
    ] = None,
    port: Annotated[
        Optional[int],  # noqa: UP045
        typer.Option(help="Port to listen on (default HOMEWARD_PORT, 8050)."),
    ] = None,
    days: Annotated[int, typer.Option(min=7, help="Days of sample history.")] = 120,
    reset: Annotated[bool, typer.Option(help="Start again from a new sample.")] = False,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
) -> None:
    """What `make run` does: migrate, generate and load the sample system, then serve it live."""
    _logging("INFO")
    settings = get_settings()
    host = host or settings.host
    port = settings.port if port is None else port
    if settings.environment != "demo":
        console.print("[red]homeward demo runs only with HOMEWARD_ENVIRONMENT=demo[/red]")
        raise typer.Exit(2)
    sock = None
    if serve_after:  # before minutes of loading: a taken port fails now
        try:
            sock = claim_port(host, port)
        except PortTaken as exc:
            console.print(f"[red]{exc}[/red]", soft_wrap=True)
            raise typer.Exit(2) from exc
    from app.demo import prepare_demo

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
    if sock is None:
        return
    import uvicorn

    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # a job a minute is not news
    os.environ.setdefault("HOMEWARD_RUN_SCHEDULER", "true")
    os.environ.setdefault("HOMEWARD_SIMULATOR", "true")
    # the simulator's files are synthetic and made again at will: a day of them (~0.6 GB)
    os.environ.setdefault("HOMEWARD_PROCESSED_RETENTION_DAYS", "1")
    get_settings.cache_clear()
    config = uvicorn.Config(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=False,  # as `homeward serve`: X-Forwarded-For from trusted proxies only
    )
    stop = threading.Event()
    threading.Thread(target=_announce_when_answering, args=(host, port, stop), daemon=True).start()
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        stop.set()
        sock.close()


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
