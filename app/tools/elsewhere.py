"""A tool that acts at another service for the person: their account there, connected on request.

The pattern for any third-party API (GitHub, Google Drive, a CRM): `connected_token`
returns the person's token at the service, first sending them to connect their account
there (a URL-mode elicitation to /connections/<service>) when none is kept. The services
are CONNECTION_PROVIDERS, configured as sign-in providers are (docs/authorization.md).
"""

from __future__ import annotations

import requests
from flask import current_app

from app.auth import providers
from app.mcp import Context, ToolError, connected_token, tool


@tool(read_only=True, open_world=True)
def whoami_elsewhere(ctx: Context, service: str) -> dict:
    """Say who the caller is at another service they connect to this server (one of CONNECTION_PROVIDERS), as
    that service's user info says; asks them to connect their account there first if it is not."""
    known = list(providers.connection_providers())
    if service not in known:
        offered = ", ".join(known) or "none: set CONNECTION_PROVIDERS"
        raise ToolError(f"{service!r} is not a service to connect here (those are: {offered}).")
    token = connected_token(ctx, service)
    try:
        return providers.user_info(service, token)
    except (requests.RequestException, providers.ProfileError) as error:
        current_app.logger.warning("user info from %s failed: %s", service, type(error).__name__)
        raise ToolError(f"{service} did not say who you are: try again later.") from None
