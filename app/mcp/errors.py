"""JSON-RPC and MCP error codes, and the exceptions that carry them to the client."""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
#: Legacy (before 2026-07-28) "resource not found".
RESOURCE_NOT_FOUND_LEGACY = -32002
HEADER_MISMATCH = -32020
MISSING_CLIENT_CAPABILITY = -32021
UNSUPPORTED_PROTOCOL_VERSION = -32022


class ProtocolError(Exception):
    """A JSON-RPC error response, with the HTTP status it travels with."""

    def __init__(self, code: int, message: str, data: Any = None, status: int = 200) -> None:
        super().__init__(message)
        self.code, self.message, self.data, self.status = code, message, data, status
        #: The id of the request it answers, when the request got far enough to have one.
        self.request_id: str | int | None = None
        #: HTTP headers the response needs (WWW-Authenticate, Allow).
        self.headers: dict[str, str] = {}

    def to_json(self) -> dict[str, Any]:
        error = {"code": self.code, "message": self.message}
        return error | ({"data": self.data} if self.data is not None else {})


class MissingCapability(ProtocolError):
    """The operation needs a client capability the client did not declare."""

    def __init__(self, capability: str) -> None:
        data = {"requiredCapabilities": {capability: {}}}
        super().__init__(MISSING_CLIENT_CAPABILITY, f"client capability {capability!r} is required", data, 400)


class ToolError(Exception):
    """Raise in a tool to fail the call with this message, shown to the client as is.

    Any other exception also fails the call, but with a generic message: its details
    go to the server log only.
    """


class InputRequired(Exception):
    """Raised inside a 2026-07-28 call that needs answers from the client first."""

    def __init__(self, requests: dict[str, dict[str, Any]]) -> None:
        super().__init__(", ".join(requests))
        self.requests = requests
