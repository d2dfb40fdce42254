"""A span for each MCP request, as the OpenTelemetry semantic conventions for MCP have them.

Imported only when traces are on (app.tracing). The span is named `{mcp.method.name}
{target}` (the tool's or prompt's name; a resource's URI only as an attribute), of kind
SERVER, and carries `mcp.method.name`, `mcp.protocol.version`, `jsonrpc.request.id`,
`mcp.session.id` (legacy sessions), `gen_ai.tool.name` and `gen_ai.operation.name`,
`gen_ai.prompt.name`, `mcp.resource.uri`, and how it ended: `error.type` with the
JSON-RPC error code (and `rpc.response.status_code`), or `tool_error` for an `isError`
result. Its parent is the trace context the client put in `params._meta` (`traceparent`,
`tracestate`, `baggage`: SEP-414), linked to the HTTP request's span; without one, the
HTTP request's span. Arguments and results are never recorded.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import Link, Span, SpanKind, StatusCode

from app.mcp.server import jsonrpc

TRACER = trace.get_tracer("app.mcp")
#: The span attribute naming what a method acts on, by the parameter that names it.
NAMED = {"tools/call": "gen_ai.tool.name", "prompts/get": "gen_ai.prompt.name"}
URI_METHODS = ("resources/read", "resources/subscribe", "resources/unsubscribe")


@contextmanager
def operation(
    method: str, params: Mapping[str, Any], request_id: Any, version: str | None, session_id: str | None
) -> Iterator[Span]:
    """The span of one request, current while the block runs; `ended` records how it ended."""
    attributes: dict[str, Any] = {
        "mcp.method.name": method,
        "network.transport": "tcp",
        "network.protocol.name": "http",
    }
    attributes |= {"jsonrpc.request.id": str(request_id)} if request_id is not None else {}
    attributes |= {"mcp.protocol.version": version} if version else {}
    attributes |= {"mcp.session.id": session_id} if session_id else {}
    name = method
    if method in NAMED and isinstance(params.get("name"), str):
        attributes[NAMED[method]] = name_of = params["name"]
        name = f"{method} {name_of}"
        attributes |= {"gen_ai.operation.name": "execute_tool"} if method == "tools/call" else {}
    if method in URI_METHODS and isinstance(params.get("uri"), str):
        attributes["mcp.resource.uri"] = params["uri"]
    parent, links = _parent(params.get("_meta"))
    with TRACER.start_as_current_span(
        name, context=parent, kind=SpanKind.SERVER, attributes=attributes, links=links, set_status_on_exception=False
    ) as span:
        yield span


def ended(span: Span, response: dict[str, Any]) -> None:
    """Record how the request ended, from its JSON-RPC response."""
    outcome, error_type = jsonrpc.ending(response)
    if outcome == "protocol_error":
        span.set_attributes({"error.type": error_type, "rpc.response.status_code": error_type})
        span.set_status(StatusCode.ERROR, str(response["error"].get("message", "")))
    elif outcome == "tool_error":
        span.set_attribute("error.type", error_type)
        span.set_status(StatusCode.ERROR, "the tool returned an error")


def refused(method: str, params: Mapping[str, Any], request_id: Any, code: int, message: str) -> None:
    """A span for a request refused before it ran (an invalid envelope, an unknown method, a missing scope)."""
    with operation(method, params, request_id, None, None) as span:
        ended(span, {"error": {"code": code, "message": message}})


def _parent(meta: Any) -> tuple[Any, tuple[Link, ...]]:
    """The context the client sent in `_meta`, linked to the HTTP request's span; else none (the current one)."""
    if not (isinstance(meta, Mapping) and isinstance(meta.get("traceparent"), str)):
        return None, ()
    carrier = {key: meta[key] for key in ("traceparent", "tracestate", "baggage") if isinstance(meta.get(key), str)}
    http = trace.get_current_span().get_span_context()
    return propagate.extract(carrier), ((Link(http),) if http.is_valid else ())
