"""What is seen of each MCP request that runs: its span (app.tracing), its counts (app.metrics), and for a tool
call its line in the audit log (app.oauth.audit), each only when on. Nothing of it runs otherwise."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import current_app

from app import metrics, tracing
from app.mcp.server import jsonrpc
from app.oauth import audit

if TYPE_CHECKING:
    from app.mcp.server.call import Call

#: The label of a tool or method this server does not have: a client must not make up labels without end.
UNKNOWN = "unknown"


def wanted(call: Call) -> bool:
    """Whether anything is to be seen of `call` (the question costs the hot path a microsecond)."""
    audited = call.message.method == "tools/call" and current_app.config["AUDIT_TOOL_CALLS"]
    return audited or tracing.active() or metrics.on()


def observed(call: Call, run: Callable[[Call], Any]) -> Any:
    """`run(call)`, in its span, then counted and audited."""
    started, message = time.perf_counter(), call.message
    if tracing.active():
        from app.mcp.server import spans

        session_id = getattr(call.envelope, "session_id", None)
        with spans.operation(message.method, call.params, message.id, call.envelope.version, session_id) as span:
            answered = run(call)
            spans.ended(span, answered[0])
    else:
        answered = run(call)
    if metrics.on():
        tool = call.spec.name if call.spec is not None else UNKNOWN
        counted(message.method, tool if message.method == "tools/call" else "", answered[0], started)
    if message.method == "tools/call" and current_app.config["AUDIT_TOOL_CALLS"]:
        _audited(call, answered[0], started)
    return answered


def counted(method: str, tool: str, response: dict[str, Any], started: float | None = None) -> None:
    """Count an MCP request by how it ended (app.metrics): `method` and `tool` as labels (both known ones, or
    UNKNOWN), `started` (perf_counter) if it ran."""
    outcome, error_type = jsonrpc.ending(response)
    metrics.count("mcp_requests", method=method, tool=tool, outcome=outcome)
    if started is not None:
        labels = {"mcp_method_name": method, "gen_ai_tool_name": tool, "error_type": error_type}
        metrics.observe("mcp_server_operation_duration_seconds", time.perf_counter() - started, **labels)


def _audited(call: Call, response: dict[str, Any], started: float) -> None:
    """The tool call's line in the audit log: who, which client, the tool, how it ended, how long it took."""
    outcome, error_type = jsonrpc.ending(response)
    name = call.params.get("name")
    limit = current_app.config["AUDIT_ARGUMENT_BYTES"]
    arguments = json.dumps(call.params.get("arguments") or {}, default=str)[:limit] if limit > 0 else None
    principal = call.principal
    audit.record_tool_call(
        principal.user_id,
        principal.client_id,
        str(name) if name is not None else "",
        outcome if outcome != "protocol_error" else f"protocol_error {error_type}",
        round((time.perf_counter() - started) * 1000),
        arguments,
    )
