"""The template's hooks (app.hooks): run by one before and one after hook, in the order they were added, each given
the request; those for pages only (CSRF, the sign-in guard, Flask-Login's cookie) are skipped on the MCP endpoint."""

from __future__ import annotations

from flask import Flask

from app import hooks
from tests.support.mcp_client import McpActions

TOKEN = "token-for-the-hooks-test"


def noting(app: Flask) -> list[str]:
    seen: list[str] = []
    hooks.before(app, lambda req: seen.append(f"every {req.path}") or None)
    hooks.before(app, lambda req: seen.append("page first") or None, pages_only=True)
    hooks.before(app, lambda req: seen.append("page second") or None, pages_only=True)

    def after(_req, response):
        seen.append("page after")
        return response

    hooks.after(app, after, pages_only=True)
    return seen


def test_they_run_for_pages_in_order(make_app):
    app = make_app()
    seen = noting(app)
    assert app.test_client().get("/health").status_code == 200
    assert seen == ["every /health", "page first", "page second", "page after"]


def test_those_for_pages_do_not_run_for_the_mcp_endpoint(make_app):
    app = make_app(MCP_STATIC_TOKENS=TOKEN)
    seen = noting(app)
    response = McpActions(app.test_client(), TOKEN).modern("tools/call", {"name": "whoami", "arguments": {}})
    assert response.status_code == 200 and seen == ["every /mcp"]
    assert response.headers["X-Content-Type-Options"] == "nosniff" and response.headers["X-Request-ID"]
    seen.clear()
    assert app.test_client().get("/mcp/not-a-route").status_code == 404  # no view: not the endpoint's
    assert seen[:3] == ["every /mcp/not-a-route", "page first", "page second"]


def test_an_answer_from_a_hook_ends_the_request(make_app):
    app = make_app()
    hooks.before(app, lambda _req: ("held back", 418), pages_only=True)
    assert app.test_client().get("/health").status_code == 418


def test_the_csrf_check_and_the_guard_still_hold_pages(client):
    refused = client.post("/auth/dev", data={"name": "A", "email": "a@example.test"})
    assert refused.status_code == 400 and b"CSRF token is missing" in refused.data
    assert client.get("/account/tokens").status_code == 302  # to sign in
