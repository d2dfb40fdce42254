"""The one tool every benchmarked server exposes, here for this app (MCP_TOOL_PACKAGES=benchmarks.tools),
and the stream the open-streams probe holds open."""

from __future__ import annotations

import time

from app.mcp import Context, tool


@tool(read_only=True, idempotent=True, open_world=False)
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool(read_only=True, open_world=False)
def stream_for(ctx: Context, seconds: int) -> str:
    """Hold an event stream open for `seconds`, one progress notification a second (the open-streams probe)."""
    for second in range(seconds + 1):
        ctx.report_progress(second, total=seconds)
        if second < seconds:
            time.sleep(1)
    return "done"
