"""/api/docs is Swagger UI served by Homeward itself, and the OpenAPI document names the
bearer token and the session cookie (so "Authorize" takes a token)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests.security_helpers import build_secure_app


def test_the_docs_page_loads_nothing_from_another_host(engine: Engine) -> None:
    with TestClient(build_secure_app()) as client:  # signed out: the docs are public
        page = client.get("/api/docs")
        assert page.status_code == 200
        sources = re.findall(r"(?:src|href)=\"([^\"]+)\"", page.text)
        assert sources and all(src.startswith("/api/docs/static/") for src in sources), sources
        assert not re.search(r"https?://", page.text)
        for source in sources:
            asset = client.get(source)
            assert asset.status_code == 200 and len(asset.content) > 500, source
        assert "SwaggerUIBundle" in client.get("/api/docs/static/swagger-ui-bundle.js").text
        policy = page.headers["content-security-policy"]
        assert "http" not in policy and "script-src 'self' 'unsafe-inline'" in policy


def test_the_openapi_document_names_the_two_ways_in(engine: Engine) -> None:
    with TestClient(build_secure_app()) as client:
        document = client.get("/api/v1/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearerToken"] == {**schemes["bearerToken"], "type": "http", "scheme": "bearer"}
    assert schemes["sessionCookie"]["type"] == "apiKey"
    assert schemes["sessionCookie"]["in"] == "cookie"
    assert schemes["sessionCookie"]["name"] == "hw_session"  # the demo's cookie
    assert document["security"] == [{"bearerToken": []}, {"sessionCookie": []}]
    paths = document["paths"]
    # the public operations need nothing; the others inherit the document's security
    assert paths["/api/v1/health"]["get"]["security"] == []
    assert paths["/api/v1/auth/login"]["post"]["security"] == []
    assert "security" not in paths["/api/v1/flow/summary"]["get"]
    assert "security" not in paths["/api/v1/feeds/{feed}/batches"]["post"]
