"""Hundreds of open event streams on one instance, as shipped: gunicorn.conf.py's defaults (2 gevent workers).

Each stream is a streamed `count_slowly` call (a progress notification a second), ten callers (static
tokens) holding thirty each, read by one thread (tests/support/sse_load.py). Loopback only; every test has
a hard time cap. gthread workers, the other configuration, are run too, with fewer streams than threads.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from tests.support.servers import sqlite_app
from tests.support.sse_load import OpenStreams, ShortCalls, p99

pytestmark = [pytest.mark.live, pytest.mark.timeout(300)]

TOKENS = [f"stream-load-token-{number:02d}-of-ten" for number in range(10)]
STREAMS = 300
SHORT_CLIENTS = 20
LOAD_SECONDS = 30
#: Latency the short calls and /health keep while the streams are open (p99), in ms.
P99_LIMIT_MS = 250


def test_short_calls_keep_their_latency_beside_hundreds_of_open_streams(tmp_path):
    steps = LOAD_SECONDS + 10  # every stream outlives the short-call load
    settings = {"MCP_STATIC_TOKENS": ",".join(TOKENS), "MCP_RATE_LIMIT": "100000 per minute", "LOG_LEVEL": "WARNING"}
    with sqlite_app(tmp_path, **settings) as app:
        streams = OpenStreams(app.mcp_url, TOKENS, STREAMS, steps)
        try:
            streams.read(time.monotonic() + 20, stop_when=lambda: streams.started() == STREAMS)
            assert streams.started() == STREAMS, f"only {streams.started()} of {STREAMS} streams began"
            load = ShortCalls(app.mcp_url, TOKENS[0], SHORT_CLIENTS, LOAD_SECONDS)
            reader = _in_background(lambda: streams.read(time.monotonic() + steps + 30))
            load.run()
            reader.join(timeout=steps + 40)
        finally:
            streams.close()
    print(f"\n{STREAMS} streams open; {len(load.calls)} short calls, p99 {p99(load.calls):.0f} ms; "
          f"{len(load.health)} /health, p99 {p99(load.health):.0f} ms")  # fmt: skip
    assert not load.failures, load.failures[:5]
    assert len(load.calls) > SHORT_CLIENTS * LOAD_SECONDS  # a call a second per client at the very least
    assert p99(load.calls) < P99_LIMIT_MS and p99(load.health) < P99_LIMIT_MS
    for number in range(STREAMS):
        messages = streams.messages(number)
        progress = [message["params"]["progress"] for message in messages[:-1]]
        assert progress == list(range(1, steps + 1)), f"stream {number}: {progress}"
        assert messages[-1]["id"] == number and "result" in messages[-1], messages[-1]


def test_sigterm_ends_every_open_stream_and_the_master_exits_in_time(tmp_path):
    graceful = 30
    settings = {"MCP_STATIC_TOKENS": ",".join(TOKENS), "GUNICORN_GRACEFUL_TIMEOUT": str(graceful)}
    with sqlite_app(tmp_path, **settings) as app:
        streams = OpenStreams(app.mcp_url, TOKENS, STREAMS, steps=100)
        try:
            streams.read(time.monotonic() + 20, stop_when=lambda: streams.started() == STREAMS)
            assert streams.started() == STREAMS
            signalled = time.monotonic()
            app.master.send_signal(signal.SIGTERM)
            streams.read(signalled + graceful + 10)
            exited = _wait_exit(app.master, signalled + graceful + 10)
        finally:
            streams.close()
    print(f"\nSIGTERM with {STREAMS} streams open: master exited after {exited - signalled:.1f} s")
    assert exited - signalled < graceful
    assert all(streams.ended), f"{streams.ended.count(False)} streams left hanging"
    for number in range(STREAMS):
        last = streams.messages(number)[-1]
        assert last["id"] == number and "send the request again" in last["error"]["message"], last


def test_a_caller_over_its_cap_is_refused_on_every_worker_and_others_are_not(tmp_path, redis_url):
    settings = {"MCP_STATIC_TOKENS": ",".join(TOKENS[:2]), "MCP_MAX_STREAMS_PER_CALLER": "5", "REDIS_URL": redis_url}
    with sqlite_app(tmp_path, **settings) as app:
        held = OpenStreams(app.mcp_url, TOKENS[:1], 5, steps=60)  # one connection each: spread over both workers
        try:
            held.read(time.monotonic() + 20, stop_when=lambda: held.started() == 5)
            assert held.started() == 5
            over = OpenStreams(app.mcp_url, TOKENS[:1], 1, steps=60)
            over.read(time.monotonic() + 20)
            other = OpenStreams(app.mcp_url, TOKENS[1:2], 5, steps=60)
            other.read(time.monotonic() + 20, stop_when=lambda: other.started() == 5)
            assert other.started() == 5  # another caller is unaffected
        finally:
            held.close()
            other.close()
    assert over.status(0) == 429 and b"Retry-After: 5" in over.received[0]
    refusal = over.body(0)
    assert refusal["id"] == 0 and "more than 5 open streams for this caller" in refusal["error"]["message"]


def test_gthread_workers_still_stream(tmp_path):
    settings = {"MCP_STATIC_TOKENS": TOKENS[0], "GUNICORN_WORKER_CLASS": "gthread", "GUNICORN_THREADS": "4"}
    with sqlite_app(tmp_path, **settings) as app:
        streams = OpenStreams(app.mcp_url, TOKENS[:1], 3, steps=3, delay=0.2)
        try:
            streams.read(time.monotonic() + 30)
        finally:
            streams.close()
        assert "gthread" in app.log()
    for number in range(3):
        assert [message.get("method") for message in streams.messages(number)][-1] is None  # ends with the result
        assert streams.messages(number)[-1]["result"]["content"][0]["text"] == "Counted to 3."


def _in_background(work) -> threading.Thread:
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    return thread


def _wait_exit(process, until: float) -> float:
    while process.poll() is None and time.monotonic() < until:
        time.sleep(0.05)
    assert process.poll() is not None, "the master did not exit"
    return time.monotonic()
