"""Scopes: the base scope every MCP client needs, and the hierarchy between scopes.

A scope grants itself and everything below it: `notes` grants `notes:read` and
`notes:write`. `*` (static tokens and the browser session) grants everything; a
stored token never carries it.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, current_app

#: What every token for /mcp carries, and what a client gets when it asks for nothing.
BASE_SCOPE = "mcp"
#: Everything: held by the browser session, static tokens and the command line, never by a stored token.
ALL = frozenset({"*"})


def grants(held: Iterable[str], needed: str) -> bool:
    """Return whether the scopes `held` include `needed`, directly or through a parent."""
    return any(scope == needed or scope in ALL or needed.startswith(f"{scope}:") for scope in held)


def missing(held: Iterable[str], needed: Iterable[str]) -> list[str]:
    """The scopes in `needed` that `held` grants neither directly nor through a parent."""
    held = held if isinstance(held, set | frozenset) else set(held)
    if held.issuperset(needed):  # the common case, asked on every MCP call: held directly
        return []
    return [scope for scope in needed if scope not in held and not grants(held, scope)]


def requestable_scopes(needed: Iterable[str]) -> list[str]:
    """The base scope, every scope something needs, and their parents (`notes` for `notes:write`)."""
    parts = [scope.split(":") for scope in needed]
    return sorted({BASE_SCOPE} | {":".join(part[:end]) for part in parts for end in range(1, len(part) + 1)})


def of_token(granted: Iterable[str]) -> frozenset[str]:
    """The scopes a token grants: what it carries, except `*`, which no token may stand for."""
    return frozenset(scope for scope in granted if isinstance(scope, str)) - ALL


def split(scope: str | None) -> list[str]:
    return (scope or "").split()


def init_app(app: Flask) -> None:
    """Work out the scopes clients and people may ask for, and what each allows, once, from what the tools need."""
    needed_by = app.extensions["mcp"].needed_by()
    app.extensions["scopes_supported"] = supported_here = requestable_scopes(needed_by)
    app.extensions["scope_descriptions"] = {scope: _description(scope, needed_by) for scope in supported_here}


def describe(scope: str) -> str:
    """What a scope allows, in words for the person deciding (the consent and token pages)."""
    return current_app.extensions["scope_descriptions"].get(scope, "a scope this server does not know")


def _description(scope: str, needed_by: dict[str, list[str]]) -> str:
    if scope == BASE_SCOPE:
        return "use this server's tools, resources and prompts as you (those that need more are listed below)"
    names = sorted(needed_by.get(scope, []))
    below = sorted(other for other in needed_by if other.startswith(f"{scope}:"))
    if names:
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        return f"what {shown} {'needs' if len(names) == 1 else 'need'}"
    return f"everything under {scope}: {', '.join(below)}"


def supported() -> list[str]:
    """The scopes a token may carry: the base scope, what something needs, and their parents."""
    return current_app.extensions["scopes_supported"]
