"""Kept-alive connections survive answers given before the request body is read, with every worker class.

One `http.client` connection per server sends each early answer (tests/support/keep_alive.py) with bodies
from 0 bytes to the limit + 1, each followed by GET /health on the same connection. A server that answered
`keep-alive` and then dropped the connection shows as a failed pair; one that said `close` is reconnected to,
as every HTTP client does.
"""

from __future__ import annotations

import http.client

import pytest

from tests.support import keep_alive
from tests.support.servers import sqlite_app

pytestmark = [pytest.mark.live, pytest.mark.timeout(240)]

LIMIT = 1048576  # MAX_CONTENT_LENGTH's default


@pytest.mark.parametrize("worker_class", ["gevent", "gthread", "sync"])
def test_early_answers_leave_the_connection_usable(tmp_path, worker_class):
    settings = keep_alive.settings() | {"GUNICORN_WORKER_CLASS": worker_class, "LOG_LEVEL": "WARNING"}
    with sqlite_app(tmp_path, **settings) as app:
        connection = http.client.HTTPConnection("127.0.0.1", app.port, timeout=10)

        def send(method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                return response.status, response.read()
            except (OSError, http.client.HTTPException):
                connection.close()  # counted as a failure; the next pair starts on a new connection
                raise

        tally = keep_alive.run_pairs(send, LIMIT, rounds=2)
        connection.close()
    print(f"\n{worker_class}: {tally.pairs} pairs, {len(tally.failures)} failed")
    assert not tally.failures, tally.failures[:10]
    assert tally.pairs >= 70
