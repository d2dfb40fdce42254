"""A long task: report progress as it goes, and stop early if the client cancels.

`task="optional"`: a client of the tasks extension gets a task it follows with tasks/get (the
playground's "Start as a task"); any other client gets the result at the end of the call.
"""

from __future__ import annotations

import time
from typing import Annotated

from pydantic import Field

from app.mcp import Context, tool


@tool(read_only=True, open_world=False, task="optional")
def count_slowly(
    ctx: Context,
    to: Annotated[int, Field(ge=1, le=100), "How far to count"] = 5,
    delay: Annotated[float, Field(ge=0, le=5), "Seconds between steps"] = 0.5,
) -> str:
    """Count to a number, one step at a time, reporting progress after each step."""
    for step in range(1, to + 1):
        time.sleep(delay)
        ctx.report_progress(step, total=to, message=f"counted to {step}")
    return f"Counted to {to}."
