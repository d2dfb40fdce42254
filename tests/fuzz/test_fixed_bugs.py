"""The server bugs and deviations found: minimal reproducers, regression tests once fixed, strict xfail while open."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.wrappers import Response

from tests.fuzz.harness import assert_clean, assert_oauth_error, post_mcp, send, sse_messages
from tests.fuzz.known import (
    DEVIATIONS,
    FIXED_BUGS,
    FRAMEWORK_STATUSES,
    KNOWN_BUGS,
    MAX_CONTENT_LENGTH,
    NESTED,
    OAUTH_ENDPOINTS,
    PUBLIC_REDIRECT,
    TOKEN,
)
from tests.fuzz.target import Target, basic, initialize, pkce

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
