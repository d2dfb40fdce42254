"""2026-07-28, the revision the engine is written for: every request stands alone.

`_meta` names the version and the client's capabilities, and the
`MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers must agree with the body, as must
the `Mcp-Param-*` headers of the tool parameters marked with `header()` (app/mcp/headers.py).
A question for the client ends the call with an input-required result (see
`input_required`); closing the response stream cancels a call. JSON-RPC errors travel
with the HTTP status the transport spec gives each.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from app.auth.principal import Principal
from app.mcp.context import LOG_LEVELS
from app.mcp.errors import (
    HEADER_MISMATCH,
    INVALID_PARAMS,
    INVALID_REQUEST,
    UNSUPPORTED_PROTOCOL_VERSION,
    ProtocolError,
)
from app.mcp.server import discovery, dispatch, input_required, listen, methods
from app.mcp.server.dispatch import Envelope
from app.mcp.server.jsonrpc import Message

if TYPE_CHECKING:
    from app.mcp.server.call import Call
    from app.mcp.server.registry import Registry
    from app.mcp.specs import ToolSpec

VERSIONS = ("2026-07-28",)
VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
LOG_LEVEL_KEY = "io.modelcontextprotocol/logLevel"
#: The body field each method mirrors into the `Mcp-Name` header.
NAMED_PARAMS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
BASE64_VALUE = re.compile(r"=\?base64\?(.*)\?=")
#: An integer as a header carries it (a trailing ".0" allowed, as in "42.0"); no exponents, signs or separators.
INTEGER_TEXT = re.compile(r"-?\d+(?:\.0+)?")
#: What an HTTP header value may carry (RFC 9110): visible ASCII, space and tab.
HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
#: The HTTP status of a JSON-RPC error (others travel with 200).
STATUS = {-32700: 400, -32600: 400, -32602: 400, -32020: 400, -32021: 400, -32022: 400, -32601: 404}


class Modern:
    """The 2026-07-28 revision, as the engine's `dispatch.Revision`."""

    versions = VERSIONS
    methods = methods.SHARED | {"server/discover": discovery.discover, listen.METHOD: listen.listen}
    resource_not_found = INVALID_PARAMS

    def __init__(self, server_info: dict[str, str], registry: Registry) -> None:
        self.server_info, self.registry = server_info, registry

    def claims(self, message: Message, headers: Mapping[str, str]) -> bool:
        return True  # built in: it takes what no other revision claims

    def envelope(self, message: Message, principal: Principal, headers: Mapping[str, str]) -> Envelope:
        """Check `_meta` and the headers, in the order the spec ranks them."""
        header = headers.get("MCP-Protocol-Version")
        if header is not None and header not in VERSIONS and header not in dispatch.versions():
            raise unsupported(header, VERSIONS)
        meta = message.params.get("_meta")
        if not isinstance(meta, dict) or VERSION_KEY not in meta or CAPABILITIES_KEY not in meta:
            raise ProtocolError(
                INVALID_PARAMS, f"params._meta must carry {VERSION_KEY} and {CAPABILITIES_KEY}", status=400
            )
        version, capabilities = meta[VERSION_KEY], meta[CAPABILITIES_KEY]
        if header != version:
            raise _mismatch("the MCP-Protocol-Version header does not match _meta's protocol version")
        method_header = headers.get("Mcp-Method")
        if method_header != message.method:
            raise _mismatch(_header_problem("Mcp-Method", method_header, "the request's method"))
        named = NAMED_PARAMS.get(message.method) or dispatch.extension_name_param(message.method)
        if named and decode_header(name_header := headers.get("Mcp-Name")) != message.params.get(named):
            raise _mismatch(_header_problem("Mcp-Name", name_header, f"the request's {named!r}"))
        if message.method == "tools/call":  # its name matches the Mcp-Name header by now: a string, or none
            spec = self.registry.tools.get(message.params.get("name"))
            if spec is not None and spec.headers:
                _check_mirrored(spec, message.params.get("arguments"), headers)
        if not isinstance(version, str) or version not in VERSIONS:
            raise unsupported(str(version), VERSIONS)
        if not isinstance(capabilities, dict):
            raise ProtocolError(INVALID_PARAMS, f"{CAPABILITIES_KEY} must be an object", status=400)
        return Envelope(version, capabilities, _log_level(meta) if LOG_LEVEL_KEY in meta else None)

    def accept(self, message: Message, principal: Principal, headers: Mapping[str, str]) -> Response:
        """2026-07-28 defines no notifications from clients over HTTP: accept and drop any, so long as the
        version is one this server speaks. A response answers nothing: the server asks no questions mid-call."""
        if message.kind == "notification":
            version = headers.get("MCP-Protocol-Version")
            if version not in VERSIONS:
                raise unsupported(version, VERSIONS)
            return Response(status=202)
        self.envelope(message, principal, headers)
        raise ProtocolError(INVALID_REQUEST, "No question with this id is waiting for an answer", status=400)

    def channel(self, call: Call) -> input_required.AnsweringChannel:
        return input_required.channel(call)

    def run(self, call: Call) -> dict[str, Any]:
        return input_required.run(call)

    def finish(self, call: Call, result: dict[str, Any]) -> dict[str, Any]:
        """Every result says what kind it is, and names the server."""
        meta = {discovery.SERVER_INFO_KEY: self.server_info} | result.get("_meta", {})
        return {"resultType": "complete"} | result | {"_meta": meta}

    def result_headers(self, call: Call) -> dict[str, str] | None:
        return None

    def status(self, problem: ProtocolError) -> int:
        return problem.status if problem.status != 200 else STATUS.get(problem.code, 200)


def decode_header(value: str | None) -> str | None:
    """Return a header value as sent: trimmed, `=?base64?...?=` decoded (None if malformed)."""
    if value is None:
        return None
    value = value.strip()
    encoded = BASE64_VALUE.fullmatch(value)
    if not encoded:
        return value
    try:
        decoded = base64.b64decode(encoded.group(1), validate=True)
        return decoded.decode() if base64.b64encode(decoded).decode() == encoded.group(1) else None
    except (binascii.Error, UnicodeDecodeError):
        return None


def _check_mirrored(spec: ToolSpec, arguments: Any, headers: Mapping[str, str]) -> None:
    """Each parameter the tool mirrors into an `Mcp-Param-*` header: the header is sent exactly when the
    arguments hold a value there, carries only what a header value may, and says what the body says."""
    for parameter in spec.headers:
        value = _value_at(arguments, parameter.path)
        name, where = parameter.header_name, f"the argument {'.'.join(parameter.path)!r}"
        sent = headers.get(name)
        if value is None and sent is None:
            continue
        if value is None:
            raise _mismatch(f"the {name} header is sent but {where} is not")
        if sent is None:
            raise _mismatch(_header_problem(name, sent, where))
        decoded = decode_header(sent) if HEADER_VALUE.fullmatch(sent) else None
        if decoded is None:
            raise _mismatch(f"the {name} header carries characters a header may not, or malformed base64")
        if not _says(decoded, value, parameter.type):
            raise _mismatch(_header_problem(name, sent, where))


def _value_at(arguments: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(arguments, dict):
            return None
        arguments = arguments.get(key)
    return arguments


def _says(text: str, value: Any, kind: str) -> bool:
    """Whether header `text` carries `value`: integers compared as numbers (42.0 is 42), booleans lowercase."""
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return INTEGER_TEXT.fullmatch(text) is not None and Decimal(text) == Decimal(value)
    if isinstance(value, bool):
        return text == ("true" if value else "false")
    return text == (value if isinstance(value, str) else json.dumps(value))


def unsupported(requested: str | None, supported: tuple[str, ...]) -> ProtocolError:
    """Return the -32022 error naming the versions this server speaks."""
    data = {"supported": list(supported), "requested": requested}
    return ProtocolError(UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version", data, 400)


def _log_level(meta: Mapping[str, Any]) -> str | None:
    level = meta.get(LOG_LEVEL_KEY)
    if level is not None and level not in LOG_LEVELS:
        raise ProtocolError(INVALID_PARAMS, f"{LOG_LEVEL_KEY} must be one of {', '.join(LOG_LEVELS)}", status=400)
    return level


def _header_problem(name: str, value: str | None, what: str) -> str:
    """Say whether a required header is missing or says something else than the body."""
    if value is None:
        return f"the {name} header is missing: it must carry {what}"
    return f"the {name} header does not match {what}"


def _mismatch(message: str) -> ProtocolError:
    return ProtocolError(HEADER_MISMATCH, f"Header mismatch: {message}", status=400)
