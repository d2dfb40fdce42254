"""The page hooks (app.pages): CSRF, the sign-in guard and Flask-Login's cookie run for pages and not for the MCP
endpoint, in the order they were added; a page hook's answer stops the request as a before_request hook's would."""

from __future__ import annotations

from flask import Flask

from app import pages
from tests.support.mcp_client import McpActions

TOKEN = "token-for-the-pages-test"


def noting(app: Flask) -> list[str]:
    seen: list[str] = []
    pages.before_page(app, lambda: seen.append("first") or None)
    pages.before_page(app, lambda: seen.append("second") or None)

    def after(response):
        seen.append("after")
        return response

    pages.after_page(app, after)
    return seen


def test_page_hooks_run_for_pages_in_order(make_app):
    app = make_app()
    seen = noting(app)
    assert app.test_client().get("/health").status_code == 200
    assert seen == ["first", "second", "after"]


def test_page_hooks_do_not_run_for_the_mcp_endpoint(make_app):
    app = make_app(MCP_STATIC_TOKENS=TOKEN)
    seen = noting(app)
    response = McpActions(app.test_client(), TOKEN).modern("tools/call", {"name": "whoami", "arguments": {}})
    assert response.status_code == 200 and seen == []
    assert app.test_client().get("/mcp/not-a-route").status_code == 404 and seen[:2] == ["first", "second"]


def test_an_answer_from_a_page_hook_ends_the_request(make_app):
    app = make_app()
    pages.before_page(app, lambda: ("held back", 418))
    assert app.test_client().get("/health").status_code == 418


def test_the_csrf_check_and_the_guard_still_hold_pages(client):
    refused = client.post("/auth/dev", data={"name": "A", "email": "a@example.test"})
    assert refused.status_code == 400 and b"CSRF token is missing" in refused.data
    assert client.get("/account/tokens").status_code == 302  # to sign in
