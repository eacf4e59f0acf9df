"""docker-compose.yml parses and runs only commands the CLI has (no Docker engine here)."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.main import get_command

from app.cli import cli

ROOT = Path(__file__).resolve().parent.parent


def _cli_paths() -> set[tuple[str, ...]]:
    root = get_command(cli)
    paths: set[tuple[str, ...]] = set()

    def walk(group: object, prefix: tuple[str, ...]) -> None:
        for name, command in getattr(group, "commands", {}).items():
            paths.add((*prefix, name))
            walk(command, (*prefix, name))

    walk(root, ())
    return paths


def test_compose_services_and_commands() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "web", "scheduler"} <= set(services)
    assert services["scheduler"]["deploy"]["replicas"] == 1
    assert services["web"]["environment"]["HOMEWARD_RUN_SCHEDULER"] == "false"
    for name in ("postgres", "web", "scheduler"):
        assert "healthcheck" in services[name], name
    known = _cli_paths()
    commands = [s["command"] for s in services.values() if "command" in s]
    assert ["homeward", "db", "upgrade"] in commands
    for command in commands:
        assert command[0] == "homeward"
        words = tuple(w for w in command[1:] if not w.startswith("-"))
        assert any(words[: len(p)] == p for p in known), f"{command} is not a homeward command"
    for option in ("--host", "--port", "--workers"):
        assert option in services["web"]["command"]


def test_dockerfile_default_command_exists() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["homeward", "serve"' in text
    assert ("serve",) in _cli_paths()
