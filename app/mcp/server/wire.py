"""Request params in, results out, checked against the wire schema of the request's version.

mcp-types (pydantic) does it for every method. `tools/call`, which agents call in tight
loops, has a hand-written equivalent: its params are a name and an argument object, and
its results are built here from validated content models, so they need no second pass
in the revisions that know every field this server emits.
"""

from __future__ import annotations

from typing import Any

from mcp_types.methods import CLIENT_REQUESTS, parse_client_request, serialize_server_result
from pydantic import ValidationError

from app.mcp.errors import INVALID_PARAMS, ProtocolError
from app.mcp.server.jsonrpc import Message

#: Revisions whose tools/call result schema has every field this server emits.
COMPLETE_SCHEMAS = ("2025-06-18", "2025-11-25", "2026-07-28")


def check_params(message: Message, version: str) -> None:
    """Raise -32602 if the params do not fit the method's schema in `version`."""
    if message.method == "tools/call" and version in COMPLETE_SCHEMAS:
        problem = _tools_call_problem(message.params)
    else:
        try:
            parse_client_request(message.method, version, message.params)
            problem = None
        except ValidationError as error:
            problem = "; ".join(
                f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors(include_url=False)[:3]
            )
    if problem:
        raise ProtocolError(INVALID_PARAMS, f"Invalid params: {problem}")


def shape_result(method: str, version: str, result: dict[str, Any]) -> dict[str, Any]:
    """Return `result` as the revision's schema has it (pydantic, except the fast path); an extension's method or
    result (not in the revision's schema) goes as its handler built it."""
    if method == "tools/call" and version in COMPLETE_SCHEMAS and result.get("resultType", "complete") == "complete":
        return result
    if (method, version) not in CLIENT_REQUESTS or result.get("resultType") == "task":
        return result  # not the revision's: an extension's method, or a task an extension started
    shaped = serialize_server_result(method, version, result)
    extensions = (result.get("capabilities") or {}).get("extensions")
    if extensions and isinstance(shaped.get("capabilities"), dict):
        shaped["capabilities"]["extensions"] = extensions  # SEP-2133: schemas before 2026-07-28 do not name them
    return shaped


def _tools_call_problem(params: dict[str, Any]) -> str | None:
    if not isinstance(params.get("name"), str) or not params["name"]:
        return "name: a tool name (string) is required"
    if params.get("arguments") is not None and not isinstance(params["arguments"], dict):
        return "arguments: must be an object"
    if params.get("_meta") is not None and not isinstance(params["_meta"], dict):
        return "_meta: must be an object"
    return None
