"""A tool that uses the caller's token at their identity provider, as a tool calling the provider's API would."""

from __future__ import annotations

import hashlib

from app.mcp import Context, tool, upstream_token


@tool(read_only=True, open_world=False)
def provider_token_digest(ctx: Context) -> str:
    """The first 16 hex digits of the SHA-256 of the caller's provider access token (refreshed when due)."""
    return hashlib.sha256(upstream_token(ctx.principal.user_id).encode()).hexdigest()[:16]
