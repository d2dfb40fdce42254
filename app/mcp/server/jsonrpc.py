"""JSON-RPC 2.0 envelopes: parse one inbound message, build outbound ones."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from app.mcp.errors import INVALID_REQUEST, PARSE_ERROR, ProtocolError

RequestId = str | int
#: A message's bytes as `parse` checks them, in one pass of `bytes.translate` (a regular expression took up to four
#: times as long on a tools/call): a digit becomes "0", an opening bracket ("{" or "[") "{", any other byte a space.
SHAPES = bytes(48 if 48 <= byte <= 57 else 123 if byte in (91, 123) else 32 for byte in range(256))
#: An integer of 19 digits or more may not fit in 64 bits (orjson would make it a float).
BIG_INTEGER = b"0" * 19
#: How deep objects and arrays may nest in a message. Far past any tool's arguments, and far
#: from Python's recursion limit, which json.dumps and others hit at about a thousand.
MAX_DEPTH = 100


@dataclass(frozen=True)
class Message:
    """One inbound message: a request (id + method), a notification, or a response."""

    kind: str  # "request", "notification" or "response"
    id: RequestId | None = None
    method: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


def parse(data: bytes) -> Message:
    """Return the message in `data`, or raise ProtocolError (-32700 or -32600, HTTP 400)."""
    # orjson reads integers beyond 64 bits as floats, losing them: leave those to json.
    shape = data.translate(SHAPES)
    try:
        body = _slow_loads(data) if BIG_INTEGER in shape else orjson.loads(data)
    except orjson.JSONDecodeError:
        body = _slow_loads(data)  # e.g. lone surrogates, which json reads and then refuses
    if isinstance(body, list):
        raise _invalid("batches are not supported")
    if not isinstance(body, dict) or body.get("jsonrpc") != "2.0":
        raise _invalid("expected a JSON-RPC 2.0 object")
    has_id = "id" in body
    if has_id and not _valid_id(body["id"]):
        raise _invalid("id must be a string or an integer")
    request_id = body["id"] if has_id else None
    # Only a body with more brackets than the limit can be nested past it (counting them costs next to nothing).
    if shape.count(b"{") > MAX_DEPTH and _deeper_than(body, MAX_DEPTH):
        raise _invalid(f"JSON nested more than {MAX_DEPTH} deep", request_id)
    if "method" in body:
        return _request_or_notification(body, request_id)
    if has_id and ("result" in body) != ("error" in body):
        return Message("response", request_id, body=body)
    raise _invalid("no method, and not a response")


def _deeper_than(value: Any, limit: int) -> bool:
    """Return whether objects and arrays nest in `value` more than `limit` deep (without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _slow_loads(data: bytes) -> Any:
    try:
        body = json.loads(data)
        # A lone surrogate (\ud800, or its bytes) is no character: nothing could echo it back.
        json.dumps(body, ensure_ascii=False).encode()
        return body
    except (ValueError, RecursionError):  # bad JSON, bad UTF-8, surrogates, or nesting too deep
        raise ProtocolError(PARSE_ERROR, "Parse error: the body is not valid JSON text", status=400) from None


def _request_or_notification(body: dict[str, Any], request_id: RequestId | None) -> Message:
    method, params = body["method"], body.get("params", {})
    if not isinstance(method, str) or not method:
        raise _invalid("method must be a string", request_id)
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise _invalid("params must be an object", request_id)
    return Message("request" if "id" in body else "notification", request_id, method, params, body)


def _invalid(problem: str, request_id: RequestId | None = None) -> ProtocolError:
    return ProtocolError(INVALID_REQUEST, f"Invalid request: {problem}", status=400, request_id=request_id)


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def result(request_id: RequestId, result: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def error(request_id: RequestId | None, problem: ProtocolError) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "error": problem.to_json()}


def notification(method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "method": method, "params": params}


def request(request_id: RequestId, method: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "method": method, "params": params}


def dumps(message: dict[str, Any]) -> str:
    """Compact, one-line JSON (SSE data lines and line-reading clients need one line)."""
    try:
        return orjson.dumps(message).decode()
    except TypeError:  # an integer beyond 64 bits, or a value orjson does not know
        return json.dumps(message, separators=(",", ":"), ensure_ascii=True, default=str)


def ending(response: dict[str, Any]) -> tuple[str, str]:
    """How a request ended, from its JSON-RPC response: its outcome (ok, tool_error, protocol_error) and its
    error type (the JSON-RPC code, tool_error, or empty)."""
    error, result = response.get("error"), response.get("result")
    if isinstance(error, dict):
        return "protocol_error", str(error.get("code"))
    if isinstance(result, dict) and result.get("isError") is True:
        return "tool_error", "tool_error"
    return "ok", ""
