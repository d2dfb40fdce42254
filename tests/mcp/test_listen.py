"""subscriptions/listen (2026-07-28): acknowledgement first, the filter honoured, changes from any process.

The streams are read with the Flask test client without buffering. Changes go through the
database when the app has no Redis, and through Redis pub/sub when it has; two apps sharing
one database (or one Redis) stand for two workers or instances: a change made through one
reaches a listener of the other.
"""

from __future__ import annotations

import json
import time

import pytest
import requests

from app.mcp.server.listen import SUBSCRIPTION_KEY
from app.mcp.server.modern import CAPABILITIES_KEY, VERSION_KEY
from tests.mcp.conftest import TOKEN
from tests.support.mcp_client import MODERN, McpActions
from tests.support.servers import sqlite_app

FIXTURES = "tests.mcp_fixtures,app.tools"
#: Generous: the database fallback polls every 0.25 s; a busy machine may be slower.
ARRIVES_WITHIN = 5.0
#: Generous for a loaded machine; a hung-up stream used to hold its place until the second 15 s keep-alive.
FREED_WITHIN = 10.0


def listen_app(make_app, **settings: str):
    return make_app(MCP_STATIC_TOKENS=TOKEN, MCP_TOOL_PACKAGES=FIXTURES, MCP_KEEPALIVE_SECONDS="1", **settings)


class Stream:
    """An open listen stream, read in this thread (keep-alive comments every second bound each read)."""

    def __init__(self, actions: McpActions, notifications: dict, id: int = 7, capabilities=None) -> None:
        params = {"notifications": notifications}
        self.response = actions.modern("subscriptions/listen", params, id=id, capabilities=capabilities, buffered=False)
        self.chunks = iter(self.response.response)
        self.pending: list[dict] = []

    def next(self, timeout: float = ARRIVES_WITHIN) -> dict:
        deadline = time.monotonic() + timeout
        while not self.pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no message within {timeout} s")
            chunk = next(self.chunks).decode()
            self.pending += [json.loads(line[5:]) for line in chunk.splitlines() if line.startswith("data:")]
        return self.pending.pop(0)

    def nothing_within(self, seconds: float) -> bool:
        try:
            self.next(seconds)
        except TimeoutError:
            return True
        return False

    def close(self) -> None:
        self.response.close()


def call(actions: McpActions, name: str, **arguments) -> dict:
    response = actions.modern("tools/call", {"name": name, "arguments": arguments})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["result"]


def test_the_acknowledgement_comes_first_and_every_message_is_tagged(make_app):
    app = listen_app(make_app)
    actions = McpActions(app.test_client())
    asked = {"toolsListChanged": True, "resourceSubscriptions": ["profile://me", "nothing://here"]}
    stream = Stream(actions, asked)
    try:
        assert stream.response.mimetype == "text/event-stream"
        ack = stream.next()
        assert ack["method"] == "notifications/subscriptions/acknowledged"
        assert ack["params"]["_meta"] == {SUBSCRIPTION_KEY: 7}
        assert ack["params"]["notifications"] == {"toolsListChanged": True, "resourceSubscriptions": ["profile://me"]}
        call(actions, "test_trigger_tool_change")
        changed = stream.next()
        assert changed["method"] == "notifications/tools/list_changed"
        assert changed["params"]["_meta"] == {SUBSCRIPTION_KEY: 7}
        call(actions, "test_touch_resource", uri="profile://me")
        updated = stream.next()
        assert updated["method"] == "notifications/resources/updated" and updated["params"]["uri"] == "profile://me"
    finally:
        stream.close()


def test_only_what_the_filter_asks_for_arrives(make_app):
    app = listen_app(make_app)
    actions = McpActions(app.test_client())
    stream = Stream(actions, {"promptsListChanged": True})
    try:
        assert stream.next()["params"]["notifications"] == {"promptsListChanged": True}
        call(actions, "test_trigger_tool_change")
        call(actions, "test_touch_resource", uri="profile://me")
        call(actions, "test_trigger_prompt_change")
        assert stream.next()["method"] == "notifications/prompts/list_changed"  # the two before never came
        assert stream.nothing_within(0.5)
    finally:
        stream.close()


@pytest.mark.parametrize("shared", ["database", "redis"])
def test_a_change_made_through_one_app_reaches_a_listener_of_another(make_app, postgres_url, redis_url, shared):
    """Two apps on one PostgreSQL database (and one Redis, for the Redis case) stand for two instances."""
    settings = {"DATABASE_URL": postgres_url} | ({"REDIS_URL": redis_url} if shared == "redis" else {})
    listener = McpActions(listen_app(make_app, **settings).test_client())
    announcer = McpActions(listen_app(make_app, **settings).test_client())
    stream = Stream(listener, {"resourceSubscriptions": ["profile://me"]})
    try:
        stream.next()  # acknowledged: this app hears every change made from now on
        sent = time.monotonic()
        call(announcer, "test_touch_resource", uri="profile://me")
        updated = stream.next()
        took = time.monotonic() - sent
        print(f"\n{shared}: a change made through one app reached the other's listener in {took * 1000:.0f} ms")
        assert updated["params"]["uri"] == "profile://me"
    finally:
        stream.close()


def test_a_shutdown_ends_a_subscription_with_its_result(make_app):
    app = listen_app(make_app)
    stream = Stream(McpActions(app.test_client()), {"toolsListChanged": True}, id=42)
    stream.next()
    app.extensions["mcp_streams"].drain()  # what SIGTERM does (gunicorn.conf.py)
    ended = stream.next()
    assert ended["id"] == 42 and ended["result"]["resultType"] == "complete"
    assert ended["result"]["_meta"][SUBSCRIPTION_KEY] == 42
    assert ended["result"]["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "flask-mcp-server"
    stream.close()


def test_listening_needs_an_event_stream_and_counts_against_the_stream_caps(make_app):
    app = listen_app(make_app, MCP_MAX_STREAMS_PER_CALLER="1")
    actions = McpActions(app.test_client())
    plain = actions.modern("subscriptions/listen", {"notifications": {}}, headers={"Accept": "application/json"})
    assert plain.status_code == 400 and "text/event-stream" in plain.get_json()["error"]["message"]
    stream = Stream(actions, {"toolsListChanged": True})
    try:
        stream.next()
        second = actions.modern("subscriptions/listen", {"notifications": {}})
        assert second.status_code == 429
    finally:
        stream.close()


def test_a_closed_stream_stops_listening(make_app):
    app = listen_app(make_app)
    stream = Stream(McpActions(app.test_client()), {"toolsListChanged": True})
    stream.next()
    hub = app.extensions["mcp_changes"]
    assert len(hub.listeners) == 1
    stream.close()
    deadline = time.monotonic() + ARRIVES_WITHIN
    while hub.listeners and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not hub.listeners


@pytest.mark.live
def test_a_listener_that_hangs_up_frees_its_place_within_seconds(tmp_path):
    """Under gunicorn: a listen stream whose client closed it is noticed within seconds, not at the next 15 s
    keep-alive, so its place under MCP_MAX_STREAMS_PER_CALLER is free again."""
    settings = {"MCP_STATIC_TOKENS": TOKEN, "MCP_MAX_STREAMS_PER_CALLER": "1"}
    meta = {VERSION_KEY: MODERN, CAPABILITIES_KEY: {}}
    body = {"jsonrpc": "2.0", "id": 1, "method": "subscriptions/listen", "params": {"notifications": {}, "_meta": meta}}
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "subscriptions/listen",
    }
    with sqlite_app(tmp_path, workers=1, **settings) as app:
        first = requests.post(app.mcp_url, json=body, headers=headers, stream=True, timeout=10)
        assert first.status_code == 200
        next(first.iter_lines())  # the acknowledgement: the stream is open and counted
        first.close()  # hangs up without a word
        hung_up, reopened = time.monotonic(), None
        while reopened is None and time.monotonic() - hung_up < FREED_WITHIN:
            again = requests.post(app.mcp_url, json=body, headers=headers, stream=True, timeout=10)
            if again.status_code == 200:
                reopened = time.monotonic() - hung_up
            again.close()
            time.sleep(0.2)
    assert reopened is not None, f"still refused {FREED_WITHIN} s after the client hung up"
    print(f"\nthe place of a listen stream whose client hung up was free again after {reopened:.1f} s")
