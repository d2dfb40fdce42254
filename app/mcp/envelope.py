"""Which protocol revision a request speaks, and the checks each revision demands.

2026-07-28 requests are self-contained: `_meta` names the version and the client's
capabilities, and the `MCP-Protocol-Version`, `Mcp-Method` and `Mcp-Name` headers
must agree with the body. Older revisions start with `initialize` and may carry a
session id; a request with no version header is 2025-03-26.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from app.mcp.context import LOG_LEVELS
from app.mcp.errors import HEADER_MISMATCH, INVALID_PARAMS, UNSUPPORTED_PROTOCOL_VERSION, ProtocolError
from app.mcp.jsonrpc import Message

LEGACY_VERSIONS = ("2025-03-26", "2025-06-18", "2025-11-25")
MODERN_VERSIONS = ("2026-07-28",)
SUPPORTED_VERSIONS = (*LEGACY_VERSIONS, *MODERN_VERSIONS)
#: What a request without the version header speaks (transport spec, "Protocol Version Header").
DEFAULT_VERSION = "2025-03-26"
VERSION_KEY = "io.modelcontextprotocol/protocolVersion"
CAPABILITIES_KEY = "io.modelcontextprotocol/clientCapabilities"
LOG_LEVEL_KEY = "io.modelcontextprotocol/logLevel"
#: The body field each method mirrors into the `Mcp-Name` header.
NAMED_PARAMS = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}
BASE64_VALUE = re.compile(r"=\?base64\?(.*)\?=")


@dataclass
class Envelope:
    """What the dispatcher needs to know about a request besides its method and params."""

    version: str
    modern: bool
    client_capabilities: Mapping[str, Any] = field(default_factory=dict)
    log_level: str | None = None
    session_id: str | None = None
    #: Legacy: the session's stored state, as loaded for this request.
    session_state: dict[str, Any] | None = None


def is_modern(message: Message, headers: Mapping[str, str]) -> bool:
    """Return whether `message` uses the 2026-07-28 per-request envelope."""
    header = headers.get("MCP-Protocol-Version")
    meta = message.params.get("_meta")
    has_envelope = isinstance(meta, dict) and (VERSION_KEY in meta or CAPABILITIES_KEY in meta)
    return has_envelope or message.method == "server/discover" or (header is not None and header not in LEGACY_VERSIONS)


def modern_envelope(message: Message, headers: Mapping[str, str]) -> Envelope:
    """Check a 2026-07-28 request's `_meta` and headers, in the order the spec ranks them."""
    header = headers.get("MCP-Protocol-Version")
    if header is not None and header not in SUPPORTED_VERSIONS:
        raise unsupported(header, MODERN_VERSIONS)
    meta = message.params.get("_meta")
    if not isinstance(meta, dict) or VERSION_KEY not in meta or CAPABILITIES_KEY not in meta:
        raise ProtocolError(INVALID_PARAMS, f"params._meta must carry {VERSION_KEY} and {CAPABILITIES_KEY}", status=400)
    version, capabilities = meta[VERSION_KEY], meta[CAPABILITIES_KEY]
    if headers.get("MCP-Protocol-Version") != version:
        raise _mismatch("the MCP-Protocol-Version header does not match _meta's protocol version")
    if headers.get("Mcp-Method") != message.method:
        raise _mismatch("the Mcp-Method header does not match the request's method")
    named = NAMED_PARAMS.get(message.method)
    if named and decode_header(headers.get("Mcp-Name")) != message.params.get(named):
        raise _mismatch(f"the Mcp-Name header does not match the request's {named!r}")
    if not isinstance(version, str) or version not in MODERN_VERSIONS:
        raise unsupported(str(version), MODERN_VERSIONS)
    if not isinstance(capabilities, dict):
        raise ProtocolError(INVALID_PARAMS, f"{CAPABILITIES_KEY} must be an object", status=400)
    return Envelope(version, True, capabilities, _log_level(meta))


def legacy_version(headers: Mapping[str, str]) -> str:
    """Return the version a pre-2026 request speaks, from its header (400 if unknown)."""
    version = headers.get("MCP-Protocol-Version", DEFAULT_VERSION)
    if version not in LEGACY_VERSIONS:
        raise unsupported(version, SUPPORTED_VERSIONS)
    return version


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


def _log_level(meta: Mapping[str, Any]) -> str | None:
    level = meta.get(LOG_LEVEL_KEY)
    if level is not None and level not in LOG_LEVELS:
        raise ProtocolError(INVALID_PARAMS, f"{LOG_LEVEL_KEY} must be one of {', '.join(LOG_LEVELS)}", status=400)
    return level


def unsupported(requested: str | None, supported: tuple[str, ...]) -> ProtocolError:
    """Return the -32022 error naming the versions this server speaks."""
    data = {"supported": list(supported), "requested": requested}
    return ProtocolError(UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version", data, 400)


def _mismatch(message: str) -> ProtocolError:
    return ProtocolError(HEADER_MISMATCH, f"Header mismatch: {message}", status=400)
