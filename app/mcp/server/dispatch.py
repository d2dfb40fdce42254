"""Route one JSON-RPC message to its revision and method, check what it names, and answer it.

The engine is written for 2026-07-28 (`modern.Modern`). Another family of revisions
plugs in by registering a `Revision` (app/mcp/legacy registers the `initialize`-based
ones): it says which requests are its own, and answers the few questions where the
families differ. Nothing else in the engine asks which revision a request speaks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from flask import Flask, Request
from mcp_types.methods import CLIENT_REQUESTS
from werkzeug.wrappers import Response

from app.auth.principal import Principal
from app.extensions import this_app
from app.mcp.errors import METHOD_NOT_FOUND, ProtocolError
from app.mcp.server import access, observe, transport, wire
from app.mcp.server.call import Call
from app.mcp.server.jsonrpc import Message
from app.mcp.server.request_headers import RequestHeaders
from app.mcp.specs import PromptSpec, ResourceSpec, ToolSpec

if TYPE_CHECKING:
    from app.mcp.server.channel import Channel
    from app.mcp.server.registry import Registry

Handler = Callable[["Call"], dict[str, Any]]
#: Wraps a method's handler: given it and the call, answers the call (running the handler or not).
Wrapper = Callable[[Handler, "Call"], dict[str, Any]]


@dataclass
class Envelope:
    """What the engine knows of a request besides its method and params, as its revision read it."""

    version: str
    client_capabilities: Mapping[str, Any] = field(default_factory=dict)
    log_level: str | None = None


class Revision(Protocol):
    """A family of protocol revisions."""

    #: The versions it speaks, and the methods it answers.
    versions: tuple[str, ...]
    methods: Mapping[str, Handler]
    #: The error code of "resource not found".
    resource_not_found: int

    def claims(self, message: Message, headers: Mapping[str, str]) -> bool:
        """Whether the request is one of this family's (the built-in revision takes what no other claims)."""

    def envelope(self, message: Message, principal: Principal, headers: Mapping[str, str]) -> Envelope:
        """Check what the request carries besides its params; raise ProtocolError if it is not right."""

    def accept(self, message: Message, principal: Principal, headers: Mapping[str, str]) -> Response:
        """Take a notification, or a response to a question the server asked."""

    def channel(self, call: Call) -> Channel:
        """The channel the call talks to its client through."""

    def run(self, call: Call) -> dict[str, Any]:
        """Run the call's method and return its result."""

    def finish(self, call: Call, result: dict[str, Any]) -> dict[str, Any]:
        """Frame a result as the revision has it."""

    def result_headers(self, call: Call) -> dict[str, str] | None:
        """Headers the call's result travels with, when it goes as JSON (a stream's are sent already)."""

    def status(self, problem: ProtocolError) -> int:
        """The HTTP status a JSON-RPC error travels with."""


def init_app(app: Flask, built_in: Revision) -> None:
    app.extensions["mcp_revisions"] = [built_in]


def register(app: Flask, revision: Revision) -> None:
    """Serve `revision` too: it is asked first whether a request is its own."""
    app.extensions["mcp_revisions"].insert(0, revision)


def add_method(app: Flask, method: str, handler: Handler, named: str | None = None) -> None:
    """Serve an extension's method (skills/list, ...) in every revision; its handler checks its params.

    `named` is the param a 2026-07-28 client mirrors into the `Mcp-Name` header (tasks/get: `taskId`).
    """
    app.extensions.setdefault("mcp_extension_methods", {})[method] = handler
    if named:
        app.extensions.setdefault("mcp_extension_names", {})[method] = named


def wrap_method(app: Flask, method: str, wrapper: Wrapper) -> None:
    """Let an extension change how a method answers (tasks: tools/call may start a task instead)."""
    app.extensions.setdefault("mcp_method_wrappers", {})[method] = wrapper


def extension_methods() -> Mapping[str, Handler]:
    return this_app().extensions.get("mcp_extension_methods", {})


def extension_name_param(method: str) -> str | None:
    """The param an extension's method mirrors into `Mcp-Name`, if any."""
    return this_app().extensions.get("mcp_extension_names", {}).get(method)


def revision_of(message: Message, headers: Mapping[str, str]) -> Revision:
    """The revision a request speaks: the first that claims it, else the built-in one."""
    *plugged, built_in = this_app().extensions["mcp_revisions"]
    return next((revision for revision in plugged if revision.claims(message, headers)), built_in)


def versions() -> tuple[str, ...]:
    """Every version this server speaks, oldest first."""
    return tuple(
        sorted(version for revision in this_app().extensions["mcp_revisions"] for version in revision.versions)
    )


def handle(message: Message, principal: Principal, req: Request) -> Response:
    """Answer `message`: a result or error for a request, 202 for anything else accepted."""
    headers = RequestHeaders(req.environ)
    revision = revision_of(message, headers)
    try:
        if message.kind != "request":
            return revision.accept(message, principal, headers)
        call = _call(revision, message, principal, headers)
        return transport.answer(call)
    except ProtocolError as problem:
        observe.refused(message, principal, problem, _known_method(message.method))
        return transport.error_response(problem, message.id, revision.status(problem))


def _known_method(method: str) -> bool:
    return method in extension_methods() or any(known == method for known, _ in CLIENT_REQUESTS)


def _call(revision: Revision, message: Message, principal: Principal, headers: RequestHeaders) -> Call:
    """The call `message` asks for, once its envelope, method, params and scopes have passed."""
    envelope = revision.envelope(message, principal, headers)
    handler = revision.methods.get(message.method)
    if handler is None or (message.method, envelope.version) not in CLIENT_REQUESTS:
        handler = extension_methods().get(message.method)
        if handler is None:
            raise ProtocolError(METHOD_NOT_FOUND, f"Method not found: {message.method}")
    else:
        wire.check_params(message, envelope.version)  # an extension's method checks its own params
    extensions = this_app().extensions
    wrapper = extensions.get("mcp_method_wrappers", {}).get(message.method)
    if wrapper is not None:
        handler = partial(wrapper, handler)
    target = _target(message.method, message.params, extensions["mcp"])
    if target and target[0].scopes:
        access.require_scopes(principal, target[0].scopes)
    streaming = "text/event-stream" in headers.get("Accept", "")
    return Call(message, envelope, principal, target, handler, revision, streaming)


def _target(
    method: str, params: dict[str, Any], registry: Registry
) -> tuple[ToolSpec | PromptSpec | ResourceSpec, dict[str, str]] | None:
    """The tool, prompt or resource a request names, with a resource template's variables (None if none).

    Every method that names one is here, whether it runs it or not (completions,
    subscriptions): each needs the scopes of what it names.
    """
    if method in ("resources/read", "resources/subscribe", "resources/unsubscribe"):
        return registry.find_resource(params["uri"]) if isinstance(params.get("uri"), str) else None
    if method == "tools/call":
        spec = registry.tools.get(params.get("name"))
    elif method == "prompts/get":
        spec = registry.prompts.get(params.get("name"))
    elif method == "completion/complete":
        spec = registry.completion_target(params.get("ref") or {})
    else:
        return None
    return (spec, {}) if spec is not None else None
