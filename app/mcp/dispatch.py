"""Route one JSON-RPC message to its method, in the protocol revision it speaks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Request
from mcp_types.methods import CLIENT_REQUESTS
from werkzeug.wrappers import Response

from app.auth.principal import Principal
from app.mcp import access, channels, handlers, jsonrpc, lifecycle, sessions, shapes, transport
from app.mcp.call import Call
from app.mcp.channels import StreamChannel
from app.mcp.envelope import MODERN_VERSIONS, Envelope, is_modern, legacy_version, modern_envelope, unsupported
from app.mcp.errors import (
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    ProtocolError,
)
from app.mcp.jsonrpc import Message

SHARED = {
    "tools/list": handlers.list_tools,
    "tools/call": handlers.call_tool,
    "resources/list": handlers.list_resources,
    "resources/templates/list": handlers.list_resource_templates,
    "resources/read": handlers.read_resource,
    "prompts/list": handlers.list_prompts,
    "prompts/get": handlers.get_prompt,
    "completion/complete": handlers.complete,
}
MODERN = SHARED | {"server/discover": lifecycle.discover}
LEGACY = SHARED | {
    "initialize": lifecycle.initialize,
    "ping": lifecycle.ping,
    "logging/setLevel": lifecycle.set_level,
    "resources/subscribe": lifecycle.subscribe,
    "resources/unsubscribe": lifecycle.unsubscribe,
}


def handle(message: Message, principal: Principal, req: Request) -> Response:
    """Answer `message`: a result or error for a request, 202 for anything else accepted."""
    headers = req.headers
    modern = is_modern(message, headers)
    if modern and message.kind == "notification":
        # 2026-07-28 defines no notifications from clients over HTTP; accept and drop
        # any, so long as the version is one this server speaks.
        return _accept_modern_notification(headers)
    try:
        envelope = modern_envelope(message, headers) if modern else _legacy_envelope(message, principal, headers)
    except ProtocolError as problem:
        problem.request_id = message.id
        raise
    if message.kind != "request":
        return _accept(message, envelope, principal)
    table = MODERN if modern else LEGACY
    handler = table.get(message.method)
    if handler is None or (message.method, envelope.version) not in CLIENT_REQUESTS:
        problem = ProtocolError(METHOD_NOT_FOUND, f"Method not found: {message.method}")
        return transport.json_response(jsonrpc.error(message.id, problem), transport.status_of(problem, modern))
    shapes.check_params(message, envelope.version, modern)
    streaming = "text/event-stream" in headers.get("Accept", "")
    channel = StreamChannel(envelope.version, modern, streaming, envelope.session_id)
    channel.request_id, channel.subject = message.id, principal.subject
    call = Call(message, envelope, principal, channel)
    spec = call.spec  # the tool, prompt or resource addressed, if any
    try:
        access.require_scopes(principal, spec.scopes if spec else ())
    except ProtocolError as problem:
        problem.request_id = message.id
        raise
    # Only a function that runs and takes a Context can send anything before its result.
    may_talk = call.runs_target and spec is not None and spec.arguments.context_parameter is not None
    if may_talk and envelope.session_id:
        channels.forget_cancel(envelope.session_id, message.id)  # ids are reused: an old cancel is not for this
    response = transport.answer(call, handler, finish, may_talk)
    if message.method == "initialize" and envelope.session_id:
        response.headers["Mcp-Session-Id"] = envelope.session_id
    return response


def finish(call: Call, result: dict[str, Any]) -> dict[str, Any]:
    """Shape a result for the call's revision (dropping what it does not know)."""
    if call.envelope.modern:
        meta = {lifecycle.SERVER_INFO_KEY: lifecycle.server_info()} | result.get("_meta", {})
        result = {"resultType": "complete"} | result | {"_meta": meta}
    return shapes.shape_result(call.message.method, call.envelope.version, result)


def _legacy_envelope(message: Message, principal: Principal, headers: Mapping[str, str]) -> Envelope:
    version = legacy_version(headers)
    session_id = headers.get("Mcp-Session-Id")
    if message.method == "initialize" or not session_id:
        return Envelope(version, False, log_level=lifecycle.DEFAULT_LOG_LEVEL)
    state = sessions.load(session_id, principal)
    return Envelope(state["version"], False, state["capabilities"], state["log_level"], session_id, state)


def _accept(message: Message, envelope: Envelope, principal: Principal) -> Response:
    """Take a notification, or a client's answer to a question a tool asked."""
    if message.kind == "response":
        if envelope.modern or not channels.deliver(message.body, envelope.session_id, principal.subject):
            problem = ProtocolError(INVALID_REQUEST, "No question with this id is waiting for an answer", status=400)
            return transport.json_response(jsonrpc.error(message.id, problem), 400)
        return Response(status=202)
    if message.method == "notifications/cancelled" and envelope.session_id:
        channels.cancel(envelope.session_id, message.params.get("requestId"))
    return Response(status=202)


def _accept_modern_notification(headers: Mapping[str, str]) -> Response:
    version = headers.get("MCP-Protocol-Version")
    if version not in MODERN_VERSIONS:
        raise unsupported(version, MODERN_VERSIONS)
    return Response(status=202)
