"""Process logging: one stream, and no sign-in secret in any line.

The development server logs each request line with its query string, and a sign-in
callback's query holds the authorization code and state; those lines are redacted.
"""

from __future__ import annotations

import logging
import re

SECRET_PARAMS = re.compile(r"([?&](?:code|state|token|access_token|id_token|refresh_token|client_secret)=)[^&\s\"]*")


class RedactSecrets(logging.Filter):
    """Replace the values of secret-bearing query parameters with `[redacted]`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(arg) if isinstance(arg, str) else arg for arg in record.args)
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact(text: str) -> str:
    return SECRET_PARAMS.sub(r"\1[redacted]", text)


def configure_logging(level: str) -> None:
    """Log to stderr at `level`, with secrets redacted from request lines."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for name in ("werkzeug", "gunicorn.access"):
        logging.getLogger(name).addFilter(RedactSecrets())
