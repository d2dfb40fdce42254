"""GET /mcp in the `initialize`-based revisions: a session's stream of list changes and resource updates."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.mcp.conftest import TOKEN
from tests.support.mcp_client import McpActions
from tests.support.servers import sqlite_app

FIXTURES = "tests.mcp_fixtures,app.tools"
ARRIVES_WITHIN = 5.0
#: Generous for a loaded machine; a hung-up stream used to hold its place until the second 15 s keep-alive.
FREED_WITHIN = 10.0
JSON_AND_STREAM = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 0,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}},
}


def legacy_app(make_app, **settings: str):
    return make_app(MCP_STATIC_TOKENS=TOKEN, MCP_TOOL_PACKAGES=FIXTURES, MCP_KEEPALIVE_SECONDS="1", **settings)


def open_stream(actions: McpActions, session: str, **headers: str):
    sent = {"Authorization": f"Bearer {TOKEN}", "Accept": "text/event-stream", "Mcp-Session-Id": session}
    return actions.client.get("/mcp", headers=sent | headers, buffered=False)


def next_message(chunks, timeout: float = ARRIVES_WITHIN) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        chunk = next(chunks).decode()
        for line in chunk.splitlines():
            if line.startswith("data:"):
                return json.loads(line[5:])
    raise TimeoutError(f"no message within {timeout} s")


def call(actions: McpActions, session: str, name: str, **arguments) -> None:
    response = actions.legacy("tools/call", {"name": name, "arguments": arguments}, session=session)
    assert response.status_code == 200 and response.get_json()["result"]["isError"] is False


def test_a_session_hears_list_changes_and_its_subscribed_resources(make_app):
    actions = McpActions(legacy_app(make_app).test_client())
    session = actions.initialize()
    assert actions.legacy("resources/subscribe", {"uri": "profile://me"}, session=session).status_code == 200
    stream = open_stream(actions, session)
    try:
        assert stream.status_code == 200 and stream.mimetype == "text/event-stream"
        chunks = iter(stream.response)
        assert next(chunks).decode().startswith(":")  # open
        call(actions, session, "test_touch_resource", uri="test://static-text")  # not subscribed: not heard
        call(actions, session, "test_touch_resource", uri="profile://me")
        updated = next_message(chunks)
        assert updated == {
            "jsonrpc": "2.0",
            "method": "notifications/resources/updated",
            "params": {"uri": "profile://me"},
        }
        call(actions, session, "test_trigger_tool_change")
        assert next_message(chunks)["method"] == "notifications/tools/list_changed"
        assert actions.legacy("resources/unsubscribe", {"uri": "profile://me"}, session=session).status_code == 200
        call(actions, session, "test_touch_resource", uri="profile://me")  # unsubscribed: not heard
        call(actions, session, "test_trigger_prompt_change")
        assert next_message(chunks)["method"] == "notifications/prompts/list_changed"
    finally:
        stream.close()


def test_the_stream_needs_a_live_session_and_an_event_stream(make_app):
    actions = McpActions(legacy_app(make_app).test_client())
    assert open_stream(actions, "no-such-session").status_code == 404
    session = actions.initialize()
    assert open_stream(actions, session, Accept="application/json").status_code == 406
    ended = actions.client.delete("/mcp", headers={"Authorization": f"Bearer {TOKEN}", "Mcp-Session-Id": session})
    assert ended.status_code == 204
    assert open_stream(actions, session).status_code == 404  # ended


def test_the_stream_counts_against_the_caps_and_ends_on_shutdown(make_app):
    app = legacy_app(make_app, MCP_MAX_STREAMS_PER_CALLER="1")
    actions = McpActions(app.test_client())
    session = actions.initialize()
    stream = open_stream(actions, session)
    chunks = iter(stream.response)
    next(chunks)
    assert open_stream(actions, session).status_code == 429
    app.extensions["mcp_streams"].drain()
    assert b"".join(chunks) is not None  # the stream ends (the client opens it again elsewhere)
    stream.close()
    assert not app.extensions["mcp_changes"].listeners


@pytest.mark.live
def test_a_client_that_hangs_up_frees_its_place_within_seconds(tmp_path):
    """Under gunicorn: a client that closes its stream is noticed within seconds (not at the next 15 s keep-alive),
    so clients that reconnect often do not fill their cap with streams nobody reads."""
    settings = {"MCP_STATIC_TOKENS": TOKEN, "MCP_MAX_STREAMS_PER_CALLER": "1"}
    with sqlite_app(tmp_path, workers=1, **settings) as app:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        initialized = requests.post(app.mcp_url, json=INITIALIZE, headers=auth | JSON_AND_STREAM, timeout=10)
        session = initialized.headers["Mcp-Session-Id"]
        headers = auth | {"Accept": "text/event-stream", "Mcp-Session-Id": session}
        first = requests.get(app.mcp_url, headers=headers, stream=True, timeout=10)
        assert first.status_code == 200
        first.close()  # hangs up without a word
        hung_up, reopened = time.monotonic(), None
        while reopened is None and time.monotonic() - hung_up < FREED_WITHIN:
            again = requests.get(app.mcp_url, headers=headers, stream=True, timeout=10)
            if again.status_code == 200:
                reopened = time.monotonic() - hung_up
            again.close()
            time.sleep(0.2)
    print(f"\nthe place of a stream whose client hung up was free again after {reopened:.1f} s" if reopened else "")
    assert reopened is not None, f"still refused {FREED_WITHIN} s after the client hung up"
