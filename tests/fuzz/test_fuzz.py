"""Property-based fuzzing of /mcp, the authorization server and the sign-in pages.

hypothesis drives the Flask test client of one app built for this module (migrated SQLite in a
temporary folder, as tests/conftest's `make_app` builds them); schemathesis runs its stateless
checks over tests/fuzz/openapi.yaml against the same WSGI app. Every property has a fixed budget
and prints what it ran: the examples and the statuses seen.

The server bugs the fuzzers found are listed in FIXED_BUGS (fixed: each keeps its reproducer at
the end of this module as a regression test) or KNOWN_BUGS (still open), and deviations from the
RFCs that are not 5xx in DEVIATIONS. An open bug or deviation has a strict-xfail reproducer; a
fuzzer that meets an input hitting an open bug, and only when the server really answers as that
bug does, counts it ("known Bn" in its report) and goes on, so one known bug does not hide the next.
A fixed bug is never excused: the fuzzers fail on it again. When an open bug is fixed its reproducer
XPASSes, which fails the run (strict): then move its entry to FIXED_BUGS. Lone surrogates stay out
of the generated JSON strings (hypothesis's text never holds them); the hostile-bytes fuzzer and
B1's reproducer send them.

The app's own log is silenced while the fuzzers run (the known bugs' tracebacks would bury the
report); the reproducers turn it back on.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import logging
import os
import re
import secrets
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from werkzeug.datastructures import MultiDict
from werkzeug.urls import iri_to_uri
from werkzeug.wrappers import Response

from app.auth.routes import FAILURE_REASONS
from app.extensions import db
from app.mcp.context import LOG_LEVELS
from app.mcp.legacy.handshake import VERSIONS as LEGACY_VERSIONS
from app.mcp.server.modern import CAPABILITIES_KEY, LOG_LEVEL_KEY, NAMED_PARAMS
from app.mcp.server.modern import VERSION_KEY as META_VERSION_KEY
from app.mcp.server.modern import VERSIONS as MODERN_VERSIONS
from app.oauth import fetching
from app.oauth.clients import is_loopback, redirect_problem
from app.oauth.registration import ClientMetadata
from tests.conftest import AuthActions, build_app, csrf_token
from tests.support.services import free_port

# ---------------------------------------------------------------------------------------------
# What the fuzzers know: the server's known bugs, the app they aim at, and how they count.
# ---------------------------------------------------------------------------------------------

#: Bugs and deviations the fuzzers found, fixed; their reproducers below are regression tests now.
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
MAX_CONTENT_LENGTH = 1_048_576  # the default; settings below repeat it
NO_LIMIT = "100000 per minute"  # the fuzzers are one address: keep the rate limits out of their way
#: Fixture tools that log or report progress before they finish: named more often, to get event streams.
TALKERS = ("test_tool_with_logging", "test_tool_with_progress", "test_logging_tool")
#: Tools the fuzzers never name: count_slowly sleeps up to 500 s with arguments a fuzzer may well pick.
SLOW_TOOLS = frozenset({"count_slowly"})
SCHEMA_PATH = Path(__file__).with_name("openapi.yaml")
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


# ---------------------------------------------------------------------------------------------
# The app under test: built once for the module, with a person signed in, clients, codes, tokens.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """Names this app serves, so generated requests reach real tools, prompts and resources."""

    tools: tuple[str, ...]
    talkers: tuple[str, ...]  # tools that report progress or log while they run (their answer is a stream)
    prompts: tuple[str, ...]
    resources: tuple[str, ...]
    templates: tuple[str, ...]

    @classmethod
    def of(cls, app: Flask) -> Vocabulary:
        registry = app.extensions["mcp"]
        tools = tuple(name for name in registry.tools if name not in SLOW_TOOLS)
        talkers = tuple(name for name in TALKERS if name in registry.tools)
        return cls(tools, talkers, tuple(registry.prompts), tuple(registry.resources), tuple(registry.templates))


@dataclass(frozen=True)
class Grant:
    """A code or a refresh token, and the client it was issued to."""

    client_id: str
    redirect_uri: str
    secret: str


@dataclass
class Target:
    """The app, its clients, and the credentials and names the fuzzers draw from."""

    app: Flask
    client: FlaskClient  # bearer tokens and client credentials only: its cookies never matter
    browser: FlaskClient  # a person signed in through the dev form, for /oauth/authorize
    csrf: str  # the browser's CSRF token (flask-wtf tokens hold for the session)
    words: Vocabulary
    provider_url: str  # where the GitHub-type provider's sign-in starts (a closed loopback port)
    public_id: str = ""
    confidential_id: str = ""
    confidential_secret: str = ""
    redirects: dict[str, list[str]] = field(default_factory=dict)
    sessions: list[str] = field(default_factory=list)
    verifier: str = ""  # the PKCE verifier of every code below
    grants: list[Grant] = field(default_factory=list)  # unused codes
    refreshes: list[Grant] = field(default_factory=list)  # refresh tokens
    access_tokens: list[str] = field(default_factory=list)
    log_level: int = logging.NOTSET  # the app logger's own level (the fuzzers silence it)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(grant.secret for grant in self.grants)

    @property
    def refresh_tokens(self) -> tuple[str, ...]:
        return tuple(grant.secret for grant in self.refreshes)


def dispose(app: Flask) -> None:
    """Close the app's pooled connections, as `make_app` does after each test."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def fuzz_settings(closed: str) -> dict[str, str]:
    """The module app: MCP fixtures and static tokens; the dev sign-in plus a GitHub-type provider whose
    endpoints are `closed`, a loopback port nobody listens on (its callback fails fast, offline); no rate
    limits in the way."""
    return {
        "MCP_STATIC_TOKENS": f"{TOKEN},other-fuzz-token",
        "MCP_TOOL_PACKAGES": "app.tools,tests.mcp_fixtures",
        "MCP_CLIENT_TIMEOUT": "1",
        "MAX_CONTENT_LENGTH": str(MAX_CONTENT_LENGTH),
        "OAUTH_PROVIDERS": "dev,gh",
        "OAUTH_GH_TYPE": "github",
        "OAUTH_GH_CLIENT_ID": "fuzz-client",
        "OAUTH_GH_CLIENT_SECRET": "fuzz-secret",
        "OAUTH_GH_AUTHORIZATION_URL": f"{closed}/login/oauth/authorize",
        "OAUTH_GH_TOKEN_URL": f"{closed}/login/oauth/access_token",
        "OAUTH_GH_USER_INFO_URL": f"{closed}/user",
        **{f"{name}_RATE_LIMIT": NO_LIMIT for name in ("SIGN_IN", "AUTHORIZE", "TOKEN", "REGISTRATION", "MCP")},
    }


def _no_network(host: str, loopback_ok: bool, seconds: float) -> str:
    raise fetching.FetchError("the fuzz tests fetch no client metadata documents")


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """One app for the module (hypothesis and function-scoped fixtures do not mix), made ready to fuzz."""
    closed = f"http://127.0.0.1:{free_port()}"
    app = build_app(tmp_path_factory.mktemp("fuzz") / "fuzz.db", **fuzz_settings(closed))
    logger = logging.getLogger(app.name)
    level = logger.level
    # The known bugs' tracebacks would bury the report (every app logs as "app"); a new 5xx still fails its
    # property with the request and the body, and each reproducer replays one bug with the log back on.
    logger.setLevel(level if os.environ.get("FUZZ_LOGS") else logging.CRITICAL)
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(fetching, "checked_address", _no_network)  # client id URLs: no DNS, no fetch
            found = prepare(app, closed)
            found.log_level = level
            yield found
    finally:
        logger.setLevel(level)
        dispose(app)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def prepare(app: Flask, provider_url: str) -> Target:
    """Sign a person in, register a public and a confidential client, get codes and tokens, open sessions."""
    browser = app.test_client()
    AuthActions(browser).dev_sign_in(name="Fuzz", email="fuzz@example.test")
    client = app.test_client()
    public = register(client, PUBLIC_REDIRECT, "none")
    confidential = register(client, CONFIDENTIAL_REDIRECT, "client_secret_basic")
    verifier, challenge = pkce()
    page = browser.get(
        "/oauth/authorize", query_string=authorize_query(public["client_id"], PUBLIC_REDIRECT, challenge)
    )
    assert page.status_code == 200, page.text
    found = Target(app, client, browser, csrf_token(page.text), Vocabulary.of(app), provider_url)
    found.public_id, found.confidential_id = public["client_id"], confidential["client_id"]
    found.confidential_secret, found.verifier = confidential["client_secret"], verifier
    found.redirects = {public["client_id"]: [PUBLIC_REDIRECT], confidential["client_id"]: [CONFIDENTIAL_REDIRECT]}
    for client_id, redirect_uri in ((found.public_id, PUBLIC_REDIRECT), (found.confidential_id, CONFIDENTIAL_REDIRECT)):
        codes = [consent(found, client_id, redirect_uri, challenge) for _ in range(3)]
        tokens = exchange(found, client_id, redirect_uri, codes.pop(), verifier)
        found.grants += [Grant(client_id, redirect_uri, code) for code in codes]
        found.access_tokens.append(tokens["access_token"])
        found.refreshes.append(Grant(client_id, redirect_uri, tokens["refresh_token"]))
    found.sessions = [initialize(client, version) for version in LEGACY_VERSIONS]
    return found


def register(client: FlaskClient, redirect_uri: str, method: str) -> dict[str, Any]:
    body = {"redirect_uris": [redirect_uri], "token_endpoint_auth_method": method, "client_name": "Fuzz client"}
    response = client.post("/oauth/register", json=body)
    assert response.status_code == 201, response.text
    return response.json


def authorize_query(client_id: str, redirect_uri: str, challenge: str) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": "fuzz",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "resource": RESOURCE,
    }


def consent(target: Target, client_id: str, redirect_uri: str, challenge: str) -> str:
    """Approve a request for `client_id` in the browser; return the code."""
    query = authorize_query(client_id, redirect_uri, challenge)
    response = target.browser.post(
        "/oauth/authorize", query_string=query, data={"csrf_token": target.csrf, "decision": "allow"}
    )
    assert response.status_code == 302, response.text
    return parse_qs(urlsplit(response.location).query)["code"][0]


def exchange(target: Target, client_id: str, redirect_uri: str, code: str, verifier: str) -> dict[str, Any]:
    data = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    data |= {"code_verifier": verifier, "resource": RESOURCE, "client_id": client_id}
    headers = {}
    if client_id == target.confidential_id:
        headers["Authorization"] = basic(client_id, target.confidential_secret)
    response = target.client.post("/oauth/token", data=data, headers=headers)
    assert response.status_code == 200, response.text
    return response.json


def initialize(client: FlaskClient, version: str) -> str:
    params = {"protocolVersion": version, "capabilities": {}, "clientInfo": {"name": "fuzz", "version": "1"}}
    response = client.post(
        "/mcp",
        json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": params},
        headers={"Authorization": f"Bearer {TOKEN}", "MCP-Protocol-Version": version},
    )
    assert response.status_code == 200, response.text
    return response.headers["Mcp-Session-Id"]


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# ---------------------------------------------------------------------------------------------
# Sending and judging.
# ---------------------------------------------------------------------------------------------

#: The status recorded when the WSGI app raised instead of answering (gunicorn answers 500 then).
RAISED = 599


def send(client: FlaskClient, method: str, path: str, **kwargs: Any) -> Response:
    """Send a request; an exception escaping the WSGI app becomes a RAISED response naming it."""
    try:
        return client.open(path, method=method, **kwargs)
    except Exception as error:  # any escape from the app is a finding, reported as such
        return Response(f"the WSGI app raised {type(error).__name__}: {error}", status=RAISED)


def assert_clean(response: Response, where: str = "") -> None:
    """No 5xx, no escaped exception, no traceback in the body."""
    body = response.get_data()
    assert response.status_code < 500, f"{where} answered {response.status_code}: {body[:500]!r}"
    assert b"Traceback" not in body, f"{where} shows a traceback: {body[:500]!r}"


def known_5xx(response: Response, bug: str | None, tally: Tally) -> bool:
    """Return True (and count it) when `response` is the 5xx that known bug `bug` predicts."""
    assert bug is None or bug in KNOWN_BUGS or bug in FIXED_BUGS, bug
    if bug not in KNOWN_BUGS or response.status_code < 500:
        return False  # no bug, or a fixed one: the caller's checks fail on it
    tally.note(f"known {bug}")
    return True


def assert_oauth_error(response: Response, where: str) -> None:
    """A 4xx from an OAuth endpoint is an OAuth error: JSON with a string `error`, whatever the caller accepts."""
    body = response.get_json(silent=True)
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"], (
        f"{where} answered {response.status_code} without an OAuth error body: {response.get_data()[:300]!r}"
    )


# ---------------------------------------------------------------------------------------------
# Strategies: JSON, header text, MCP messages.
# ---------------------------------------------------------------------------------------------

MISSING: Any = object()  # a field left out of a generated message
TEXT = st.text(max_size=12)  # hypothesis never puts a lone surrogate in text (see B1)


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of `choices`, each drawn about in proportion to its weight (st.one_of weighs its branches alike)."""
    indices = [index for index, (weight, _) in enumerate(choices) for _ in range(weight)]
    return st.sampled_from(indices).flatmap(lambda index: choices[index][1])


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any] = TEXT) -> st.SearchStrategy[Any]:
    """`good` about three times in four, else `bad` (any text, unless said otherwise)."""
    return weighted((3, good), (1, bad))


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """`strategy`, or MISSING (the field left out)."""
    return st.just(MISSING) | strategy


HEADER_TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, exclude_categories=("Cc",)), max_size=24)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | TEXT
JSON = st.recursive(
    SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3), max_leaves=12
)
OBJECTS = st.dictionaries(TEXT, JSON, max_size=4)
VALID_IDS = st.integers() | TEXT
IDS = weighted((2, VALID_IDS), (1, st.none() | st.booleans() | st.floats() | st.lists(st.integers(), max_size=2)))
VERSIONS = st.sampled_from((*SUPPORTED_VERSIONS, "2024-11-05", "2099-01-01", "")) | HEADER_TEXT
GOOD_CAPABILITIES = st.fixed_dictionaries(
    {}, optional={"elicitation": st.just({}), "sampling": st.just({}), "roots": st.just({})}
)
#: A correct 2026-07-28 `_meta`: the version, the capabilities, and maybe a log level.
MODERN_META = st.fixed_dictionaries(
    {META_VERSION_KEY: st.just(MODERN_VERSION), CAPABILITIES_KEY: GOOD_CAPABILITIES},
    optional={LOG_LEVEL_KEY: st.sampled_from(LOG_LEVELS)},
)
#: Any `_meta`: correct or not, with any version, capabilities and log level.
ANY_META = st.fixed_dictionaries(
    {META_VERSION_KEY: VERSIONS | JSON, CAPABILITIES_KEY: GOOD_CAPABILITIES | OBJECTS | JSON},
    optional={LOG_LEVEL_KEY: st.sampled_from(LOG_LEVELS) | JSON},
)


def named(names: tuple[str, ...]) -> st.SearchStrategy[str]:
    return weighted((3, st.sampled_from(names)), (1, TEXT)) if names else TEXT


def resource_uris(words: Vocabulary) -> st.SearchStrategy[str]:
    """Real resource URIs, templates filled with any text, and any text."""
    filled = st.sampled_from(words.templates).flatmap(
        lambda template: st.lists(TEXT, min_size=4, max_size=4).map(lambda parts: _fill(template, parts))
    )
    return named(words.resources) | filled


def _fill(template: str, parts: list[str]) -> str:
    values = iter(parts)
    return re.sub(r"\{[^}]*\}", lambda _: next(values, "x"), template)


def params_for(method: str, words: Vocabulary) -> st.SearchStrategy[dict[str, Any]]:
    """Params shaped for `method` (well typed; the mutations make them wrong), or any object for other methods."""
    uri = {"uri": resource_uris(words)}
    ref = st.fixed_dictionaries({"type": st.just("ref/prompt"), "name": named(words.prompts)}) | st.fixed_dictionaries(
        {"type": st.just("ref/resource"), "uri": st.sampled_from(words.templates or ("x",))}
    )
    shapes: dict[str, Callable[[], st.SearchStrategy[dict[str, Any]]]] = {
        "tools/call": lambda: st.fixed_dictionaries(
            {"name": named(words.tools) | st.sampled_from(words.talkers or words.tools)},
            optional={"arguments": st.just({}) | OBJECTS},
        ),
        "prompts/get": lambda: st.fixed_dictionaries(
            {"name": named(words.prompts)}, optional={"arguments": st.dictionaries(TEXT, TEXT, max_size=3)}
        ),
        "resources/read": lambda: st.fixed_dictionaries(uri),
        "resources/subscribe": lambda: st.fixed_dictionaries(uri),
        "resources/unsubscribe": lambda: st.fixed_dictionaries(uri),
        "completion/complete": lambda: st.fixed_dictionaries(
            {"ref": ref, "argument": st.fixed_dictionaries({"name": TEXT, "value": TEXT})},
            optional={"context": st.fixed_dictionaries({"arguments": st.dictionaries(TEXT, TEXT, max_size=2)})},
        ),
        "initialize": lambda: st.fixed_dictionaries(
            {
                "protocolVersion": st.sampled_from(SUPPORTED_VERSIONS) | TEXT,
                "capabilities": GOOD_CAPABILITIES,
                "clientInfo": st.fixed_dictionaries({"name": TEXT, "version": TEXT}),
            }
        ),
        "logging/setLevel": lambda: st.fixed_dictionaries({"level": st.sampled_from(LOG_LEVELS)}),
        "notifications/cancelled": lambda: st.fixed_dictionaries({"requestId": VALID_IDS}, optional={"reason": TEXT}),
    }
    if method in shapes:
        return shapes[method]()
    if method.endswith("/list"):
        return st.fixed_dictionaries({}, optional={"cursor": TEXT})
    return OBJECTS


@dataclass(frozen=True)
class Exchange:
    """One generated POST to /mcp: the body as sent, its headers, and the message (if JSON)."""

    data: bytes
    headers: dict[str, str]
    message: Any = MISSING

    @classmethod
    def of(cls, data: bytes, headers: Mapping[str, str]) -> Exchange:
        """An exchange of raw bytes, with the message they hold if they are JSON text (RFC 8259: UTF-8, so no
        lone surrogate, escaped or not; json.loads lets those through, the server answers them -32700)."""
        try:
            message = json.loads(data)
            json.dumps(message, ensure_ascii=False).encode()
        except (ValueError, RecursionError):  # UnicodeEncodeError is a ValueError
            message = MISSING
        return cls(data, dict(headers), message)

    @property
    def request_id(self) -> Any:
        """The id a reply must carry: the message's, when it is a valid JSON-RPC id; else None."""
        if not isinstance(self.message, dict):
            return None
        value = self.message.get("id")
        return value if isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)) else None

    @property
    def is_request(self) -> bool:
        """Whether the message is a well-formed request (which must get a reply, never a 202)."""
        message = self.message
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0" or self.request_id is None:
            return False
        method, params = message.get("method"), message.get("params", {})
        return isinstance(method, str) and bool(method) and (params is None or isinstance(params, dict))


def mirrored(message: Mapping[str, Any]) -> dict[str, str]:
    """The headers a correct 2026-07-28 client sends with `message`."""
    params, method = message.get("params"), message["method"]
    headers = {"MCP-Protocol-Version": MODERN_VERSION, "Mcp-Method": header_value(method)}
    named_param = NAMED_PARAMS.get(method)
    if named_param and isinstance(params.get(named_param), str):
        headers["Mcp-Name"] = header_value(params[named_param])
    return headers


def header_value(text: str) -> str:
    """`text` as a header value: as is when it is plain printable ASCII, else base64 in `=?base64?...?=`."""
    if text == text.strip() and all(0x20 <= ord(char) < 0x7F for char in text):
        return text
    return f"=?base64?{base64.b64encode(text.encode()).decode()}?="


#: Mutations: each breaks one thing in a correct message or its headers (in place).
Mutation = Callable[[st.DrawFn, dict[str, Any], dict[str, str]], None]


def _set(key: str, strategy: st.SearchStrategy[Any]) -> Mutation:
    def mutate(draw: st.DrawFn, message: dict[str, Any], headers: dict[str, str]) -> None:
        message[key] = draw(strategy)

    return mutate


def _drop(key: str) -> Mutation:
    def mutate(draw: st.DrawFn, message: dict[str, Any], headers: dict[str, str]) -> None:
        message.pop(key, None)

    return mutate


def _header(name: str, strategy: st.SearchStrategy[Any]) -> Mutation:
    def mutate(draw: st.DrawFn, message: dict[str, Any], headers: dict[str, str]) -> None:
        value = draw(maybe(strategy))
        if value is MISSING:
            headers.pop(name, None)
        else:
            headers[name] = value

    return mutate


def _meta(draw: st.DrawFn, message: dict[str, Any], headers: dict[str, str]) -> None:
    if isinstance(message.get("params"), dict):
        message["params"] = message["params"] | {"_meta": draw(ANY_META | OBJECTS | JSON)}


def _extra(draw: st.DrawFn, message: dict[str, Any], headers: dict[str, str]) -> None:
    message.update(draw(OBJECTS))


MUTATIONS: tuple[Mutation, ...] = (
    _set("jsonrpc", JSON),
    _set("id", IDS),
    _drop("id"),
    _set("method", st.sampled_from(KNOWN_METHODS) | TEXT | JSON),
    _set("params", JSON),
    _drop("params"),
    _meta,
    _extra,
    _header("MCP-Protocol-Version", VERSIONS),
    _header("Mcp-Method", HEADER_TEXT | st.sampled_from(KNOWN_METHODS)),
    _header("Mcp-Name", HEADER_TEXT),
    _header("Mcp-Session-Id", HEADER_TEXT),
)


def credentials(target: Target) -> st.SearchStrategy[Any]:
    """Mostly the static token; else an OAuth access token this server issued, junk, or none (MISSING)."""
    return weighted(
        (12, st.just(f"Bearer {TOKEN}")),
        (2, st.sampled_from(target.access_tokens).map(lambda token: f"Bearer {token}")),
        (1, HEADER_TEXT.map(lambda text: f"Bearer {text}") | HEADER_TEXT),
        (1, st.just(MISSING)),
    )


def era_headers(draw: st.DrawFn, era: str, message: dict[str, Any], target: Target) -> dict[str, str]:
    """What a correct client of `era` sends: mirrored headers (2026-07-28), or a legacy version and session."""
    if era == "modern":
        message["params"] = message["params"] | {"_meta": draw(MODERN_META)}
        return mirrored(message)
    headers = {"MCP-Protocol-Version": draw(st.sampled_from(LEGACY_VERSIONS))} if draw(st.booleans()) else {}
    if era == "session":
        index = draw(st.integers(0, len(LEGACY_VERSIONS) - 1))
        headers = {"MCP-Protocol-Version": LEGACY_VERSIONS[index], "Mcp-Session-Id": target.sessions[index]}
    return headers


@st.composite
def mcp_exchanges(draw: st.DrawFn, target: Target) -> Exchange:
    """A POST /mcp: a correct request or notification of either era with 0-3 mutations, a client's reply,
    or any JSON at all; with any credential and Accept."""
    kind = draw(st.sampled_from(("request",) * 7 + ("notification", "reply", "any")))
    headers: dict[str, str] = {}
    if kind == "any":
        message: Any = draw(JSON)
    elif kind == "reply":
        message = {"jsonrpc": "2.0", "id": draw(IDS), draw(st.sampled_from(("result", "error"))): draw(OBJECTS)}
    else:
        method = draw(weighted((4, st.sampled_from(KNOWN_METHODS)), (2, st.just("tools/call")), (1, TEXT.filter(bool))))
        message = {
            "jsonrpc": "2.0",
            "id": draw(VALID_IDS),
            "method": method,
            "params": draw(params_for(method, target.words)),
        }
        if kind == "notification":
            del message["id"]
        headers = era_headers(draw, draw(st.sampled_from(("legacy", "session", "modern", "modern"))), message, target)
        for _ in range(draw(st.sampled_from((0, 0, 0, 1, 1, 2, 3)))):
            draw(st.sampled_from(MUTATIONS))(draw, message, headers)
    accept = draw(weighted((4, st.sampled_from(ACCEPTS[:2])), (1, maybe(st.sampled_from(ACCEPTS) | HEADER_TEXT))))
    for name, value in (("Authorization", draw(credentials(target))), ("Accept", accept)):
        if value is not MISSING:
            headers[name] = value
    return Exchange(json.dumps(message).encode(), headers, message)


# ---------------------------------------------------------------------------------------------
# /mcp: any JSON-RPC, both eras.
# ---------------------------------------------------------------------------------------------


def post_mcp(target: Target, data: bytes, headers: Mapping[str, str], content_type: str | None = "application/json"):
    """POST `data` to /mcp; `content_type` None sends no Content-Type at all."""
    kwargs: dict[str, Any] = {"data": data, "headers": dict(headers)}
    if content_type is not None:
        kwargs["content_type"] = content_type
    return send(target.client, "POST", "/mcp", **kwargs)


def sse_messages(response: Response) -> list[Any]:
    """The data of each event, as the SSE spec reads lines (only CR, LF and CRLF end one: not U+2028, U+0085)."""
    lines = response.get_data(as_text=True).replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return [json.loads(line[5:]) for line in lines if line.startswith("data:")]


def assert_jsonrpc_reply(reply: Any, request_id: Any) -> None:
    """A JSON-RPC 2.0 response: an id (the request's, or null), and exactly one of result and error."""
    assert isinstance(reply, dict) and reply.get("jsonrpc") == "2.0" and "id" in reply, reply
    assert ("result" in reply) != ("error" in reply), reply
    if "error" in reply:
        error = reply["error"]
        assert isinstance(error, dict) and isinstance(error.get("message"), str), reply
        assert isinstance(error.get("code"), int) and not isinstance(error["code"], bool), reply
    else:
        assert isinstance(reply["result"], dict), reply
    assert reply["id"] is None or reply["id"] == request_id, (reply["id"], request_id)


#: The integers orjson reads as integers (it reads bigger ones as floats: B9).
ORJSON_INTEGERS = range(-(2**63), 2**64)
#: Refusals that come before the body is read (credential, Host/Origin, size, type, rate): their id is null.
REFUSED_UNREAD = frozenset({401, 403, 405, 413, 415, 429})


def mcp_bug(exchange: Exchange, reply: Mapping[str, Any]) -> str | None:
    """The known bug (B9) a reply shows, if any: a valid integer id beyond 64 bits refused, its id lost."""
    request_id = exchange.request_id
    lost = isinstance(request_id, int) and request_id not in ORJSON_INTEGERS and reply.get("id") is None
    if lost and "B9" in KNOWN_BUGS:
        return "B9"
    return None


def check_mcp_reply(response: Response, exchange: Exchange, tally: Tally | None = None) -> None:
    """Never 5xx or a redirect; 202 with an empty body, or a JSON-RPC reply (JSON or the last event of a stream)."""
    assert_clean(response, f"POST /mcp {exchange.headers!r} {exchange.data[:300]!r}")
    assert not 300 <= response.status_code < 400, f"/mcp redirected: {response.status_code} {response.location}"
    if response.status_code == 202:
        assert response.get_data() == b"", response.get_data()[:300]
        assert not exchange.is_request, "a request was answered 202, without a reply"
        return
    if response.mimetype == "text/event-stream":
        messages = sse_messages(response)
        assert messages, "an event stream without a message"
        *before, reply = messages
        assert all(isinstance(message.get("method"), str) for message in before), before  # notifications, requests
    else:
        assert response.mimetype == "application/json", response.headers
        reply = response.get_json()
    if (bug := mcp_bug(exchange, reply)) and tally is not None:
        tally.note(f"known {bug}")
        return
    assert_jsonrpc_reply(reply, exchange.request_id)
    if exchange.is_request and response.status_code not in REFUSED_UNREAD:
        assert reply["id"] == exchange.request_id, ("a request's reply lost its id", reply)


def orjson_value(value: Any) -> Any:
    """`value` as the server reads it (orjson: integers beyond 64 bits become floats, B9)."""
    return float(value) if isinstance(value, int) and value not in ORJSON_INTEGERS else value


@dataclass
class CancelLedger:
    """The cancellations a fuzzer sent in legacy sessions, to recognise B11 and B12 later."""

    sent: set[tuple[str, str]] = field(default_factory=set)

    def record(self, exchange: Exchange, response: Response) -> None:
        message, session = exchange.message, exchange.headers.get("Mcp-Session-Id")
        if response.status_code != 202 or not session or not isinstance(message, dict):
            return
        params = message.get("params")
        if message.get("method") == "notifications/cancelled" and isinstance(params, dict):
            self.sent.add((session, repr(orjson_value(params.get("requestId")))))

    def bug(self, exchange: Exchange, response: Response) -> str | None:
        """B11 (an empty stream) or B12 (a 500) for a request whose id this session cancelled before."""
        message, session = exchange.message, exchange.headers.get("Mcp-Session-Id")
        if not isinstance(message, dict) or (session, repr(orjson_value(message.get("id")))) not in self.sent:
            return None
        if response.status_code >= 500:
            return "B12" if "B12" in KNOWN_BUGS else None
        empty = response.mimetype == "text/event-stream" and not sse_messages(response)
        return "B11" if empty and "B11" in KNOWN_BUGS else None


def test_mcp_jsonrpc_fuzz(target: Target) -> None:
    """Any JSON body, method, params, _meta, id and era headers: a clean JSON-RPC reply or 202, never 5xx."""
    tally = Tally("POST /mcp, JSON-RPC of both eras")
    cancels = CancelLedger()

    @bounded(300)
    @given(exchange=mcp_exchanges(target))
    @tally.counted
    def run(exchange: Exchange) -> None:
        response = post_mcp(target, exchange.data, exchange.headers)
        era = "modern" if "MCP-Protocol-Version" in exchange.headers else "no version header"
        tally.saw(response, era, "stream" if response.mimetype == "text/event-stream" else "json")
        cancels.record(exchange, response)
        if bug := cancels.bug(exchange, response):
            tally.note(f"known {bug}")
            return
        check_mcp_reply(response, exchange, tally)

    tally.run(run)


# ---------------------------------------------------------------------------------------------
# /mcp: hostile transport (bytes, encodings, content types, nesting, header and body sizes).
# ---------------------------------------------------------------------------------------------

PING = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-8",
    "application/json; charset=latin-1",
    "application/json; charset=utf-16",
    "APPLICATION/JSON",
    "application/json-rpc",
    "text/json",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
    "",
)


#: Mostly JSON (so the bytes get parsed), else wrong, junk or no content types.
HOSTILE_CONTENT_TYPES = weighted(
    (4, st.sampled_from(CONTENT_TYPES[:5])), (1, st.sampled_from(CONTENT_TYPES[5:]) | HEADER_TEXT | st.none())
)


def hostile_bodies() -> st.SearchStrategy[bytes]:
    """Bytes that are mostly not JSON, or JSON in odd encodings, or valid JSON with invalid UTF-8 inside."""
    invalid_utf8 = st.sampled_from([b"\xff", b"\xfe\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80"])
    inside = st.tuples(st.binary(max_size=8), invalid_utf8, st.binary(max_size=8)).map(b"".join)
    return st.one_of(
        st.binary(max_size=300),
        inside.map(lambda junk: b'{"jsonrpc":"2.0","id":1,"method":"' + junk + b'"}'),
        inside.map(lambda junk: b'{"jsonrpc":"2.0","id":"' + junk + b'","method":"ping"}'),
        st.sampled_from(["utf-16", "utf-16-le", "utf-32", "utf-8-sig"]).map(PING.decode().encode),
        st.integers(1, 3000).map(lambda depth: b"[" * depth + b"]" * depth),
        st.integers(1, 3000).map(lambda depth: b'{"a":' * depth + b"0" + b"}" * depth),
    )


SURROGATE = re.compile(rb"\xed[\xa0-\xbf][\x80-\xbf]|\\u[dD][89a-fA-F]")


def surrogate_bug(data: bytes) -> str | None:
    """The known bug (B1) a body may hit: a surrogate, encoded in the bytes or escaped (json.loads passes both)."""
    return "B1" if SURROGATE.search(data) else None


def test_mcp_hostile_bytes_fuzz(target: Target) -> None:
    """Arbitrary bytes, invalid UTF-8, odd encodings, nesting, wrong content types: a clean 4xx, never 5xx."""
    tally = Tally("POST /mcp, hostile bytes and content types")

    @bounded(200)
    @given(data=hostile_bodies(), content_type=HOSTILE_CONTENT_TYPES)
    @tally.counted
    def run(data: bytes, content_type: str | None) -> None:
        headers = {"Authorization": f"Bearer {TOKEN}", "Accept": ACCEPTS[0]}
        response = post_mcp(target, data, headers, content_type)
        tally.saw(response)
        if known_5xx(response, surrogate_bug(data), tally):
            return
        check_mcp_reply(response, Exchange.of(data, headers), tally)

    tally.run(run)


NESTED = 10_000
HUGE = 16 * 1024


def _nested_in_params(depth: int) -> bytes:
    nest = b"[" * depth + b"]" * depth
    return b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{"a":' + nest + b"}}}"


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        pytest.param(b"[" * NESTED + b"]" * NESTED, "application/json", 400, id="arrays-nested-10000"),
        pytest.param(b'{"a":' * NESTED + b"0" + b"}" * NESTED, "application/json", 400, id="objects-nested-10000"),
        pytest.param(_nested_in_params(NESTED), "application/json", 400, id="arguments-nested-10000"),
        pytest.param(b'{"jsonrpc":"2.0","id":1,"method":"\xff\xfe"}', "application/json", 400, id="invalid-utf8"),
        pytest.param(b'{"jsonrpc":"2.0","id":"\xc0\xaf","method":"ping"}', "application/json", 400, id="overlong-utf8"),
        pytest.param(b"\xed\xa0\x80", "application/json", 400, id="encoded-surrogate"),
        pytest.param(PING, "text/plain", 415, id="text-plain"),
        pytest.param(PING, "application/x-www-form-urlencoded", 415, id="form"),
        pytest.param(PING, "multipart/form-data; boundary=x", 415, id="multipart"),
        pytest.param(PING, None, 415, id="no-content-type"),
        pytest.param(b" " * (MAX_CONTENT_LENGTH - len(PING)) + PING, "application/json", 200, id="exactly-max-length"),
        pytest.param(b" " * (MAX_CONTENT_LENGTH + 1 - len(PING)) + PING, "application/json", 413, id="one-byte-over"),
        pytest.param(b"x" * (4 * MAX_CONTENT_LENGTH), "application/json", 413, id="four-times-over"),
    ],
)
def test_mcp_hostile_bodies(target: Target, data: bytes, content_type: str | None, expected: int) -> None:
    """Deep nesting (10 000), invalid UTF-8, wrong content types, and body sizes at and past MAX_CONTENT_LENGTH."""
    response = post_mcp(target, data, {"Authorization": f"Bearer {TOKEN}"}, content_type)
    print(f"\n[fuzz] {len(data)} bytes as {content_type!r}: {response.status_code}")
    check_mcp_reply(response, Exchange.of(data, {}))
    assert response.status_code == expected, response.get_data()[:300]


def test_mcp_content_length_lies(target: Target) -> None:
    """A Content-Length far past the cap is refused (413) before the body is read; a garbage one is no 5xx."""
    statuses = {}
    for length in ("999999999999", "-1", "abc", "0"):
        response = send(
            target.client,
            "POST",
            "/mcp",
            data=PING,
            content_type="application/json",
            headers={"Authorization": f"Bearer {TOKEN}"},
            environ_overrides={"CONTENT_LENGTH": length},
        )
        statuses[length] = response.status_code
        check_mcp_reply(response, Exchange(PING, {}))  # the body is not read as sent: no id to expect
    print(f"\n[fuzz] Content-Length lies: {statuses}")
    assert statuses["999999999999"] == 413


@pytest.mark.parametrize(
    ("header", "value", "expected"),
    [
        ("X-Filler", "a" * HUGE, 200),
        ("User-Agent", "a" * HUGE, 200),
        ("Cookie", "session=" + "a" * HUGE, 200),
        ("Accept", "application/json, " + "a" * HUGE, 200),
        ("Mcp-Method", "a" * HUGE, 200),  # ignored outside 2026-07-28
        ("Mcp-Name", "=?base64?" + "A" * HUGE + "?=", 200),
        ("Authorization", "Bearer " + "a" * HUGE, 401),
        ("Mcp-Session-Id", "a" * HUGE, 404),
        ("MCP-Protocol-Version", "a" * HUGE, 400),
        ("Origin", "http://" + "a" * HUGE, 403),
    ],
)
def test_mcp_huge_headers(target: Target, header: str, value: str, expected: int) -> None:
    """16 KB header values (gunicorn refuses such before the app; the app itself must still not fail)."""
    headers = {"Authorization": f"Bearer {TOKEN}", header: value}
    response = post_mcp(target, PING, headers)
    print(f"\n[fuzz] {header}: {len(value)} bytes: {response.status_code}")
    check_mcp_reply(response, Exchange.of(PING, headers))
    assert response.status_code == expected, response.get_data()[:300]


def test_mcp_many_headers_and_huge_host(target: Target) -> None:
    """A hundred 1 KB headers are fine; a 16 KB Host is a clean 400 (routing refuses it, before /mcp's handlers,
    so its body is the app's JSON error page rather than JSON-RPC)."""
    many = {f"X-Fuzz-{index}": "b" * 1024 for index in range(100)} | {"Authorization": f"Bearer {TOKEN}"}
    response = post_mcp(target, PING, many)
    check_mcp_reply(response, Exchange.of(PING, many))
    host = post_mcp(target, PING, {"Authorization": f"Bearer {TOKEN}", "Host": "a" * HUGE})
    print(f"\n[fuzz] 100 x 1 KB headers: {response.status_code}; 16 KB Host: {host.status_code}")
    assert_clean(host, "huge Host")
    assert host.status_code == 400 and isinstance(host.get_json(), dict), host.get_data()[:300]


# ---------------------------------------------------------------------------------------------
# OAuth: token, revoke, introspect (forms), register (JSON), authorize (query).
# ---------------------------------------------------------------------------------------------


def oauth_values(target: Target) -> dict[str, st.SearchStrategy[str]]:
    """Each OAuth form field: values that mean something to this server, or any text."""
    clients = (target.public_id, target.confidential_id, "https://client.example/metadata.json", "unknown-client")
    tokens = (*target.codes, *target.refresh_tokens, *target.access_tokens)

    def pick(*values: str) -> st.SearchStrategy[str]:
        return st.sampled_from(values) | TEXT

    return {
        "grant_type": pick("authorization_code", "refresh_token", "client_credentials", "password", "implicit"),
        "code": pick(*target.codes),
        "redirect_uri": pick(PUBLIC_REDIRECT, CONFIDENTIAL_REDIRECT, "http://127.0.0.1:1234/callback"),
        "code_verifier": pick(target.verifier, pkce()[0], "short"),
        "client_id": pick(*clients),
        "client_secret": pick(target.confidential_secret, ""),
        "refresh_token": pick(*target.refresh_tokens),
        "resource": pick(RESOURCE, RESOURCE + "/", "https://elsewhere.example/mcp"),
        "scope": pick("mcp", "mcp notes:write", "openid", ""),
        "token": pick(*tokens),
        "token_type_hint": pick("access_token", "refresh_token", "id_token"),
    }


#: The fields each endpoint reads, sent three times in four each.
ENDPOINT_FIELDS = {
    "/oauth/token": ("grant_type", "code", "redirect_uri", "code_verifier", "client_id", "resource"),
    "/oauth/revoke": ("token", "token_type_hint", "client_id"),
    "/oauth/introspect": ("token", "token_type_hint"),
}


@st.composite
def oauth_forms(draw: st.DrawFn, target: Target, path: str) -> MultiDict[str, str]:
    """The endpoint's fields, some other known ones (a name may come twice), and a few unknown ones."""
    values = oauth_values(target)
    names = [name for name in ENDPOINT_FIELDS[path] if draw(mostly(st.just(True), st.just(False)))]
    names += draw(st.lists(st.sampled_from(sorted(values)), max_size=3))
    pairs = [(name, draw(values[name])) for name in names]
    return MultiDict(pairs + draw(st.lists(st.tuples(TEXT, TEXT), max_size=2)))


@st.composite
def redemptions(draw: st.DrawFn, target: Target) -> tuple[MultiDict[str, str], dict[str, str]]:
    """A correct token request (a code this server issued, or a refresh token), then at most one field broken."""
    if draw(st.booleans()):
        grant = draw(st.sampled_from(target.grants))
        form = {"grant_type": "authorization_code", "code": grant.secret, "redirect_uri": grant.redirect_uri}
        form |= {"code_verifier": target.verifier, "resource": RESOURCE}
    else:
        grant = draw(st.sampled_from(target.refreshes))
        form = {"grant_type": "refresh_token", "refresh_token": grant.secret}
    headers: dict[str, str] = {}
    if grant.client_id == target.confidential_id:
        headers["Authorization"] = basic(grant.client_id, target.confidential_secret)
    else:
        form["client_id"] = grant.client_id
    if (broken := draw(st.sampled_from((None, None, *sorted(form))))) is not None:
        form[broken] = draw(TEXT)
    return MultiDict(form), headers


def client_credentials(target: Target) -> st.SearchStrategy[dict[str, str]]:
    """No Authorization, the confidential client's Basic credentials, wrong ones, or junk."""
    return st.sampled_from(
        [
            {},
            {"Authorization": basic(target.confidential_id, target.confidential_secret)},
            {"Authorization": basic(target.confidential_id, "wrong")},
            {"Authorization": basic(target.public_id, "")},
            {"Authorization": "Basic !!!"},
            {"Authorization": f"Bearer {TOKEN}"},
        ]
    ) | HEADER_TEXT.map(lambda text: {"Authorization": text})


@st.composite
def oauth_requests(draw: st.DrawFn, target: Target) -> tuple[str, dict[str, Any], str | None]:
    """A POST to token, revoke or introspect: a form (or JSON, or the query string), any credentials and Accept."""
    path = draw(st.sampled_from(OAUTH_ENDPOINTS))
    accept = draw(st.sampled_from((None, "application/json", "text/html", "*/*")))
    if path == "/oauth/token" and draw(st.booleans()):
        form, headers = draw(redemptions(target))
    else:
        form, headers = draw(oauth_forms(target, path)), draw(client_credentials(target))
    headers |= {"Accept": accept} if accept else {}
    how = draw(st.sampled_from(("form",) * 6 + ("json", "query")))
    kwargs: dict[str, Any] = {"headers": headers}
    if how == "form":
        kwargs["data"] = form
    elif how == "json":
        kwargs |= {"data": json.dumps(form.to_dict()), "content_type": "application/json"}
    else:
        kwargs["query_string"] = form
    return path, kwargs, accept


def authorization_bug(headers: Mapping[str, str]) -> str | None:
    """The known bug (B10) an Authorization value hits: a space in it, yet one word once split on whitespace."""
    value = headers.get("Authorization", "")
    return "B10" if " " in value and len(value.split(None, 1)) < 2 else None


def test_oauth_endpoints_fuzz(target: Target) -> None:
    """Token, revoke and introspect with any fields, credentials and encodings: OAuth errors on 4xx, never 5xx."""
    tally = Tally("POST /oauth/token, /oauth/revoke, /oauth/introspect")

    @bounded(300)
    @given(request=oauth_requests(target))
    @tally.counted
    def run(request: tuple[str, dict[str, Any], str | None]) -> None:
        path, kwargs, accept = request
        response = send(target.client, "POST", path, **kwargs)
        body = response.get_json(silent=True)
        outcome = body.get("error", "ok") if isinstance(body, dict) else "not json"
        tally.saw(response, f"{path.removeprefix('/oauth/')} {outcome}")
        if known_5xx(response, authorization_bug(kwargs["headers"]), tally):
            return
        assert_clean(response, f"POST {path} {kwargs!r}")
        if 400 <= response.status_code < 500:
            assert_oauth_error(response, f"POST {path}")
        if path == "/oauth/token" and response.status_code not in FRAMEWORK_STATUSES:
            assert "no-store" in response.headers.get("Cache-Control", ""), response.headers

    tally.run(run)


@st.composite
def redirect_uris(draw: st.DrawFn) -> str:
    """Redirect URIs of every kind, mostly plausible: https, loopback http, private-use schemes; and dangerous
    schemes, broken ports and hosts, and any text."""
    scheme = draw(mostly(st.sampled_from(("https", "http", "com.example.app")), st.sampled_from(ODD_SCHEMES) | TEXT))
    host = draw(mostly(st.sampled_from(("client.example", "localhost", "127.0.0.1", "[::1]")), ODD_HOSTS | TEXT))
    port = draw(mostly(st.sampled_from(("", ":8080")), st.sampled_from(ODD_PORTS)))
    path = draw(mostly(st.sampled_from(("/callback", "/cb", "/")), st.sampled_from(("", "/cb?x=1", "/cb#x")) | TEXT))
    form = draw(mostly(st.just("{scheme}://{host}{port}{path}"), st.sampled_from(("{scheme}:{path}", "{path}"))))
    return draw(mostly(st.just(form.format(scheme=scheme, host=host, port=port, path=path)), st.text(max_size=20)))


ODD_SCHEMES = ("HTTPS", "myapp", "javascript", "data", "file", "")
ODD_HOSTS = st.sampled_from(("10.0.0.1", "", "[::1", "a b", "x.example:1:2", "user@client.example"))
ODD_PORTS = (":0", ":65535", ":65536", ":99999", ":abc", ":", ":-1")


def client_metadata() -> st.SearchStrategy[Any]:
    """Registration bodies: the fields ClientMetadata reads, mostly with good values; extras; or any JSON."""
    junk = TEXT | JSON
    fields = {
        "redirect_uris": st.lists(redirect_uris(), min_size=1, max_size=3),
        "client_name": mostly(st.text(max_size=30), junk),
        "client_uri": mostly(st.just("https://client.example/"), junk),
        "logo_uri": mostly(st.just("https://client.example/logo.png"), junk),
        "scope": mostly(st.sampled_from(("mcp", "mcp notes:write")), junk),
        "token_endpoint_auth_method": mostly(st.sampled_from(("none", "client_secret_basic", "client_secret_post"))),
        "grant_types": mostly(st.lists(st.sampled_from(("authorization_code", "refresh_token")), min_size=1)),
        "response_types": mostly(st.just(["code"]), st.lists(st.sampled_from(("code", "token"))) | JSON),
        "application_type": mostly(st.sampled_from(("web", "native")), junk),
        "software_id": mostly(st.text(max_size=20), junk),
        "software_version": mostly(st.text(max_size=10), junk),
    }
    others = {key: value for key, value in fields.items() if key != "redirect_uris"}
    metadata = st.fixed_dictionaries({"redirect_uris": fields["redirect_uris"]}, optional=others)
    loose = st.fixed_dictionaries({}, optional=fields | {"redirect_uris": st.lists(redirect_uris()) | JSON})
    return weighted((6, metadata), (1, loose), (1, OBJECTS), (1, JSON))


def registration_bug(body: Any) -> str | None:
    """The known bug (B2, B6) that registering `body` hits at once, if any."""
    if not isinstance(body, dict):
        return None
    try:
        metadata = ClientMetadata.model_validate(body)
    except ValidationError:
        return None
    for uri in metadata.redirect_uris:
        try:
            problem = redirect_problem(uri, metadata.application_type)
        except ValueError:
            return "B2"
        if problem:
            return None if OAUTH_TEXT.fullmatch(f"redirect URI {uri!r} {problem}") else "B6"
    return None


def redirect_bug(uris: list[str]) -> str | None:
    """The known bug (B3) that redirecting to one of `uris` hits, if any: Werkzeug cannot write it as a Location."""
    for uri in uris:
        try:
            iri_to_uri(uri)
        except (ValueError, UnicodeError):
            return "B3"
    return None


def test_registration_then_authorize_fuzz(target: Target) -> None:
    """Register any metadata (any content type, any Accept); every client the server accepts can then go through
    /oauth/authorize (the consent page, and error redirects) without a 5xx."""
    tally = Tally("POST /oauth/register, then GET /oauth/authorize for each client registered")
    accepts = st.sampled_from((None, "application/json", "text/html"))
    content_types = st.sampled_from(("application/json",) * 8 + ("application/x-www-form-urlencoded", "text/plain"))

    @bounded(200)
    @given(body=client_metadata(), content_type=content_types, accept=accepts)
    @tally.counted
    def run(body: Any, content_type: str, accept: str | None) -> None:
        headers = {"Accept": accept} if accept else {}
        response = send(
            target.client, "POST", "/oauth/register", data=json.dumps(body), content_type=content_type, headers=headers
        )
        tally.saw(response, f"register {response.status_code}")
        if known_5xx(response, registration_bug(body), tally):
            return
        where = f"POST /oauth/register ({content_type}, Accept {accept}) {json.dumps(body)[:300]}"
        assert_clean(response, where)
        assert response.status_code in (201, 400, 415), (where, response.get_data()[:300])
        if response.status_code != 201:
            assert_oauth_error(response, "POST /oauth/register")
            return
        authorize_registered(target, response.json, tally)

    tally.run(run)


def authorize_registered(target: Target, client: dict[str, Any], tally: Tally) -> None:
    """Walk a just-registered client through /oauth/authorize (signed in): the consent page, errors sent to its
    redirect URI (a foreign resource, a plain PKCE method), and each of its first two redirect URIs named."""
    _, challenge = pkce()
    query = {"response_type": "code", "client_id": client["client_id"], "code_challenge": challenge}
    query |= {"code_challenge_method": "S256", "state": "fuzz"}
    uris = client["redirect_uris"]
    variants = [{}, {"resource": "https://elsewhere.example/mcp"}, {"code_challenge_method": "plain"}]
    variants += [{"redirect_uri": uri} for uri in uris[:2] if header_safe(uri)]
    for variant in variants:
        response = send(target.browser, "GET", "/oauth/authorize", query_string=query | variant)
        tally.saw(response, f"authorize {response.status_code}")
        if known_5xx(response, redirect_bug(uris), tally):
            continue
        assert_clean(response, f"GET /oauth/authorize {query | variant} for redirect URIs {uris!r}")
        check_authorize_answer(response, uris)


def same_origin(registered: str, location: str) -> bool:
    """Whether `location` goes where `registered` does: same scheme and host, and port (any port on loopback).
    The Location header went through Werkzeug's IRI-to-URI step (IDNA hosts), so `registered` goes through it too."""
    try:
        registered = iri_to_uri(registered)
    except (ValueError, UnicodeError):  # B3: then no redirect there can have been written
        return False
    want, got = urlsplit(registered), urlsplit(location)
    if (want.scheme.lower(), want.hostname) != (got.scheme.lower(), got.hostname):
        return False
    return is_loopback(want.hostname) or want.port == got.port


def header_safe(text: str) -> bool:
    """Whether the test client can put `text` in a URL (no lone surrogates)."""
    return all(not 0xD800 <= ord(char) <= 0xDFFF for char in text)


def check_authorize_answer(response: Response, registered: list[str]) -> None:
    """200 (consent), 400 (error page), or 302 to sign-in or to a registered redirect URI naming this issuer."""
    assert response.status_code in (200, 302, 400), response.get_data()[:300]
    if response.status_code != 302:
        return
    location = response.location
    if location.startswith(("/auth/login", f"{ORIGIN}/auth/login")):
        return
    assert any(same_origin(uri, location) for uri in registered), (
        f"redirected to {location!r}, not to a registered redirect URI {registered!r}"
    )
    assert parse_qs(urlsplit(location).query).get("iss") == [ORIGIN], location


@st.composite
def authorize_requests(draw: st.DrawFn, target: Target) -> tuple[str, dict[str, str], dict[str, str]]:
    """GET /oauth/authorize with any query, or POST its consent form (with the real CSRF token or not)."""
    _, challenge = pkce()

    def pick(*values: str) -> st.SearchStrategy[str]:
        return mostly(st.sampled_from(values))

    values = {
        "response_type": pick("code", "token", "code id_token"),
        "client_id": pick(target.public_id, target.confidential_id, "https://client.example/metadata.json"),
        "redirect_uri": pick(
            PUBLIC_REDIRECT, CONFIDENTIAL_REDIRECT, "http://127.0.0.1:1/callback", "https://evil.example/"
        ),
        "scope": pick("mcp", "mcp notes:write", "openid email"),
        "state": TEXT,
        "code_challenge": pick(challenge, "short"),
        "code_challenge_method": pick("S256", "plain"),
        "resource": pick(RESOURCE, "https://elsewhere.example/mcp"),
        "prompt": pick("none", "consent", "login"),
    }
    query = draw(st.fixed_dictionaries({}, optional=values))
    if draw(st.sampled_from(("GET", "GET", "POST"))) == "GET":
        return "GET", query, {}
    form = draw(
        st.fixed_dictionaries(
            {"csrf_token": st.just(target.csrf) | TEXT},
            optional={"decision": pick("allow", "deny"), "remember": pick("yes", "no")},
        )
    )
    return "POST", query, form


def authorize_bug(query: Mapping[str, str]) -> str | None:
    """The known bug (B7) a query hits: a response_type or redirect_uri Authlib cannot put in an error."""
    for name in ("response_type", "redirect_uri"):
        if name in query and not OAUTH_TEXT.fullmatch(query[name]):
            return "B7"
    return None


def test_authorize_fuzz(target: Target) -> None:
    """A signed-in person's /oauth/authorize with any query and consent answers: no 5xx, no open redirect."""
    tally = Tally("GET and POST /oauth/authorize, signed in")

    @bounded(250)
    @given(request=authorize_requests(target))
    @tally.counted
    def run(request: tuple[str, dict[str, str], dict[str, str]]) -> None:
        method, query, form = request
        response = send(target.browser, method, "/oauth/authorize", query_string=query, data=form or None)
        tally.saw(response, f"{method} {response.status_code}")
        if known_5xx(response, authorize_bug(query), tally):
            return
        assert_clean(response, f"{method} /oauth/authorize {query!r} {form!r}")
        check_authorize_answer(response, target.redirects.get(query.get("client_id", ""), []))

    tally.run(run)


# ---------------------------------------------------------------------------------------------
# Sign-in pages: login, login/<name>, callback, failure, dev.
# ---------------------------------------------------------------------------------------------

PATH_TEXT = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="/?#%"), max_size=10)


@st.composite
def sign_in_steps(draw: st.DrawFn) -> tuple[str, Any]:
    """One sign-in step with any parameters, or any JSON posted to a sign-in page."""
    step = draw(st.sampled_from(("login", "login_with", "callback", "failure", "dev", "post")))
    query = draw(st.dictionaries(st.sampled_from(("code", "state", "error", "error_description", "iss")) | TEXT, TEXT))
    if step == "login":
        return step, {
            "next": draw(st.sampled_from(("/account/tokens", "//evil.example/", "https://evil.example/")) | TEXT)
        }
    if step == "login_with":
        return step, draw(st.sampled_from(("dev", "gh", "nope")) | PATH_TEXT)
    if step == "callback":
        return step, (draw(st.sampled_from((None, "gh", "dev", "nope")) | PATH_TEXT), query, draw(st.booleans()))
    if step == "failure":
        return step, draw(st.sampled_from(sorted(FAILURE_REASONS)) | TEXT)
    if step == "post":
        path = draw(st.sampled_from(("/auth/dev", "/auth/logout", "/auth/login", "/auth/callback", "/auth/failure")))
        content_type = draw(st.sampled_from(("application/json", "application/x-www-form-urlencoded", "text/plain")))
        return step, (path, json.dumps(draw(OBJECTS | JSON)), content_type)
    form = {"name": draw(TEXT), "email": draw(st.sampled_from(("a@b", "fuzz@example.test")) | TEXT)}
    return step, (form, draw(st.sampled_from((None, "/account/tokens", "//evil.example/", "/\\evil")) | TEXT))


def same_site(location: str) -> bool:
    """Whether a redirect stays on this site: a path, or this origin."""
    parts = urlsplit(location)
    return (not parts.scheme and not parts.netloc and location.startswith("/")) or location.startswith(ORIGIN + "/")


def run_sign_in_step(client: FlaskClient, step: str, argument: Any) -> Response:
    if step == "login":
        return send(client, "GET", "/auth/login", query_string=argument)
    if step == "login_with":
        return send(client, "GET", f"/auth/login/{argument}")
    if step == "callback":
        name, query, real_state = argument
        if real_state:  # start a real sign-in with the GitHub-type provider, and come back with its state
            started = send(client, "GET", "/auth/login/gh")
            query = query | {"state": parse_qs(urlsplit(started.location).query)["state"][0]}
        return send(client, "GET", "/auth/callback" + (f"/{name}" if name else ""), query_string=query)
    if step == "failure":
        return send(client, "GET", "/auth/failure", query_string={"reason": argument})
    if step == "post":  # any JSON (or text) to a sign-in page: no CSRF token, or no POST there
        path, data, content_type = argument
        return send(client, "POST", path, data=data, content_type=content_type)
    form, next_url = argument
    if next_url is not None:
        send(client, "GET", "/auth/login", query_string={"next": next_url})
    page = send(client, "GET", "/auth/dev")
    return send(client, "POST", "/auth/dev", data=form | {"csrf_token": csrf_token(page.get_data(as_text=True))})


EXPECTED_SIGN_IN = {
    "login": {200, 302},
    "login_with": {302, 404},
    "callback": {302},
    "failure": {401},
    "dev": {302, 400},
    "post": {400, 405},
}


def sign_in_bug(step: str, argument: Any) -> str | None:
    """The known bug (B8) a sign-in step hits: a callback with its real state, no code and no (or an empty) error."""
    if step != "callback":
        return None
    _, query, real_state = argument
    return "B8" if real_state and "code" not in query and not query.get("error") else None


def test_sign_in_fuzz(target: Target) -> None:
    """The sign-in pages with any parameters: no 5xx, documented statuses, redirects that stay on this site
    (or go to the configured provider), failure reasons from the known list only."""
    tally = Tally(
        "GET /auth/login, /auth/login/<name>, /auth/callback[/<name>], /auth/failure; POST /auth/dev; junk POSTs"
    )

    @bounded(200)
    @given(step=sign_in_steps())
    @tally.counted
    def run(step: tuple[str, Any]) -> None:
        name, argument = step
        response = run_sign_in_step(target.app.test_client(), name, argument)
        tally.saw(response, f"{name} {response.status_code}")
        if known_5xx(response, sign_in_bug(name, argument), tally):
            return
        assert_clean(response, f"{name} {argument!r}")
        assert response.status_code in EXPECTED_SIGN_IN[name], (name, response.status_code)
        if response.status_code == 302:
            assert same_site(response.location) or response.location.startswith(target.provider_url), response.location
        if name == "callback":
            reason = parse_qs(urlsplit(response.location).query).get("reason", ["signed in"])[0]
            assert reason == "signed in" or reason in FAILURE_REASONS, response.location
            tally.note(f"callback: {reason}")

    tally.run(run)


# ---------------------------------------------------------------------------------------------
# schemathesis: the OpenAPI description against the WSGI app.
# ---------------------------------------------------------------------------------------------

MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def schemathesis_cases() -> st.SearchStrategy[Any]:
    """Cases for every operation of openapi.yaml: valid (positive) and invalid (negative) ones, and its examples."""
    schema = schemathesis.openapi.from_path(SCHEMA_PATH)
    operations = [result.ok() for result in schema.get_all_operations()]
    strategies = []
    for operation in operations:
        strategies += [operation.as_strategy(generation_mode=mode) for mode in MODES]
        strategies += operation.get_strategies_from_examples()
    return st.one_of(strategies)


def case_bug(case: Any) -> str | None:
    """The known bug a schemathesis case hits, if any."""
    if case.path == "/oauth/register":
        return registration_bug(case.body)
    if case.path == "/oauth/authorize" and isinstance(case.query, dict):
        return authorize_bug({key: str(value) for key, value in case.query.items()})
    if case.path in OAUTH_ENDPOINTS and case.headers:
        return authorization_bug({key: str(value) for key, value in dict(case.headers).items()})
    return None


def test_openapi_schemathesis(target: Target) -> None:
    """schemathesis's stateless checks (no server error; status codes, content types, headers and bodies as
    documented) over tests/fuzz/openapi.yaml, against the WSGI app."""
    tally = Tally("schemathesis over openapi.yaml")

    @bounded(300)
    @given(case=schemathesis_cases())
    @tally.counted
    def run(case: Any) -> None:
        try:
            response = case.call(app=target.app)
        except Exception as error:  # the WSGI app raised (as B3 did)
            raise AssertionError(f"{case.method} {case.formatted_path} raised {error!r}") from error
        tally.saw(response, f"{case.method} {case.path}")
        if response.status_code >= 500 and (bug := case_bug(case)) in KNOWN_BUGS:
            tally.note(f"known {bug}")
            return
        case.validate_response(response, checks=CHECKS)
        assert b"Traceback" not in response.content

    tally.run(run)


# ---------------------------------------------------------------------------------------------
# Rate limits: 429 in each surface's own shape, with Retry-After.
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setting", "method", "path", "kwargs", "shape"),
    [
        ("TOKEN_RATE_LIMIT", "POST", "/oauth/token", {"data": {"grant_type": "refresh_token"}}, "oauth"),
        ("TOKEN_RATE_LIMIT", "POST", "/oauth/revoke", {"data": {"token": "x"}}, "oauth"),
        ("TOKEN_RATE_LIMIT", "POST", "/oauth/introspect", {"data": {"token": "x"}}, "oauth"),
        ("REGISTRATION_RATE_LIMIT", "POST", "/oauth/register", {"json": {}}, "oauth"),
        ("AUTHORIZE_RATE_LIMIT", "GET", "/oauth/authorize", {}, "oauth"),
        ("SIGN_IN_RATE_LIMIT", "GET", "/auth/login/dev", {"headers": {"Accept": "application/json"}}, "page"),
        ("SIGN_IN_RATE_LIMIT", "GET", "/auth/callback", {"headers": {"Accept": "application/json"}}, "page"),
        ("SIGN_IN_RATE_LIMIT", "GET", "/auth/dev", {"headers": {"Accept": "application/json"}}, "page"),
        ("MCP_RATE_LIMIT", "POST", "/mcp", {"json": {}, "headers": {"Authorization": f"Bearer {TOKEN}"}}, "jsonrpc"),
    ],
)
def test_rate_limited(
    make_app: Callable[..., Flask], setting: str, method: str, path: str, kwargs: dict[str, Any], shape: str
) -> None:
    """Past its limit each endpoint answers 429 with Retry-After, as its surface speaks (never 5xx)."""
    app = make_app(**{setting: "2 per minute", "MCP_STATIC_TOKENS": TOKEN})
    client = app.test_client()
    statuses = [send(client, method, path, **kwargs).status_code for _ in range(2)]
    response = send(client, method, path, **kwargs)
    print(f"\n[fuzz] {method} {path} under {setting}=2/minute: {[*statuses, response.status_code]}")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1, response.get_data()[:300]
    body = response.get_json(silent=True)
    if shape == "oauth":
        assert body["error"] == "temporarily_unavailable" and response.headers["Access-Control-Allow-Origin"] == "*"
    elif shape == "jsonrpc":
        assert_jsonrpc_reply(body, None)
    else:
        assert body["error"] == "too_many_requests", response.get_data()[:300]


# ---------------------------------------------------------------------------------------------
# The server bugs and deviations found: minimal reproducers, regression tests once fixed, strict xfail while open.
# ---------------------------------------------------------------------------------------------


#: B1 reproducers: raw JSON (the \ud800 escape is valid JSON; Python's json.loads makes it a lone surrogate).
SURROGATE_BODIES = {
    "id": b'{"jsonrpc":"2.0","id":"\\ud800","method":"ping"}',
    "method": b'{"jsonrpc":"2.0","id":1,"method":"\\ud800"}',
    "tool-name": b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"\\ud800"}}',
    "resource-uri": b'{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"test://template/\\ud800/data"}}',
    "method-as-bytes": b'{"jsonrpc":"2.0","id":1,"method":"\xed\xa0\x80"}',  # a surrogate encoded (invalid UTF-8)
}


@pytest.fixture
def server_logs(target: Target) -> Iterator[None]:
    """The app's log back on for one test, so a reproducer shows the server's traceback."""
    logger = logging.getLogger(target.app.name)
    logger.setLevel(target.log_level)
    yield
    logger.setLevel(target.log_level if os.environ.get("FUZZ_LOGS") else logging.CRITICAL)


def _xfail(bug: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Mark a reproducer of `bug`, with the server's log on: strict xfail while the bug is open (an XPASS
    fails the run), a plain regression test once it is in FIXED_BUGS."""

    def mark(test: Callable[..., None]) -> Callable[..., None]:
        if bug not in FIXED_BUGS:
            reason = f"{bug}: {KNOWN_BUGS.get(bug) or DEVIATIONS[bug]}"
            test = pytest.mark.xfail(reason=reason, strict=True, raises=AssertionError)(test)
        return pytest.mark.usefixtures("server_logs")(test)

    return mark


@_xfail("B1")
@pytest.mark.parametrize("where", sorted(SURROGATE_BODIES))
def test_fixed_bug_b1_lone_surrogate_echoed(target: Target, where: str) -> None:
    """POST /mcp, Authorization: Bearer <static token>, Content-Type: application/json, the body below."""
    response = post_mcp(target, SURROGATE_BODIES[where], {"Authorization": f"Bearer {TOKEN}"})
    print(f"\n[fuzz] B1 ({where}): {response.status_code}")
    assert_clean(response, f"B1 {where}")


@_xfail("B2")
def test_fixed_bug_b2_unparsable_redirect_uri(target: Target) -> None:
    """POST /oauth/register, Content-Type: application/json, {"redirect_uris": ["https://[::1/cb"]}."""
    response = send(target.client, "POST", "/oauth/register", json={"redirect_uris": ["https://[::1/cb"]})
    print(f"\n[fuzz] B2: {response.status_code}")
    assert_clean(response, "B2")


def _register_then_fail_authorize(target: Target, body: bytes) -> Response:
    """Register a public client from raw JSON `body`; then GET /oauth/authorize for it, signed out, with a resource
    that is not this server's (an invalid_target error, redirected to the client's only redirect URI). A refused
    registration is the answer when the URI is one no Location header could hold."""
    registered = send(target.client, "POST", "/oauth/register", data=body, content_type="application/json")
    if registered.status_code == 400:  # the fix: such a URI is refused when the client registers
        assert registered.json["error"] == "invalid_redirect_uri", registered.get_data()[:300]
        return registered
    _, challenge = pkce()
    query = {"response_type": "code", "client_id": registered.json["client_id"], "code_challenge": challenge}
    query |= {"code_challenge_method": "S256", "resource": "https://elsewhere.example/"}
    return send(target.app.test_client(), "GET", "/oauth/authorize", query_string=query)


@_xfail("B3")
@pytest.mark.parametrize("uri", ["http://127.0.0.1:99999/cb", "https://client.example:abc/cb", "https://a\x80b/cb"])
def test_fixed_bug_b3_bad_port_redirect(target: Target, uri: str) -> None:
    """Register {"redirect_uris": [uri], "token_endpoint_auth_method": "none"} (201), then
    GET /oauth/authorize?response_type=code&client_id=<it>&code_challenge=<S256>&code_challenge_method=S256
    &resource=https://elsewhere.example/ -> the app raises ValueError (port out of range, or not a number) or
    UnicodeError (IDNA) while Werkzeug writes the Location header."""
    body = json.dumps({"redirect_uris": [uri], "token_endpoint_auth_method": "none"}).encode()
    response = _register_then_fail_authorize(target, body)
    print(f"\n[fuzz] B3 ({uri}): {response.status_code} {response.get_data()[:120]!r}")
    assert_clean(response, "B3")


@_xfail("B4")
def test_fixed_bug_b4_surrogate_redirect_uri(target: Target) -> None:
    """Register {"redirect_uris": ["https://client.example/\\ud800"], "token_endpoint_auth_method": "none"} (201),
    then the same failing GET /oauth/authorize as B3."""
    body = b'{"redirect_uris": ["https://client.example/\\ud800"], "token_endpoint_auth_method": "none"}'
    response = _register_then_fail_authorize(target, body)
    print(f"\n[fuzz] B4: {response.status_code}")
    assert_clean(response, "B4")


@_xfail("B5")
def test_fixed_bug_b5_deep_registration_json(target: Target) -> None:
    """POST /oauth/register, Content-Type: application/json, body "[" * 10000 + "]" * 10000."""
    data = b"[" * NESTED + b"]" * NESTED
    response = send(target.client, "POST", "/oauth/register", data=data, content_type="application/json")
    print(f"\n[fuzz] B5: {response.status_code}")
    assert_clean(response, "B5")


@_xfail("B6")
@pytest.mark.parametrize("uri", ["http://client.example/\u00e9", "http://client.example/it's", 'x"y', "a\\b"])
def test_fixed_bug_b6_refused_redirect_uri_text(target: Target, uri: str) -> None:
    """POST /oauth/register, Content-Type: application/json, {"redirect_uris": [uri]} (a URI it must refuse)."""
    response = send(target.client, "POST", "/oauth/register", json={"redirect_uris": [uri]})
    print(f"\n[fuzz] B6 ({uri!r}): {response.status_code}")
    assert_clean(response, "B6")


@_xfail("B7")
@pytest.mark.parametrize(
    "query",
    [
        {"response_type": "\u00e9"},
        {"response_type": "code", "redirect_uri": "https://client.example/\u00e9"},
    ],
    ids=["response_type", "redirect_uri"],
)
def test_fixed_bug_b7_authorize_error_text(target: Target, query: dict[str, str]) -> None:
    """GET /oauth/authorize?client_id=<a registered public client>&<query> (percent-encoded UTF-8), signed out."""
    response = send(
        target.app.test_client(), "GET", "/oauth/authorize", query_string={"client_id": target.public_id} | query
    )
    print(f"\n[fuzz] B7 ({query}): {response.status_code}")
    assert_clean(response, "B7")


@_xfail("D1")
@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", "/oauth/token", {}),
        ("POST", "/oauth/token", {"data": {"grant_type": "x" * MAX_CONTENT_LENGTH}}),
        ("POST", "/oauth/register", {"data": {"redirect_uris": PUBLIC_REDIRECT}}),
    ],
    ids=["405", "413", "415"],
)
def test_fixed_deviation_d1_framework_error_pages(
    target: Target, method: str, path: str, kwargs: dict[str, Any]
) -> None:
    """An OAuth client that sends no Accept header gets an OAuth error (JSON) for these too."""
    response = send(target.client, method, path, **kwargs)
    print(f"\n[fuzz] D1 {method} {path}: {response.status_code} {response.mimetype}")
    if response.status_code not in FRAMEWORK_STATUSES:  # not an AssertionError: the xfail would swallow it
        pytest.fail(f"expected one of {sorted(FRAMEWORK_STATUSES)}, got {response.status_code}")
    assert_oauth_error(response, f"{method} {path}")


@_xfail("B8")
@pytest.mark.parametrize("extra", [{}, {"error": ""}], ids=["no-code", "empty-error"])
def test_fixed_bug_b8_callback_without_code(target: Target, extra: dict[str, str]) -> None:
    """GET /auth/login/gh (a GitHub-type provider; keep the session), then GET /auth/callback/gh?state=<its state>
    (and `extra`)."""
    browser = target.app.test_client()
    started = send(browser, "GET", "/auth/login/gh")
    state = parse_qs(urlsplit(started.location).query)["state"][0]
    response = send(browser, "GET", "/auth/callback/gh", query_string={"state": state} | extra)
    print(f"\n[fuzz] B8 {extra}: {response.status_code}")
    assert_clean(response, "B8")


@_xfail("B9")
def test_fixed_bug_b9_integer_id_beyond_64_bits(target: Target) -> None:
    """POST /mcp, Authorization: Bearer <static token>, {"jsonrpc":"2.0","id":18446744073709551616,"method":"ping"}."""
    data = b'{"jsonrpc":"2.0","id":18446744073709551616,"method":"ping"}'
    response = post_mcp(target, data, {"Authorization": f"Bearer {TOKEN}"})
    print(f"\n[fuzz] B9: {response.status_code} {response.get_data()[:120]!r}")
    assert response.status_code == 200 and response.get_json()["id"] == 2**64, response.get_data()[:300]


@_xfail("B10")
@pytest.mark.parametrize("path", OAUTH_ENDPOINTS)
@pytest.mark.parametrize("value", ["Basic \xa0", " ", "Basic "], ids=["basic-nbsp", "space", "basic-space"])
def test_fixed_bug_b10_authorization_one_word(target: Target, path: str, value: str) -> None:
    """POST <path>, Authorization: <value>, form grant_type=authorization_code&token=x."""
    data = {"grant_type": "authorization_code", "token": "x"}
    response = send(target.client, "POST", path, data=data, headers={"Authorization": value})
    print(f"\n[fuzz] B10 {path} {value!r}: {response.status_code}")
    assert_clean(response, "B10")


@_xfail("D2")
@pytest.mark.parametrize("path", ["/oauth/revoke", "/oauth/introspect"])
def test_fixed_deviation_d2_unknown_token_type_hint(target: Target, path: str) -> None:
    """POST <path>, Authorization: Basic <the confidential client>, token=x&token_type_hint=id_token."""
    headers = {"Authorization": basic(target.confidential_id, target.confidential_secret)}
    response = send(target.client, "POST", path, data={"token": "x", "token_type_hint": "id_token"}, headers=headers)
    print(f"\n[fuzz] D2 {path}: {response.status_code} {response.get_data()[:100]!r}")
    assert response.status_code == 400, response.get_data()[:300]
    assert response.json["error"] == "unsupported_token_type", response.json


def _cancel_then_call(target: Target, accept: str) -> Response:
    """Open a 2025-11-25 session; send notifications/cancelled {requestId: 5} in it (202); then call
    test_tool_with_logging (a tool that takes a Context) with id 5 in it, with `accept`."""
    version = "2025-11-25"
    headers = {"Authorization": f"Bearer {TOKEN}", "MCP-Protocol-Version": version}
    headers["Mcp-Session-Id"] = initialize(target.client, version)
    cancel = {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 5}}
    if post_mcp(target, json.dumps(cancel).encode(), headers).status_code != 202:
        pytest.fail("the cancellation was not accepted")
    call = {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": {"name": "test_tool_with_logging"}}
    return post_mcp(target, json.dumps(call).encode(), headers | {"Accept": accept})


@_xfail("B11")
def test_fixed_bug_b11_stale_cancel_empty_stream(target: Target) -> None:
    """See _cancel_then_call, with Accept: application/json, text/event-stream."""
    response = _cancel_then_call(target, "application/json, text/event-stream")
    print(f"\n[fuzz] B11: {response.status_code} {response.mimetype} {response.get_data()[:100]!r}")
    assert_clean(response, "B11")
    assert sse_messages(response) if response.mimetype == "text/event-stream" else response.get_json(), "no reply"


@_xfail("B12")
def test_fixed_bug_b12_stale_cancel_json_only(target: Target) -> None:
    """See _cancel_then_call, with Accept: application/json."""
    response = _cancel_then_call(target, "application/json")
    print(f"\n[fuzz] B12: {response.status_code} {response.get_data()[:100]!r}")
    assert_clean(response, "B12")
