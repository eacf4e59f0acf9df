"""The accessibility statement: one text in docs/ and in the package, reachable before signing
in (from the sign-in page) and after (the footer of every page), and true about its tests."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.security_helpers import (  # noqa: F401
    build_secure_app,
    fast_password_hashing,
    sign_in,
)

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "accessibility.md"
PACKAGED = ROOT / "dashboards" / "accessibility.md"
AXE_ASSETS = ROOT / "tests" / "browser" / "assets"


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    return build_secure_app(with_dashboard=True)


def test_the_doc_and_the_page_show_the_same_text() -> None:
    assert DOC.read_text(encoding="utf-8") == PACKAGED.read_text(encoding="utf-8"), (
        "docs/accessibility.md and dashboards/accessibility.md differ: copy one onto the other"
    )


def test_the_statement_names_the_axe_version_the_tests_run() -> None:
    vendored = sorted(p.name for p in AXE_ASSETS.glob("axe-*.min.js"))
    assert len(vendored) == 1, vendored
    version = re.fullmatch(r"axe-(\d+\.\d+\.\d+)\.min\.js", vendored[0])
    assert version, vendored[0]
    text = PACKAGED.read_text(encoding="utf-8")
    assert f"**{version.group(1)}**" in text
    assert "WCAG" in text and "2.2" in text and "level AA" in text


def test_anyone_can_read_the_statement_from_the_sign_in_page(app: FastAPI) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    sign_in_page = client.get("/login")
    assert sign_in_page.status_code == 200
    assert "href='/login/accessibility'" in sign_in_page.text
    page = client.get("/login/accessibility", follow_redirects=False)
    assert page.status_code == 200, page.text[:300]
    assert page.headers["content-type"].startswith("text/html")
    body = page.text
    assert "<html lang='en-GB'>" in body
    assert "<title>Accessibility statement – Homeward</title>" in body
    assert "<h1>Accessibility statement for Homeward</h1>" in body
    assert "<main id='main-content'" in body and "class='skip-link'" in body
    assert "<h2>Known limitations</h2>" in body
    assert "Reporting accessibility problems" in body
    # only the statement opened up: the pages beside it still send the anonymous to sign in
    assert client.get("/accessibility", follow_redirects=False).status_code == 303


def test_every_signed_in_page_links_the_statement_in_its_footer(app: FastAPI) -> None:
    import dash

    paths = {page["path"] for page in dash.page_registry.values()}
    assert "/accessibility" in paths
    client = TestClient(app, raise_server_exceptions=False)
    sign_in(client, "wall")
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200
    footer = json.dumps(layout.json()["props"]["children"][-1])
    assert '"href": "/accessibility"' in footer, footer
    assert "Accessibility statement" in footer
