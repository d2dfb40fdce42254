"""Open event streams: the caps per process and per caller, keep-alive comments, and the end on shutdown.

A stream is a tool call that reports progress (count_slowly), read with the Flask test client
without buffering: it stays open, and counted, until the test closes it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from app import kv
from app.mcp.server import streams
from tests.support.mcp_client import McpActions

TOKENS = ("stream-token-of-caller-a", "stream-token-of-caller-b")


def count_slowly(actions: McpActions, to: int = 100, delay: float = 0.2, **kwargs):
    """Start a streamed count (its first progress comes after `delay`); the response is not read."""
    params = {"name": "count_slowly", "arguments": {"to": to, "delay": delay}}
    return actions.modern("tools/call", params, meta={"progressToken": "p"}, buffered=False, **kwargs)


@contextmanager
def opened(response) -> Iterator:
    """Close the streamed `response` when the block ends, as a client hanging up (it cancels the call)."""
    try:
        yield response
    finally:
        response.close()


def stream_app(make_app, **settings: str):
    return make_app(MCP_STATIC_TOKENS=",".join(TOKENS), **settings)


@pytest.fixture
def callers(make_app):
    """Two callers of an app that lets each hold 2 open streams."""
    app = stream_app(make_app, MCP_MAX_STREAMS_PER_CALLER="2")
    return McpActions(app.test_client(), TOKENS[0]), McpActions(app.test_client(), TOKENS[1])


def assert_refused(response, status: int, words: str) -> None:
    assert response.status_code == status, response.data
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body["id"] == 1 and body["error"]["code"] == -32600 and words in body["error"]["message"]


def test_a_caller_over_its_cap_is_refused_and_others_are_not(callers):
    first, second = callers
    with ExitStack() as stack:
        for _ in range(2):
            assert stack.enter_context(opened(count_slowly(first))).mimetype == "text/event-stream"
        assert_refused(count_slowly(first), 429, "more than 2 open streams for this caller")
        assert stack.enter_context(opened(count_slowly(second))).mimetype == "text/event-stream"
        assert first.modern("tools/call", {"name": "whoami", "arguments": {}}).status_code == 200  # short calls go on
    with opened(count_slowly(first)) as again:  # closed streams free their places
        assert again.mimetype == "text/event-stream"
    assert streams.open_count(first.client.application) == 0


def test_the_process_cap_holds_for_every_caller(make_app):
    app = stream_app(make_app, MCP_MAX_STREAMS="1")
    first, second = McpActions(app.test_client(), TOKENS[0]), McpActions(app.test_client(), TOKENS[1])
    with opened(count_slowly(first)):
        assert_refused(count_slowly(second), 429, "this server holds 1 open streams")
    with opened(count_slowly(second)) as later:
        assert later.mimetype == "text/event-stream"


def test_quiet_streams_get_keep_alive_comments(make_app):
    app = stream_app(make_app, MCP_KEEPALIVE_SECONDS="1")
    with opened(count_slowly(McpActions(app.test_client(), TOKENS[0]), to=2, delay=2.5)) as response:
        text = b"".join(response.response).decode()
    assert text.count(": keep-alive\n\n") >= 1
    assert [message.get("method") for message in parse(text)][-1] is None  # it ends with the result


def test_draining_ends_open_streams_with_a_retry_error_and_refuses_new_ones(make_app):
    app = stream_app(make_app)
    caller = McpActions(app.test_client(), TOKENS[0])
    response = count_slowly(caller, delay=0.2)
    chunks = iter(response.response)
    first = next(chunks).decode()
    assert parse(first)[0]["method"] == "notifications/progress"
    started = time.monotonic()
    app.extensions["mcp_streams"].drain()  # what streams.drain() does to every app of the process on SIGTERM
    rest = b"".join(chunks).decode()
    assert time.monotonic() - started < 5
    last = parse(rest)[-1]
    assert last["id"] == 1 and "send the request again" in last["error"]["message"]
    response.close()
    assert_refused(count_slowly(caller), 503, "restarting")
    assert streams.open_count(app) == 0


def test_leases_in_the_database(make_app):
    with make_app().app_context():
        check_leases(kv.store())


def test_leases_in_redis(make_app, redis_url):
    with make_app(REDIS_URL=redis_url).app_context():
        check_leases(kv.store())


def check_leases(shared) -> None:
    """A group holds at most its limit of live leases; a released or lapsed lease frees its place."""
    assert shared.claim("streams:g", "a", 2, 60) and shared.claim("streams:g", "b", 2, 60)
    assert not shared.claim("streams:g", "c", 2, 60)
    assert shared.claim("streams:other", "c", 2, 60)  # groups are counted apart
    shared.release("streams:g", "a")
    assert shared.claim("streams:g", "c", 2, 60)
    shared.renew("streams:g", "b", 1)
    shared.renew("streams:g", "c", 1)
    time.sleep(1.2)  # both leases lapse: a worker that died frees its places
    assert shared.claim("streams:g", "d", 2, 60) and shared.claim("streams:g", "e", 2, 60)
    assert not shared.claim("streams:g", "f", 2, 60)


def parse(text: str) -> list[dict]:
    """The JSON-RPC messages of event-stream text, in order."""
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]
