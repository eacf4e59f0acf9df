"""The production bootstrap commands: the first admin and API tokens."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from models import ApiToken, User


def test_users_create_and_refuse_a_weak_password(engine: Engine, session: Session) -> None:
    runner = CliRunner()
    good = "correct-horse-battery-staple-42"
    result = runner.invoke(
        cli, ["users", "create", "ada", "--role", "admin"], input=f"{good}\n{good}\n"
    )
    assert result.exit_code == 0, result.output
    user = session.scalars(select(User).where(User.username == "ada")).one()
    assert user.role == "admin" and user.password_hash and good not in user.password_hash
    weak = runner.invoke(cli, ["users", "create", "bob", "--role", "admin"], input="x\nx\n")
    assert weak.exit_code != 0
    assert session.scalars(select(User).where(User.username == "bob")).first() is None


def test_tokens_create_prints_once_and_keeps_only_a_hash(engine: Engine, session: Session) -> None:
    result = CliRunner().invoke(cli, ["tokens", "create", "trust-a-beds", "--role", "feed"])
    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip().splitlines()[0]
    assert plaintext.startswith("hw_")
    token = session.scalars(select(ApiToken).where(ApiToken.name == "trust-a-beds")).one()
    assert token.role == "feed" and plaintext not in token.token_hash
    refused = CliRunner().invoke(cli, ["tokens", "create", "person", "--role", "coordinator"])
    assert refused.exit_code == 2  # patient-level reads must name a person, never a token
