"""Who is calling: the smallest tool that reads the caller, with structured output."""

from __future__ import annotations

from pydantic import BaseModel

from app.mcp import Context, tool


class Caller(BaseModel):
    subject: str
    name: str | None
    email: str | None
    scopes: list[str]
    #: A machine client calling for itself (client credentials): no person behind it.
    machine: bool = False


@tool(read_only=True, idempotent=True, open_world=False)
def whoami(ctx: Context) -> Caller:
    """Return who is calling this server: the signed-in person (or the machine client) and the scopes granted."""
    principal = ctx.principal
    return Caller(
        subject=principal.subject,
        name=principal.name,
        email=principal.email,
        scopes=sorted(principal.scopes),
        machine=principal.machine,
    )
