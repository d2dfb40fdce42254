"""What is seen of each MCP request that runs: its span (app.tracing), its counts (app.metrics), and for a tool
call its line in the audit log (app.oauth.audit), each only when on. Nothing of it runs otherwise."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import current_app

from app import metrics, tracing
from app.extensions import this_app
from app.mcp.errors import Cancelled, ProtocolError
from app.mcp.server import jsonrpc
from app.mcp.server.jsonrpc import Message
from app.oauth import audit

if TYPE_CHECKING:
    from app.auth.principal import Principal
    from app.mcp.server.call import Call

#: The label of a tool or method this server does not have: a client must not make up labels without end.
UNKNOWN = "unknown"


def wanted(call: Call) -> bool:
    """Whether anything is to be seen of `call` (the question costs the hot path a microsecond)."""
    audited = call.message.method == "tools/call" and this_app().config["AUDIT_TOOL_CALLS"]
    return audited or tracing.active() or metrics.on()


def observed(call: Call, run: Callable[[Call], Any]) -> Any:
    """`run(call)`, in its span, then counted and audited (a cancelled call too, as `cancelled`)."""
    started, message = time.perf_counter(), call.message
    try:
        if tracing.active():
            from app.mcp.server import spans

            session_id = getattr(call.envelope, "session_id", None)
            with spans.operation(message.method, call.params, message.id, call.envelope.version, session_id) as span:
                answered = run(call)
                spans.ended(span, answered[0])
        else:
            answered = run(call)
    except Cancelled:
        _recorded(call, None, started)
        raise
    _recorded(call, answered[0], started)
    return answered


def _recorded(call: Call, response: dict[str, Any] | None, started: float) -> None:
    """Count and audit a call that ended (`response` None: cancelled). Never fails the call: a count or a line
    that cannot be made (a full disk, a bug) is logged, and the answer goes out."""
    method = call.message.method
    try:
        if metrics.on():
            tool = call.spec.name if call.spec is not None else UNKNOWN
            counted(method, tool if method == "tools/call" else "", response, started)
        if method == "tools/call" and this_app().config["AUDIT_TOOL_CALLS"] and not _unfinished(response):
            _audit_tool_call(call.principal, call.params, ending(response), _milliseconds_since(started))
    except Exception:
        current_app.logger.exception("MCP %s: its count or audit line could not be made", method)


def _unfinished(response: dict[str, Any] | None) -> bool:
    """Whether the call answered with a task (its line is written when the task ends: `task_ended`) or with
    questions (the line is the retried call's, which ends it)."""
    result = (response or {}).get("result")
    return isinstance(result, dict) and result.get("resultType") in ("task", "input_required")


def task_ended(
    principal: Principal, tool: str, arguments: dict[str, Any], ended: dict[str, Any], started: float
) -> None:
    """A tool that ran as a task ended (`ended`: its status, and its result or error): its audit line, with the
    run's outcome and time. Never raises: the task's record matters more."""
    if not this_app().config["AUDIT_TOOL_CALLS"]:
        return
    status = ended.get("status")
    response = {"result": ended.get("result")} if status == "completed" else None
    response = {"error": ended.get("error")} if status == "failed" else response
    params = {"name": tool, "arguments": arguments}
    try:
        _audit_tool_call(principal, params, ending(response), _milliseconds_since(started))
    except Exception:
        current_app.logger.exception("task of %s: its audit line could not be made", tool)


def ending(response: dict[str, Any] | None) -> tuple[str, str]:
    """How a request ended (jsonrpc.ending), or `cancelled` when it has no response."""
    return ("cancelled", "cancelled") if response is None else jsonrpc.ending(response)


def refused(message: Message, principal: Principal, problem: ProtocolError, known: bool) -> None:
    """A request refused before it ran (a missing scope, bad params, an unknown method): its span, its count (only
    `known` methods and tools become labels), and for a tool call its audit line (untimed: it never ran)."""
    try:
        if tracing.active():
            from app.mcp.server import spans

            spans.refused(message.method, message.params, message.id, problem.code, problem.message)
        method = message.method if known else UNKNOWN
        if metrics.on():
            tool = _tool_label(message.params.get("name")) if method == "tools/call" else ""
            if problem.status == 403:
                metrics.count("mcp_requests", method=method, tool=tool, outcome="refused_scope")
            else:
                counted(method, tool, {"error": problem.to_json()})
        if method == "tools/call" and this_app().config["AUDIT_TOOL_CALLS"]:
            ended = ("refused_scope", "") if problem.status == 403 else ("protocol_error", str(problem.code))
            _audit_tool_call(principal, message.params, ended, None)
    except Exception:
        current_app.logger.exception("MCP %s: its span, count or audit line could not be made", message.method)


def _tool_label(name: object) -> str:
    """A tool's name as a metric label: one this server has, else UNKNOWN (whatever the client sent)."""
    found = this_app().extensions["mcp"].tools.get(name) if isinstance(name, str) else None
    return found.name if found is not None else UNKNOWN


def _milliseconds_since(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def counted(method: str, tool: str, response: dict[str, Any] | None, started: float | None = None) -> None:
    """Count an MCP request by how it ended (app.metrics): `method` and `tool` as labels (both known ones, or
    UNKNOWN), `started` (perf_counter) if it ran; `response` None if it was cancelled."""
    outcome, error_type = ending(response)
    metrics.count("mcp_requests", method=method, tool=tool, outcome=outcome)
    if started is not None:
        labels = {"mcp_method_name": method, "gen_ai_tool_name": tool, "error_type": error_type}
        metrics.observe("mcp_server_operation_duration_seconds", time.perf_counter() - started, **labels)


def _audit_tool_call(
    principal: Principal, params: dict[str, Any], ended: tuple[str, str], duration_ms: int | None
) -> None:
    """A tool call's line in the audit log: who, which client, the tool `params` name, how it ended (`ending`), how
    long it took (None: it never ran); its arguments only with AUDIT_ARGUMENT_BYTES."""
    outcome, error_type = ended
    limit = this_app().config["AUDIT_ARGUMENT_BYTES"]
    arguments = json.dumps(params.get("arguments") or {}, default=str)[:limit] if limit > 0 else None
    name = params.get("name")
    audit.record_tool_call(
        principal.user_id,
        principal.client_id,
        str(name) if name is not None else "",
        outcome if outcome != "protocol_error" else f"protocol_error {error_type}",
        duration_ms,
        arguments,
    )
