"""Sending and judging: send (an escape from the app is a finding), the checks answers meet, known bugs met."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask.testing import FlaskClient
from pydantic import ValidationError
from werkzeug.wrappers import Response

from app.oauth.clients import redirect_problem
from app.oauth.registration import ClientMetadata
from tests.fuzz.known import FIXED_BUGS, KNOWN_BUGS, OAUTH_TEXT, Tally
from tests.fuzz.strategies import Exchange
from tests.fuzz.target import Target

# ---------------------------------------------------------------------------------------------
# Any endpoint: sending, no 5xx, OAuth errors.
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
# /mcp: posting, reading event streams, judging JSON-RPC replies.
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


# ---------------------------------------------------------------------------------------------
# OAuth: the known bug an input hits (the OAuth fuzzers and schemathesis both ask).
# ---------------------------------------------------------------------------------------------


def authorization_bug(headers: Mapping[str, str]) -> str | None:
    """The known bug (B10) an Authorization value hits: a space in it, yet one word once split on whitespace."""
    value = headers.get("Authorization", "")
    return "B10" if " " in value and len(value.split(None, 1)) < 2 else None


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


def authorize_bug(query: Mapping[str, str]) -> str | None:
    """The known bug (B7) a query hits: a response_type or redirect_uri Authlib cannot put in an error."""
    for name in ("response_type", "redirect_uri"):
        if name in query and not OAUTH_TEXT.fullmatch(query[name]):
            return "B7"
    return None
