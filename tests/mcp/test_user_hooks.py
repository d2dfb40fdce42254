"""Hooks a user adds to the app run for /mcp calls too, JSON and streamed: however fast /mcp is served, it stays
inside Flask's request pipeline, so a `before_request`, `after_request`, `teardown_request` or error handler
someone registers (for logging, auditing, a header, a policy) is never silently skipped."""

from __future__ import annotations

import pytest
from flask import Flask, g, request

from tests.support.mcp_client import McpActions, sse_messages

TOKEN = "token-for-the-hooks-test"


class Refused(Exception):
    """What a user's policy hook raises, for their own error handler to answer."""


def with_user_hooks(app: Flask) -> list[str]:
    """Register hooks as a user would in their app, and return the list they write to, in order."""
    seen: list[str] = []

    @app.before_request
    def note_start() -> None:
        g.started_by_user = True
        seen.append(f"before {request.path}")

    @app.before_request
    def refuse_when_asked() -> None:
        if request.headers.get("X-Refuse"):
            raise Refused()

    @app.after_request
    def add_header(response):
        response.headers["X-User-Hook"] = "ran"
        seen.append(f"after {response.mimetype}")
        return response

    @app.teardown_request
    def note_end(error: BaseException | None) -> None:
        seen.append(f"teardown {g.get('started_by_user')}")

    @app.errorhandler(Refused)
    def refused(_error: Refused):
        seen.append("error handler")
        return {"refused": "by the user's policy"}, 451

    return seen


@pytest.fixture
def hooked(make_app):
    app = make_app(MCP_STATIC_TOKENS=TOKEN, MCP_TOOL_PACKAGES="app.tools,tests.mcp_fixtures")
    return app, with_user_hooks(app), McpActions(app.test_client(), TOKEN)


def test_they_run_for_a_json_reply(hooked):
    _, seen, actions = hooked
    response = actions.modern("tools/call", {"name": "whoami", "arguments": {}})
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["X-User-Hook"] == "ran"
    assert seen == ["before /mcp", "after application/json", "teardown True"]


def test_they_run_for_a_streamed_reply(hooked):
    _, seen, actions = hooked
    params = {"name": "test_tool_with_progress", "arguments": {}}
    response = actions.modern("tools/call", params, meta={"progressToken": "p"})
    messages = sse_messages(response)
    assert [m.get("method") for m in messages[:-1]] == ["notifications/progress"] * 3 and "result" in messages[-1]
    assert response.headers["X-User-Hook"] == "ran"
    assert seen == ["before /mcp", "after text/event-stream", "teardown True"]


def test_they_run_for_the_legacy_revision(hooked):
    _, seen, actions = hooked
    session = actions.initialize()
    response = actions.legacy("tools/call", {"name": "whoami", "arguments": {}}, session=session)
    assert response.status_code == 200 and response.headers["X-User-Hook"] == "ran"
    assert seen[-3:] == ["before /mcp", f"after {response.mimetype}", "teardown True"]


def test_their_error_handler_answers_for_mcp(hooked):
    _, seen, actions = hooked
    response = actions.modern("tools/call", {"name": "whoami", "arguments": {}}, headers={"X-Refuse": "1"})
    assert (response.status_code, response.get_json()) == (451, {"refused": "by the user's policy"})
    assert response.headers["X-User-Hook"] == "ran"
    assert seen == ["before /mcp", "error handler", "after application/json", "teardown True"]
