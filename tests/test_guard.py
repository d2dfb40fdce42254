"""The guard: public paths pass, people are sent to sign in, API callers get JSON 401."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("path", ["/health", "/status", "/static/style.css", "/auth/login", "/auth/failure"])
def test_public_paths_pass(client, path):
    with client.get(path) as response:
        assert response.status_code in (200, 302, 401)
        assert not (response.location or "").startswith("/auth/login?next")


def test_page_redirects_to_sign_in_with_next(client):
    response = client.get("/?tab=1")
    assert response.status_code == 302
    assert response.location == "/auth/login?next=/?tab%3D1"


def test_json_caller_gets_401_json(client):
    response = client.get("/", headers={"Accept": "application/json"})
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"


def test_api_prefix_gets_401_json_whatever_it_accepts(client):
    response = client.get("/api/anything", headers={"Accept": "text/html"})
    assert response.status_code == 401
    assert response.json["error"] == "unauthorized"


def test_mcp_endpoint_is_never_redirected(client):
    for path in ("/mcp", "/mcp/"):
        response = client.post(path, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert response.status_code != 302


def test_extra_public_paths(make_app):
    client = make_app(PUBLIC_PATHS="/about,/docs/").test_client()
    assert client.get("/about").status_code == 404  # open, and no such page
    assert client.get("/docs/a/b").status_code == 404
    assert client.get("/about/x").status_code == 302  # exact entries are not prefixes


def test_signed_in_person_passes(client, auth):
    auth.dev_sign_in()
    assert client.get("/").status_code == 200
