"""A tool whose parameters travel in `Mcp-Param-*` headers too (2026-07-28, `x-mcp-header`)."""

from __future__ import annotations

from typing import Annotated

from app.mcp import header, tool


@tool(read_only=True, idempotent=True)
def test_mirrored_headers(
    region: Annotated[str, header("Region"), "Where to run: routed on by gateways from the Mcp-Param-Region header"],
    query: Annotated[str, "What to run (not mirrored)"] = "",
    priority: Annotated[int | None, header("Priority"), "An integer, mirrored in Mcp-Param-Priority"] = None,
    dry_run: Annotated[bool | None, header("Dry-Run"), "A boolean, mirrored in Mcp-Param-Dry-Run"] = None,
) -> str:
    """Echo the mirrored parameters, once the server has checked each header against the body."""
    return f"region={region!r} query={query!r} priority={priority!r} dry_run={dry_run!r}"
