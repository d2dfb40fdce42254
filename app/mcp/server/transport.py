"""Answer one call: as JSON, or as an event stream once it has something to send first.

A call that may talk to its client while it runs (a tool, resource or prompt that
takes a Context) runs in a thread of its own (a greenlet under the gevent worker); its
first message decides the response type: the result itself means plain JSON, a
notification or question means a stream, counted and capped by `streams`.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

from flask import Response, current_app

from app.extensions import this_app
from app.mcp.errors import INTERNAL_ERROR, Cancelled, ProtocolError, ToolError
from app.mcp.server import jsonrpc, listen, observe, streams
from app.mcp.server.call import Call
from app.tracing import attached, capture
from app.urls import carry_public_url, public_url

#: Seconds to wait for a call's first message before committing to a stream anyway.
FIRST_MESSAGE_WAIT = 10.0
SSE_HEADERS = {"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"}


def answer(call: Call) -> Response:
    """Run the call and return its HTTP response."""
    if not (call.may_talk and call.streaming):
        try:
            return json_response(*outcome(call))
        except Cancelled:  # the client cancelled it: it waits for no answer
            return Response(status=202)
    return _streamed(call)


#: A JSON-RPC response, the HTTP status it travels with, and its headers.
Outcome = tuple[dict[str, Any], int, dict[str, str] | None]


def outcome(call: Call) -> Outcome:
    """Run the call and return its JSON-RPC response; never raises but Cancelled. Traced, counted and audited
    when those are on (app.mcp.server.observe)."""
    return observe.observed(call, _outcome) if observe.wanted(call) else _outcome(call)


def _outcome(call: Call) -> Outcome:
    try:
        return jsonrpc.result(call.message.id, call.result()), 200, call.revision.result_headers(call)
    except ProtocolError as problem:
        return jsonrpc.error(call.message.id, problem), call.revision.status(problem), problem.headers
    except ToolError as failure:
        return jsonrpc.error(call.message.id, ProtocolError(INTERNAL_ERROR, str(failure))), 200, None
    except Cancelled:
        raise
    except Exception:
        current_app.logger.exception("MCP %s failed", call.message.method)
        return jsonrpc.error(call.message.id, ProtocolError(INTERNAL_ERROR, "Internal error")), 200, None


def error_response(problem: ProtocolError, request_id: jsonrpc.RequestId | None, status: int) -> Response:
    """A JSON-RPC error answering `request_id`, with the HTTP status and headers it travels with."""
    return json_response(jsonrpc.error(request_id, problem), status, problem.headers)


def json_response(message: dict[str, Any] | None, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = jsonrpc.dumps(message) if message is not None else ""
    mimetype = "application/json" if message is not None else None
    return Response(body, status, headers=headers, mimetype=mimetype)


def _streamed(call: Call) -> Response:
    app, outbox, base, trace_context = this_app(), call.channel.outbox, public_url(), capture()

    def work() -> None:
        with app.app_context(), attached(trace_context):
            carry_public_url(base)
            try:
                outbox.put(("done", outcome(call)))
            except Cancelled:
                outbox.put(("done", None))

    threading.Thread(target=work, name=f"mcp-call-{call.message.id}", daemon=True).start()
    try:
        first = outbox.get(timeout=FIRST_MESSAGE_WAIT)
    except queue.Empty:
        first = None
    if first is not None and first[0] == "done" and first[1] is not None:
        return json_response(*first[1])
    try:
        lease = streams.admit(call.channel, call.principal)
    except ProtocolError as refusal:
        call.channel.cancel_event.set()  # the call has begun: it stops at its next progress or question
        return error_response(refusal, call.message.id, refusal.status or 429)
    response = Response(_events(call, first, lease), 200, headers=SSE_HEADERS, mimetype="text/event-stream")
    response.call_on_close(lambda: streams.release(lease))  # also when the stream never started
    return response


def _events(call: Call, first: tuple[str, Any] | None, lease: streams.Lease) -> Iterator[str]:
    outbox, item = call.channel.outbox, first
    try:
        while True:
            if item is None:
                yield ": keep-alive\n\n"
            elif item[0] == "done":
                if item[1] is not None:
                    yield _event(item[1][0])
                return
            elif item[0] == "drain":  # the server shuts down: a subscription ends gracefully, a call must be resent
                ending = listen.closing(call) if call.message.method == listen.METHOD else None
                yield _event(ending or jsonrpc.error(call.message.id, streams.RESTARTING))
                return
            else:
                yield _event(item[1])
            streams.keep(lease)
            try:
                item = outbox.get(timeout=lease.keepalive)
            except queue.Empty:
                item = None
    finally:
        streams.release(lease)
        call.channel.stream_closed()


def _event(message: dict[str, Any]) -> str:
    return f"event: message\ndata: {jsonrpc.dumps(message)}\n\n"
