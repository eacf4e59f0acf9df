"""Issue 16, part D: least privilege (both databases).

Coordinators scoped to a council, a trust or some sites (the API, the metrics query, the
pages, the audit); rejected rows redacted for admin and analyst, whole for the coordinator
(audited) and the feed client that sent the batch; feed tokens read only their own runs and
alone may post; X-Forwarded-For believed only from a trusted proxy; a 1-minute idle timeout
that an active session survives; malformed Dash callbacks answered 4xx.

The scenario, by hand: one census of two sites, RXA01 (trust RXA) and RXB01 (trust RXB), at
09:00 on Mon 2 Nov 2026, with five inpatients. S1–S4 have a discharge ready date of 30 Oct (in
hospital after it: NCtR, so on the delayed list); S5 has none (not delayed, never listed).

    spell  site   council (residence)
    S1     RXA01  Derby       E06000015
    S2     RXA01  Derbyshire  E10000007
    S3     RXB01  Derby       E06000015
    S4     RXB01  Derbyshire  E10000007
    S5     RXA01  Derby       E06000015   (no DRD)
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.core.db import get_sessionmaker
from app.domain.scopes import NOBODY, SYSTEM, Scope, ScopeError, parse_scope
from app.metrics import patient_level
from app.metrics.errors import NotFound
from app.security.accounts import create_user
from app.security.principal import utc_now
from app.security.proxies import forwarded_client
from ingest.loader import load_batch
from ingest.registry import load_reference_dir
from models.security import AuditEvent, User
from tests.security_helpers import (  # noqa: F401
    TEST_PASSWORD,
    FakeClock,
    bearer,
    build_secure_app,
    fast_password_hashing,
    sign_in,
)

DERBY, DERBYSHIRE = "E06000015", "E10000007"
AT = "2026-11-02T12:00:00+00:00"
COLUMNS = (
    "snapshot_at,site_code,ward_code,spell_id,local_patient_id,nhs_number,age,admitted_at,"
    "admission_method,expected_discharge_date,discharge_ready_date,pathway,delay_reason_code,"
    "delay_attributable_to,local_authority_code,day_status,red_reason_code,discharged_at,"
    "discharge_destination"
)
SNAPSHOT = "2026-11-02T09:00:00"
PATIENTS = [  # (spell, site, ward, council, drd)
    ("S1", "RXA01", "A1", DERBY, "2026-10-30"),
    ("S2", "RXA01", "A1", DERBYSHIRE, "2026-10-30"),
    ("S3", "RXB01", "B1", DERBY, "2026-10-30"),
    ("S4", "RXB01", "B1", DERBYSHIRE, "2026-10-30"),
    ("S5", "RXA01", "A1", DERBY, ""),
]


def census(rows: list[tuple[str, str, str, str, str]] = PATIENTS, extra: str = "") -> bytes:
    lines = [COLUMNS]
    for spell, site, ward, council, drd in rows:
        pathway, reason = ("1", "P1_HOMECARE") if drd else ("", "")
        lines.append(
            f"{SNAPSHOT},{site},{ward},{spell},P-{spell},,80,2026-10-20T10:00:00,emergency,"
            f"2026-10-29,{drd},{pathway},{reason},,{council},,,,"
        )
    return ("\n".join(lines) + "\n" + extra).encode()


def load_reference(engine: Engine, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sites.csv").write_text(
        "site_code,site_name,trust_code,trust_name,kind\n"
        "RXA01,Northgate General,RXA,Northgate Trust,acute\n"
        "RXB01,Southfield Hospital,RXB,Southfield Trust,acute\n"
    )
    (folder / "councils.csv").write_text(
        f"local_authority_code,name\n{DERBY},Derby\n{DERBYSHIRE},Derbyshire\n"
    )
    with Session(engine) as session:
        load_reference_dir(session, folder)
        session.commit()


@pytest.fixture
def scenario(engine: Engine, tmp_path: Path) -> Engine:
    load_reference(engine, tmp_path / "reference")
    summary = load_batch("patients", census(), fmt="csv", engine=engine)
    assert (summary.status, summary.rows_loaded) == ("succeeded", 5), summary
    return engine


def coordinator(app: FastAPI, name: str, scope: str) -> TestClient:
    with get_sessionmaker()() as db:
        create_user(
            db,
            username=name,
            role="coordinator",
            password=TEST_PASSWORD,
            now=utc_now(),
            scope=parse_scope(scope),
        )
    client = TestClient(app, raise_server_exceptions=False)
    sign_in(client, "coordinator", username=name)
    return client


def audit_rows(engine: Engine, what: str) -> list[AuditEvent]:
    with Session(engine) as db:
        query = select(AuditEvent).where(AuditEvent.what == what).order_by(AuditEvent.id)
        return list(db.scalars(query))


# --- the scope itself -------------------------------------------------------------------


def test_a_scope_is_read_strictly() -> None:
    assert parse_scope("") == SYSTEM and parse_scope("system") == SYSTEM
    assert parse_scope("council:e06000015") == Scope("council", (DERBY,))
    # codes are upper-cased, de-duplicated and sorted, so one scope has one spelling
    assert str(parse_scope("sites: rxb01,RXA01,rxa01")) == "sites:RXA01,RXB01"
    for bad in ("council", "council:", "region:X", "trust:RX A", "sites:" + "A" * 13):
        with pytest.raises(ScopeError):
            parse_scope(bad)


# --- the metrics query ------------------------------------------------------------------

SCOPES = [  # scope → the delayed spells it lets a coordinator see (from the table above)
    ("system", {"S1", "S2", "S3", "S4"}),
    (f"council:{DERBY}", {"S1", "S3"}),
    (f"council:{DERBY},{DERBYSHIRE}", {"S1", "S2", "S3", "S4"}),
    ("trust:RXA", {"S1", "S2"}),
    ("trust:RXZ", set()),  # a trust with no sites: nobody
    ("sites:RXB01", {"S3", "S4"}),
]


@pytest.mark.parametrize(("scope", "expected"), SCOPES)
def test_the_delayed_list_is_limited_to_the_scope_in_the_query(
    scenario: Engine, scope: str, expected: set[str]
) -> None:
    at = datetime.fromisoformat(AT)
    with Session(scenario) as session:
        found = patient_level.delayed(session, at=at, scope=parse_scope(scope))
        assert {p.spell_id for p in found.patients} == expected and found.count == len(expected)
        # no principal at all sees nobody (fail closed)
        assert patient_level.delayed(session, at=at, scope=NOBODY).count == 0


def test_a_journey_outside_the_scope_is_not_found(scenario: Engine) -> None:
    with Session(scenario) as session:
        derby = parse_scope(f"council:{DERBY}")
        assert patient_level.journey(session, "S3", scope=derby).spell.spell_id == "S3"
        with pytest.raises(NotFound) as outside:
            patient_level.journey(session, "S2", scope=derby)  # Derbyshire resident
        with pytest.raises(NotFound) as absent:
            patient_level.journey(session, "S9", scope=derby)
    # the same words whether the spell is outside the scope or does not exist
    assert str(outside.value).replace("S2", "?") == str(absent.value).replace("S9", "?")


# --- the API ----------------------------------------------------------------------------


@pytest.fixture
def app(scenario: Engine) -> FastAPI:
    return build_secure_app()


def test_the_api_passes_the_coordinators_scope_and_audits_it(app: FastAPI, engine: Engine) -> None:
    derby = coordinator(app, "derby-team", f"council:{DERBY}")
    everyone = coordinator(app, "system-team", "system")
    listed = derby.get("/api/v1/patients/delayed", params={"at": AT})
    assert listed.status_code == 200, listed.text
    assert {p["spell_id"] for p in listed.json()["patients"]} == {"S1", "S3"}
    whole = everyone.get("/api/v1/patients/delayed", params={"at": AT})
    assert {p["spell_id"] for p in whole.json()["patients"]} == {"S1", "S2", "S3", "S4"}
    # a filter cannot widen the scope: Derbyshire's residents asked for by name → none
    asked = derby.get("/api/v1/patients/delayed", params={"at": AT, "local_authority": DERBYSHIRE})
    assert asked.json()["count"] == 0
    [first, second, third] = audit_rows(engine, "patients.delayed")
    assert (first.actor, first.filters, first.patients) == (
        "derby-team",
        {"at": "2026-11-02 12:00:00+00:00", "scope": f"council:{DERBY}"},  # as the audit writes it
        2,
    )
    assert (second.filters or {})["scope"] == "system" and second.patients == 4
    assert third.patients == 0


def test_a_journey_outside_the_scope_is_404_and_the_look_is_audited(
    app: FastAPI, engine: Engine
) -> None:
    rxa = coordinator(app, "northgate", "trust:RXA")
    assert rxa.get("/api/v1/patients/S2/journey").status_code == 200  # RXA01 is RXA's
    outside = rxa.get("/api/v1/patients/S3/journey")  # RXB01 is not
    absent = rxa.get("/api/v1/patients/S9/journey")
    assert (outside.status_code, absent.status_code) == (404, 404)  # not 403: nothing leaks
    assert outside.json()["detail"].replace("S3", "?") == absent.json()["detail"].replace("S9", "?")
    rows = audit_rows(engine, "patients.journey")
    assert [(r.filters, r.patients) for r in rows] == [
        ({"spell_id": "S2", "scope": "trust:RXA"}, 1),
        ({"spell_id": "S3", "scope": "trust:RXA"}, 0),
        ({"spell_id": "S9", "scope": "trust:RXA"}, 0),
    ]


def test_the_admin_api_and_the_cli_set_a_scope(app: FastAPI, engine: Engine) -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    admin = TestClient(app, raise_server_exceptions=False)
    sign_in(admin, "admin")
    made = admin.post(
        "/api/v1/admin/users",
        json={"username": "dales", "role": "coordinator", "scope": "sites:rxb01"},
    )
    assert made.status_code == 201 and made.json()["scope"] == "sites:RXB01"
    bad = admin.post(
        "/api/v1/admin/users", json={"username": "x2", "role": "coordinator", "scope": "everyone"}
    )
    assert bad.status_code == 422 and "council:CODE" in bad.text
    changed = admin.patch(f"/api/v1/admin/users/{made.json()['id']}", json={"scope": "system"})
    assert changed.status_code == 200 and changed.json()["scope"] == "system"
    result = CliRunner().invoke(
        cli,
        ["users", "create", "cli-team", "--role", "coordinator", "--scope", f"council:{DERBY}"],
        input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    refused = CliRunner().invoke(
        cli,
        ["users", "create", "cli-two", "--role", "coordinator", "--scope", "council:"],
        input=f"{TEST_PASSWORD}\n{TEST_PASSWORD}\n",
    )
    assert refused.exit_code != 0
    with Session(engine) as db:
        scopes = dict(db.execute(select(User.username, User.scope)).tuples().all())
    assert scopes["dales"] == "system" and scopes["cli-team"] == f"council:{DERBY}"
    assert "cli-two" not in scopes


def test_an_unreadable_stored_scope_ends_the_session(app: FastAPI, engine: Engine) -> None:
    client = coordinator(app, "odd", f"council:{DERBY}")
    with Session(engine) as db, db.begin():
        db.execute(User.__table__.update().where(User.username == "odd").values(scope="wide"))
    # never widened to the whole system: the session ends instead
    assert client.get("/api/v1/patients/delayed", params={"at": AT}).status_code == 401


# --- the pages --------------------------------------------------------------------------


@pytest.fixture
def dash_app(scenario: Engine) -> Iterator[FastAPI]:
    with TestClient(build_secure_app(with_dashboard=True)) as started:
        yield started.app  # type: ignore[misc]


def draw(client: TestClient, path: str, search: str = "") -> str:
    from tests.test_security_dash import payload

    body = payload(client, "_pages_content.children", pathname=path, search=search)
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return response.text


def test_the_pages_list_only_the_scopes_patients(dash_app: FastAPI) -> None:
    derby = coordinator(dash_app, "derby-pages", f"council:{DERBY}")
    grid = draw(derby, "/coordinator", f"?at={AT}")
    # the grid's rows carry the spell ids: Derby's residents S1 and S3 only
    assert '"S1"' in grid and '"S3"' in grid and '"S2"' not in grid and '"S4"' not in grid
    ward = draw(derby, "/site/RXA01/ward/A1", f"?at={AT}")
    assert "S1" in ward and "S2" not in ward  # S2 lies on A1 but lives in Derbyshire
    assert "Patient journey: spell S3" in draw(derby, "/patient/S3")
    outside = draw(derby, "/patient/S2")
    assert "Patient journey: spell" not in outside and "Nothing to show for this address" in outside
    assert "no spell" in outside  # the words of a spell that does not exist


# --- rejected rows and feed runs --------------------------------------------------------

BAD_ROW = f"{SNAPSHOT},RXA01,A1,S6,P-S6,,80,2026-10-20T10:00:00,emergency,,,7,,,{DERBY},,,,\n"


def test_rejected_rows_whole_for_coordinator_and_sender_redacted_for_others(
    app: FastAPI, engine: Engine
) -> None:
    sender = TestClient(app, headers=bearer("feed", name="trust-a-patients"))
    other = TestClient(app, headers=bearer("feed", name="trust-b-patients"))
    posted = sender.post(
        "/api/v1/feeds/patients/batches",
        content=census(PATIENTS, BAD_ROW),
        headers={"Content-Type": "text/csv"},
    )
    assert posted.status_code == 201, posted.text
    run_id = posted.json()["run_id"]
    assert posted.json()["rows_quarantined"] == 1  # S6's pathway 7 is no pathway
    path = f"/api/v1/feeds/runs/{run_id}/rejected"

    def view(client: TestClient) -> dict[str, Any]:
        response = client.get(path)
        assert response.status_code == 200, response.text
        return dict(response.json())

    own = view(sender)
    [row] = own["rows"]
    assert own["redacted"] is False and row["value"] == "7" and "S6" in (row["raw"] or "")
    for role in ("admin", "analyst"):
        person = TestClient(app)
        sign_in(person, role)
        seen = view(person)
        [redacted] = seen["rows"]
        assert seen["redacted"] is True and (redacted["value"], redacted["raw"]) == (None, None)
        # what to act on is still there: the line (header is 1, the bad row is 7), column, why
        assert (redacted["line_number"], redacted["column"]) == (7, "pathway")
        assert redacted["reason"] == row["reason"]
    whole = coordinator(app, "whole", "system")
    assert view(whole)["rows"][0]["value"] == "7"
    scoped = coordinator(app, "scoped", f"council:{DERBY}")
    assert view(scoped)["redacted"] is True  # whose row it is is not known: withheld
    # another feed client learns nothing of this run, not even that it exists
    assert other.get(path).status_code == 404
    assert other.get(f"/api/v1/feeds/runs/{run_id}").status_code == 404
    assert other.get("/api/v1/feeds/runs").json() == []
    assert [r["id"] for r in sender.get("/api/v1/feeds/runs").json()] == [run_id]
    # the unredacted reads, and only those, are audited: the sender's and the coordinator's
    assert [r.actor for r in audit_rows(engine, "feeds.rejected")] == [
        "token:trust-a-patients",
        "whole",
    ]


def test_only_the_feed_role_posts_batches(app: FastAPI) -> None:
    for role in ("admin", "coordinator", "analyst"):
        person = TestClient(app)
        sign_in(person, role)
        response = person.post(
            "/api/v1/feeds/patients/batches", content=census(), headers={"Content-Type": "text/csv"}
        )
        assert response.status_code == 403, role


# --- proxies ----------------------------------------------------------------------------


def test_forwarded_for_is_believed_only_from_a_trusted_proxy() -> None:
    proxies = [ip_network("10.0.0.0/24")]
    # a client writes anything it likes into the header: from an untrusted peer, ignored
    assert forwarded_client("203.0.113.9", "198.51.100.1", proxies) == "203.0.113.9"
    # through the proxy: the rightmost address the proxy did not add itself
    assert forwarded_client("10.0.0.5", "1.2.3.4, 198.51.100.7", proxies) == "198.51.100.7"
    assert forwarded_client("10.0.0.5", "198.51.100.7, 10.0.0.6", proxies) == "198.51.100.7"
    assert forwarded_client("10.0.0.5", "not-an-address", proxies) == "10.0.0.5"
    assert forwarded_client("10.0.0.5", "198.51.100.7", []) == "10.0.0.5"  # none configured
    with pytest.raises(ValueError, match="HOMEWARD_TRUSTED_PROXIES"):
        Settings(trusted_proxies="10.0.0.1,example.org")


def failed_sign_ins(client: TestClient, count: int, forwarded: bool) -> list[int]:
    codes = []
    for k in range(count):
        headers = {"X-Forwarded-For": f"198.51.100.{k + 1}"} if forwarded else {}
        response = client.post(
            "/api/v1/auth/login",
            json={"username": f"guess-{k}", "password": "wrong-password-123"},
            headers=headers,
        )
        codes.append(response.status_code)
    return codes


def test_a_spoofed_forwarded_for_does_not_bypass_the_sign_in_limit(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_TRUSTED_PROXIES", "10.0.0.1")
    get_settings.cache_clear()
    app = build_secure_app()
    # 20 attempts at once per address (ratelimit.LOGIN_BY_CLIENT), each a new username so
    # the per-username limit never bites: the 21st from one peer is refused…
    direct = TestClient(app, client=("203.0.113.9", 50000), raise_server_exceptions=False)
    codes = failed_sign_ins(direct, 21, forwarded=True)
    assert codes[:20] == [401] * 20 and codes[20] == 429
    # …while 21 people behind the trusted proxy are 21 addresses, none refused for another's
    proxy = TestClient(app, client=("10.0.0.1", 50000), raise_server_exceptions=False)
    assert failed_sign_ins(proxy, 21, forwarded=True) == [401] * 21
    with Session(engine) as db:
        clients = set(
            db.scalars(select(AuditEvent.client).where(AuditEvent.action == "login_failed"))
        )
    assert "198.51.100.21" in clients and "203.0.113.9" in clients and "10.0.0.1" not in clients
    get_settings.cache_clear()


# --- the shortest idle timeout ----------------------------------------------------------


def test_an_active_session_survives_a_one_minute_idle_timeout(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_SESSION_IDLE_MINUTES", "1")
    get_settings.cache_clear()
    clock = FakeClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    client = TestClient(build_secure_app(clock=clock), raise_server_exceptions=False)
    sign_in(client, "analyst")
    # a request every 40 s for 4 minutes: never 60 s idle, so never signed out (with
    # "last seen" written at most once a minute, the request at 80 s found it 80 s old)
    for _ in range(6):
        clock.advance(seconds=40)
        assert client.get("/api/v1/auth/me").status_code == 200, clock.now
    clock.advance(seconds=61)  # and a minute without a request does end it
    assert client.get("/api/v1/auth/me").status_code == 401
    get_settings.cache_clear()


# --- malformed requests -----------------------------------------------------------------


def test_malformed_dash_callbacks_are_4xx(dash_app: FastAPI) -> None:
    from tests.test_security_dash import payload

    analyst = TestClient(dash_app, raise_server_exceptions=False)
    sign_in(analyst, "analyst")
    body = payload(analyst, "weekly-download-csv.data", n_clicks=1, value="NOSUCH")
    as_text = analyst.post(
        "/_dash-update-component",
        content=json.dumps(body),
        headers={"Content-Type": "text/plain"},
    )
    assert as_text.status_code == 415
    unknown_site = analyst.post("/_dash-update-component", json=body)
    # 422 naming the parameter, as the API answers an unknown site (was a 500)
    assert unknown_site.status_code == 422 and "unknown site code 'NOSUCH'" in unknown_site.text
    body_ok = payload(analyst, "weekly-download-csv.data", n_clicks=1, value="system")
    assert analyst.post("/_dash-update-component", json=body_ok).status_code == 200


def test_the_clock_helpers_are_consistent() -> None:
    # the session's writes are at most a quarter of the idle timeout apart (15 s for 1 min)
    from app.security.sessions import SessionPolicy, last_seen_resolution

    policy = SessionPolicy(
        idle=timedelta(minutes=1),
        absolute=timedelta(hours=1),
        kiosk_absolute=timedelta(days=1),
        secure_cookie=False,
        cookie_name="x",
    )
    assert last_seen_resolution(policy) == timedelta(seconds=15)
