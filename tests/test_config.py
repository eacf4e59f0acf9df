"""Settings: defaults, environment prefix, production refuses default secrets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from app.core.config import DEMO_PSEUDONYM_KEY, DEMO_SECRET, Settings


def test_defaults_are_a_demo_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HOMEWARD_DATABASE_URL", "HOMEWARD_ENVIRONMENT", "HOMEWARD_RUN_SCHEDULER"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment == "demo"
    assert settings.database_url == "sqlite:///./homeward.db"
    assert settings.timezone == "Europe/London"
    assert settings.pseudonym_key == DEMO_PSEUDONYM_KEY


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEWARD_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("HOMEWARD_RUN_SCHEDULER", "true")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.run_scheduler is True


@pytest.mark.parametrize(
    ("secret", "key", "named"),
    [
        (DEMO_SECRET, "k" * 40, "HOMEWARD_SECRET_KEY"),
        ("s" * 40, DEMO_PSEUDONYM_KEY, "HOMEWARD_PSEUDONYM_KEY"),
        ("short", "k" * 40, "HOMEWARD_SECRET_KEY"),
    ],
)
def test_production_refuses_default_or_short_secrets(secret: str, key: str, named: str) -> None:
    with pytest.raises(ValidationError, match=named):
        Settings(environment="production", secret_key=secret, pseudonym_key=key, _env_file=None)  # type: ignore[call-arg]


def test_production_accepts_real_secrets() -> None:
    settings = Settings(
        environment="production",
        secret_key="s" * 40,
        pseudonym_key="k" * 40,
        _env_file=None,  # type: ignore[call-arg]
    )
    assert settings.environment == "production"
