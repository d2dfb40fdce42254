"""What the fuzzers know: the server's known bugs, the app they aim at, and how they count."""

from __future__ import annotations

import functools
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from werkzeug.wrappers import Response

from app.mcp.legacy.handshake import VERSIONS as LEGACY_VERSIONS
from app.mcp.server.modern import VERSIONS as MODERN_VERSIONS

#: Bugs and deviations the fuzzers found, fixed; their reproducers in test_fixed_bugs.py are regression tests now.
FIXED_BUGS = {
    "B1": "/mcp puts a JSON string holding a lone surrogate (sent as the escape \\ud800, or as the bytes ED A0 80, "
    "which json.loads lets through) into its reply (id, method, tool name, resource URI): it cannot be encoded, 500",
    "B2": "/oauth/register with a redirect URI urlsplit cannot parse (https://[::1/cb): ValueError, 500",
    "B3": "/oauth/register accepts redirect URIs Werkzeug cannot write as a Location: a bad port "
    "(http://127.0.0.1:99999/cb) or a host IDNA cannot encode (https://a\\x80b/cb); a redirect there raises "
    "outside every Flask error handler (gunicorn: 500)",
    "B4": "/oauth/register accepts a lone surrogate in redirect_uris; the error redirect there cannot be encoded: 500",
    "B5": "/oauth/register with JSON nested past the recursion limit: RecursionError in get_json, 500",
    "B6": "/oauth/register refusing a redirect URI that holds a character outside RFC 6749's error set (non-ASCII, "
    "a double quote, a backslash, or a single quote, which makes repr() use double quotes): Authlib refuses to "
    "build the error (ValueError), 500",
    "B7": "/oauth/authorize with a response_type, or an unregistered redirect_uri, holding such a character: "
    "Authlib refuses to build the error (ValueError), 500",
    "B8": "/auth/callback with the sign-in's own state but no code and no (or an empty) error: Authlib's "
    "MissingCodeException is not caught, 500",
    "B9": "/mcp reads integers beyond 64 bits as floats (orjson does; the json fallback meant for them never runs): "
    "a request with id 2**64 is refused as -32600 with a null id",
    "B10": "/oauth/token, /oauth/revoke, /oauth/introspect with an Authorization value that holds a space but only "
    'one word once split on whitespace ("Basic \\xa0"; in the test client also " " and "Basic "): Authlib\'s '
    "Basic parsing raises ValueError, 500",
    "B11": "/mcp remembers a legacy notifications/cancelled for a request that is not running (for 10 minutes); "
    "the next call with that id in the session, to a tool that takes a Context, gets 200 and an empty event "
    "stream: no reply at all (MCP lets a receiver ignore a cancel for an unknown request)",
    "B12": "/mcp, the same call but with Accept: application/json only (no event stream): Cancelled escapes the "
    "inline path of transport.answer, 500; an in-flight cancel of such a call does the same",
    "D1": "405, 413 and 415 on the OAuth endpoints were the HTML error page, not an OAuth error, unless the caller "
    "asked for JSON (Accept: application/json)",
    "D2": "/oauth/revoke and /oauth/introspect answered a token_type_hint they did not know with 401 "
    "unsupported_token_type and no WWW-Authenticate challenge (RFC 7009 section 2.2.1: an RFC 6749 section 5.2 "
    "error, so 400)",
}
#: Bugs still open: a fuzzer excuses the 5xx they predict (none at present).
KNOWN_BUGS: dict[str, str] = {}
#: Deviations from the RFCs still open, each with a strict-xfail reproducer (none at present).
DEVIATIONS: dict[str, str] = {}

TOKEN = "fuzz-static-token"
MODERN_VERSION = MODERN_VERSIONS[0]
SUPPORTED_VERSIONS = (*LEGACY_VERSIONS, *MODERN_VERSIONS)
ORIGIN = "http://localhost"
RESOURCE = f"{ORIGIN}/mcp"
PUBLIC_REDIRECT = "http://127.0.0.1:9999/callback"
CONFIDENTIAL_REDIRECT = "https://client.example/callback"
MAX_CONTENT_LENGTH = 1_048_576  # the default; the fuzz settings (conftest) repeat it
NESTED = 10_000  # a nesting depth far past the recursion limit
NO_LIMIT = "100000 per minute"  # the fuzzers are one address: keep the rate limits out of their way
#: Fixture tools that log or report progress before they finish: named more often, to get event streams.
TALKERS = ("test_tool_with_logging", "test_tool_with_progress", "test_logging_tool")
#: Tools the fuzzers never name: count_slowly sleeps up to 500 s with arguments a fuzzer may well pick.
SLOW_TOOLS = frozenset({"count_slowly"})
OAUTH_ENDPOINTS = ("/oauth/token", "/oauth/revoke", "/oauth/introspect")
#: Statuses of the app's own error page (Flask/Werkzeug), not of Authlib: JSON on OAuth endpoints since D1.
FRAMEWORK_STATUSES = frozenset({405, 413, 415})
#: Characters an OAuth error_description may hold (RFC 6749 section 4.1.2.1), as Authlib enforces.
OAUTH_TEXT = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")
KNOWN_METHODS = (
    "initialize",
    "ping",
    "server/discover",
    "tools/list",
    "tools/call",
    "resources/list",
    "resources/templates/list",
    "resources/read",
    "resources/subscribe",
    "resources/unsubscribe",
    "prompts/list",
    "prompts/get",
    "completion/complete",
    "logging/setLevel",
    "notifications/initialized",
    "notifications/cancelled",
    "notifications/progress",
    "notifications/roots/list_changed",
)
ACCEPTS = ("application/json, text/event-stream", "application/json", "text/event-stream", "*/*", "text/html", "")


#: FUZZ_SCALE=10 (say) multiplies every budget, for a longer hunt by hand; the suite runs at 1.
#: FUZZ_LOGS=1 keeps the app's log on while the fuzzers run (tracebacks of every 5xx, known or not).
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def bounded(max_examples: int) -> settings:
    """One property's settings: a fixed budget, no deadline, no example database (nothing written to the tree)."""
    return settings(
        max_examples=max(1, round(max_examples * SCALE)),
        deadline=None,
        database=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@dataclass
class Tally:
    """What one property ran: examples, requests, statuses, and notes (known bugs met, outcomes worth counting)."""

    name: str
    examples: int = 0
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    notes: Counter[str] = field(default_factory=Counter)

    def counted(self, test: Callable[..., None]) -> Callable[..., None]:
        """Count each call of a hypothesis test body (goes under @given; the signature is kept for it)."""

        @functools.wraps(test)
        def counting(*args: Any, **kwargs: Any) -> None:
            self.examples += 1
            test(*args, **kwargs)

        return counting

    def saw(self, response: Response | schemathesis.Response, *notes: str) -> None:
        self.requests += 1
        self.statuses[response.status_code] += 1
        self.notes.update(notes)

    def note(self, *notes: str) -> None:
        self.notes.update(notes)

    def run(self, test: Callable[[], None]) -> None:
        """Run a hypothesis test, then print the counts (when it fails too)."""
        try:
            test()
        finally:
            print(f"\n[fuzz] {self}")

    def __str__(self) -> str:
        statuses = ", ".join(f"{status}: {count}" for status, count in sorted(self.statuses.items()))
        text = f"{self.name}: {self.examples} examples, {self.requests} requests; statuses {{{statuses}}}"
        if self.notes:
            text += "; " + ", ".join(f"{note}: {count}" for note, count in sorted(self.notes.items()))
        return text
