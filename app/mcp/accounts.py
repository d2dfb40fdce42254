"""The person's accounts at other services (CONNECTION_PROVIDERS), for tools that act there for them.

`connected_token(ctx, "github")` returns the person's access token at that service. If
none is kept (never connected, removed, or no longer refreshable), it sends the person to
`/connections/github` with a URL-mode elicitation (`ctx.elicit_url`), where they connect
the account at the service itself, and returns the token once they have. The token never
reaches the client: the tool uses it and returns what the service said.
"""

from __future__ import annotations

from app.auth.upstream import UpstreamTokenError, connect_url, upstream_token
from app.mcp.context import Context
from app.mcp.errors import ToolError


def connected_token(ctx: Context, provider: str) -> str:
    """The person's access token at `provider`, after sending them to connect their account there if needed."""
    try:
        return upstream_token(ctx.principal.user_id, provider)
    except UpstreamTokenError:
        pass
    # A key per service: a call that needs two asks for each in turn (one key would reuse the first's answer).
    answer = ctx.elicit_url(f"Connect your {provider} account to go on.", connect_url(provider), f"connect-{provider}")
    if answer["action"] != "accept":
        raise ToolError(f"Your {provider} account is not connected, so this cannot go on.")
    return upstream_token(ctx.principal.user_id, provider)
