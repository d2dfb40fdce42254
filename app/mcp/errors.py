"""The errors a tool may raise, and the JSON-RPC codes they travel with.

Raise `ToolError` to fail a call with a message the client sees; any other exception
also fails it, with a generic message (the details go to the server log). Raise
`ProtocolError` to answer with a JSON-RPC error instead of a result. `Cancelled` and
`MissingCapability` come from `Context` when the client gave up, or cannot be asked.
"""

from __future__ import annotations

from typing import Any

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
HEADER_MISMATCH = -32020
MISSING_CLIENT_CAPABILITY = -32021
UNSUPPORTED_PROTOCOL_VERSION = -32022


class ToolError(Exception):
    """Raise in a tool to fail the call with this message, shown to the client as is."""


class Cancelled(Exception):
    """The client gave up on this request (it closed the stream or sent a cancel)."""


class ProtocolError(Exception):
    """A JSON-RPC error response, with the HTTP status and headers it travels with."""

    def __init__(
        self,
        code: int,
        message: str,
        data: Any = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        request_id: str | int | None = None,
    ) -> None:
        super().__init__(message)
        self.code, self.message, self.data, self.status = code, message, data, status
        #: HTTP headers the response needs (WWW-Authenticate, Allow).
        self.headers: dict[str, str] = headers or {}
        #: The id of the request it answers, when the error is raised before the request is known to be one
        #: (while it is parsed); later errors are answered with the request's id where they are caught.
        self.request_id = request_id

    def to_json(self) -> dict[str, Any]:
        error = {"code": self.code, "message": self.message}
        return error | ({"data": self.data} if self.data is not None else {})


class MissingCapability(ProtocolError):
    """The operation needs a client capability the client did not declare."""

    def __init__(self, capability: str) -> None:
        data = {"requiredCapabilities": {capability: {}}}
        super().__init__(MISSING_CLIENT_CAPABILITY, f"client capability {capability!r} is required", data, 400)
