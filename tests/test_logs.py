"""No sign-in secret in the logs: request lines are redacted before they are written."""

from __future__ import annotations

import logging

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
