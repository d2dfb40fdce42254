"""A per-user resource: each caller reads their own profile at the same URI."""

from __future__ import annotations

import json

from app.mcp import Context, resource


@resource("profile://me", title="My profile", mime_type="application/json")
def my_profile(ctx: Context) -> str:
    """The profile of the person calling: name, e-mail and granted scopes."""
    principal = ctx.principal
    profile = {"subject": principal.subject, "name": principal.name, "email": principal.email}
    return json.dumps(profile | {"scopes": sorted(principal.scopes)})
