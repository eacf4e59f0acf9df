"""Settings, read from the environment (prefix ``HOMEWARD_``) or a ``.env`` file."""

from __future__ import annotations

from datetime import date, time
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SECRET = "homeward-demo-secret-change-me"
DEMO_PSEUDONYM_KEY = "homeward-demo-pseudonym-key-change-me"
ROLES = ("wall", "analyst", "coordinator", "admin", "feed")
#: the scheduler beats this often; the feeds page calls it stale after 3 beats, down after 15
HEARTBEAT_INTERVAL_SECONDS = 20


class Settings(BaseSettings):
    """Everything Homeward can be configured with."""

    model_config = SettingsConfigDict(env_prefix="HOMEWARD_", env_file=".env", extra="ignore")

    environment: Literal["demo", "production"] = "demo"
    database_url: str = "sqlite:///./homeward.db"
    timezone: str = "Europe/London"
    feeds_dir: Path = Path("var/feeds")
    demo_dir: Path = Path("var/demo")
    run_scheduler: bool = False
    simulator: bool = False
    simulator_interval_seconds: int = Field(default=60, ge=5)
    scheduler_lock_dir: Path = Path("var/locks")
    pseudonym_key: str = DEMO_PSEUDONYM_KEY
    secret_key: str = DEMO_SECRET
    future_tolerance_minutes: int = Field(default=15, ge=0)
    # the largest feed batch POSTed to the API (MB): refused with 413 before reading past it
    max_batch_mb: int = Field(default=200, ge=1, le=10_000)
    # The contract's plausible values (DESIGN §3; docs/feeds.md "Plausible values"): a value
    # outside them is a quarantined row with its reason, never a failed batch or a number that
    # later breaks a page.
    earliest_timestamp: date = date(1990, 1, 1)
    max_spell_years: int = Field(default=5, ge=1, le=50)
    max_age: int = Field(default=130, ge=1, le=150)
    max_count: int = Field(default=10_000, ge=1, le=1_000_000)
    max_hours_per_week: float = Field(default=100_000, gt=0, le=10_000_000)
    # a CSV line or a JSON item longer than this is a rejected file (the readers stay bounded)
    max_line_kib: int = Field(default=1024, ge=4, le=64 * 1024)
    feed_config_file: Path | None = None
    # Overnight emergency LOS (DESIGN §4.11): the chart's first this-many weeks are its
    # baseline (mean and limits fixed on them); the target is their mean − 0.4 days.
    los_baseline_weeks: int = Field(default=12, ge=2, le=260)
    # local targets by pathway (app/metrics/pathway_targets.toml; docs/metrics.md): a file
    # whose [[targets]] replace the shipped ones
    pathway_targets_file: Path | None = None
    escalation_config_file: Path | None = None
    # The returns outbox (docs/returns.md): the scheduler writes each finished day's sitrep and
    # each finished month's discharge-delay measures here, once, for the trust's submission
    # process to pick up; unset, nothing is written.
    returns_outbox_dir: Path | None = None
    returns_outbox_level: Literal["site", "trust", "system", "region"] = "trust"
    returns_outbox_interval_minutes: int = Field(default=60, ge=1, le=24 * 60)
    # a day's return is due once this local time the next day has passed (the morning census)
    returns_outbox_ready_at: time = time(10, 0)
    # Triggers and notices (app/triggers; docs/meetings.md "Triggers and notices"): a local
    # file merged over app/triggers/triggers.toml, the address links in notices start with,
    # and the SMTP server e-mail notices go through (none: e-mail channels record a failure).
    triggers_config_file: Path | None = None
    public_base_url: str = "http://127.0.0.1:8050"
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_security: Literal["none", "starttls", "ssl"] = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "homeward@localhost"
    hicm_config_file: Path | None = None  # which measure evidences which HICM change
    # /api/docs: on in demo; off in production unless HOMEWARD_ENABLE_DOCS=true.
    enable_docs: bool = True
    host: str = "127.0.0.1"
    port: int = 8050

    # The cache of metric results (app/metrics/cache.py): entries kept (0 turns it off), and
    # how long an answer about "now" is kept (the others last until the next ingest run).
    metrics_cache_size: int = Field(default=256, ge=0, le=100_000)
    metrics_cache_seconds: float = Field(default=30, ge=0, le=3600)
    metrics_cache_mb: int = Field(default=256, ge=1)  # of cached JSON (the API's answers)
    # how long the data version is trusted before it is read again (0: on every call)
    metrics_version_seconds: float = Field(default=1.0, ge=0, le=60)

    # Sign-in sessions (DESIGN §7; docs/security.md)
    session_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=7 * 24)
    kiosk_session_days: int = Field(default=30, ge=1, le=365)
    # Browser origins allowed to call the API from other sites (CORS); none by default.
    cors_origins: list[str] = []
    # Reverse proxies whose X-Forwarded-For is believed (addresses or networks, comma
    # separated, e.g. "10.0.0.5,172.18.0.0/16"); none by default: the peer is the client.
    trusted_proxies: str = ""

    # API tokens expire after this many days unless told otherwise (`homeward tokens create
    # --days N` / `--never-expires`, or the admin API's expires_at / never_expires).
    token_expiry_days: int = Field(default=90, ge=1, le=3650)
    # Retention, run daily by the scheduler (ingest/scheduler.py; docs/feeds.md "Retention"):
    # processed feed files older than this many days are deleted (0 keeps them all); capacity
    # snapshots (care homes, home care, beds) older than this many days are thinned to the
    # latest of each unit and day, which is all the metrics read of past days (0 keeps all).
    processed_retention_days: int = Field(default=7, ge=0, le=3650)
    snapshot_retention_days: int = Field(default=14, ge=0, le=3650)

    # OpenID Connect sign-in (e.g. NHS CIS2); off unless an issuer is set.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_scopes: str = "openid profile email"
    oidc_redirect_url: str | None = None  # public URL of /api/v1/auth/oidc/callback
    oidc_token_auth: Literal["client_secret_post", "client_secret_basic"] = "client_secret_post"
    oidc_username_claim: str = "preferred_username"
    oidc_role_claim: str = "roles"  # a dotted path; lists are searched (e.g. a.b for [{b: …}])
    oidc_role_map: dict[str, str] = {}  # claim value → role; the first match in order wins
    oidc_use_userinfo: bool = False  # CIS2 gives its role claims at the userinfo endpoint
    oidc_label: str = "Sign in with your organisation's account"

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "production":
            weak = [
                name
                for name, value, default in (
                    ("HOMEWARD_SECRET_KEY", self.secret_key, DEMO_SECRET),
                    ("HOMEWARD_PSEUDONYM_KEY", self.pseudonym_key, DEMO_PSEUDONYM_KEY),
                )
                if value == default or len(value) < 32
            ]
            if weak:
                raise ValueError(
                    "production refuses default or short (<32 characters) secrets: set "
                    + ", ".join(weak)
                )
            if self.oidc_issuer:
                secret = self.oidc_client_secret or ""
                if len(secret) < 16 or "change-me" in secret:
                    raise ValueError(
                        "production refuses a missing, default or short (<16 characters) "
                        "OpenID Connect client secret: set HOMEWARD_OIDC_CLIENT_SECRET"
                    )
                if not self.oidc_issuer.startswith("https://"):
                    raise ValueError("production needs an https:// HOMEWARD_OIDC_ISSUER")
            if "enable_docs" not in self.model_fields_set:
                self.enable_docs = False
        if self.oidc_issuer and not self.oidc_client_id:
            raise ValueError("HOMEWARD_OIDC_ISSUER is set: set HOMEWARD_OIDC_CLIENT_ID too")
        self.trusted_proxy_networks()  # an unreadable address refuses to start
        unknown = sorted(set(self.oidc_role_map.values()) - set(ROLES))
        if unknown:
            raise ValueError(f"HOMEWARD_OIDC_ROLE_MAP names unknown roles: {unknown}")
        return self

    def trusted_proxy_networks(self) -> tuple[IPv4Network | IPv6Network, ...]:
        """``HOMEWARD_TRUSTED_PROXIES`` read as networks (a bare address is a /32 or /128)."""
        networks = []
        for item in self.trusted_proxies.split(","):
            if not item.strip():
                continue
            try:
                networks.append(ip_network(item.strip(), strict=False))
            except ValueError:
                raise ValueError(
                    f"HOMEWARD_TRUSTED_PROXIES: {item.strip()[:60]!r} is not an IP address or "
                    "network (write e.g. 10.0.0.5 or 172.18.0.0/16, comma separated)"
                ) from None
        return tuple(networks)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
