"""No sign-in secret in the logs: request lines are redacted before they are written."""

from __future__ import annotations

import logging

import pytest

from app.logs import RedactSecrets, redact


def test_redact_query_secrets():
    line = "GET /auth/callback?code=abc123&state=xyz&iss=http%3A%2F%2Fidp HTTP/1.1"
    assert redact(line) == "GET /auth/callback?code=[redacted]&state=[redacted]&iss=http%3A%2F%2Fidp HTTP/1.1"
    assert redact("/x?access_token=t1&refresh_token=t2") == "/x?access_token=[redacted]&refresh_token=[redacted]"
    assert redact("/auth/login?next=/a") == "/auth/login?next=/a"


def test_development_server_request_lines_are_redacted():
    """The record the development server writes for each request (werkzeug's shape)."""
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '127.0.0.1 - - "%s" %s %s',
        ("GET /auth/callback?code=abc HTTP/1.1", 302, "-"),
        None,
    )
    assert RedactSecrets().filter(record)
    assert "abc" not in record.getMessage()
    assert "code=[redacted]" in record.getMessage()


def test_request_ids_are_echoed_and_sane(client):
    assert len(client.get("/health").headers["X-Request-ID"]) == 32
    assert (
        client.get("/health", headers={"X-Request-ID": "trace-abc-12345"}).headers["X-Request-ID"] == "trace-abc-12345"
    )
    forged = client.get("/health", headers={"X-Request-ID": 'x" injected {json}'}).headers["X-Request-ID"]
    assert forged != 'x" injected {json}' and len(forged) == 32


def test_json_lines_carry_the_request_id(app):
    import io
    import json

    from app.logs import configure_logging

    stream = io.StringIO()
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    configure_logging("INFO", "json")
    root.handlers[0].stream = stream

    @app.after_request
    def logs_a_line(response):
        logging.getLogger("app").info("callback at /auth/callback?code=SECRET&state=S2")
        return response

    try:
        app.test_client().get("/health", headers={"X-Request-ID": "req-0123456789"})
    finally:
        root.handlers[:], root.level = saved
    entry = json.loads(stream.getvalue().splitlines()[-1])
    assert entry["request_id"] == "req-0123456789" and entry["level"] == "INFO"
    assert "SECRET" not in entry["message"] and "code=[redacted]" in entry["message"]


@pytest.mark.live
def test_gunicorn_json_access_log(tmp_path):
    import json
    import secrets

    import requests

    from tests.support.servers import gunicorn_app
    from tests.support.services import free_port

    settings = {
        "APP_ENV": "testing",
        "SECRET_KEY": secrets.token_urlsafe(32),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}",
        "OAUTH_PROVIDER": "dev",
        "LOG_FORMAT": "json",
        "REDIS_URL": "",
    }
    log_path = tmp_path / "gunicorn.log"
    with gunicorn_app(settings, free_port(), log_path, workers=1) as url:
        requests.get(
            f"{url}/auth/callback?code=SECRETCODE&state=S", headers={"X-Request-ID": "req-gunicorn-1"}, timeout=10
        )
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    access = [line for line in lines if line["logger"] == "gunicorn.access" and line["request_id"] == "req-gunicorn-1"]
    assert access and access[0]["path"] == "/auth/callback" and access[0]["status"] == 302
    assert "SECRETCODE" not in log_path.read_text()


def test_request_ids_differ_between_forked_workers():
    """gunicorn loads the app once (preload_app) and forks its workers: each must make ids of its own, or two
    workers hand out the same id for different requests."""
    import os

    from app.logs import _new_id

    _new_id()  # the master made one already
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the worker: its first id, to its parent
        os.write(writing, _new_id().encode())
        os._exit(0)
    os.close(writing)
    os.waitpid(child, 0)
    with os.fdopen(reading) as pipe:
        worker_id = pipe.read()
    assert worker_id and worker_id != _new_id()
