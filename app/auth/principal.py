"""Who is calling: the identity every caller is reduced to, whatever proved it.

A browser session, a token this server issued, a personal token, an external issuer's
JWT or the command line: each becomes a `Principal`, which the MCP endpoint checks
scopes against and tools read as `ctx.principal`. It lives here, below both the
authorization server (which makes principals from tokens) and the MCP engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Principal:
    """Who is calling: a person (signed in, or through a token), or a machine client acting for itself
    (`machine`: client credentials; no person, `user_id` None, subject `client:<client_id>`), and what it may do."""

    subject: str
    user_id: int | None = None
    name: str | None = None
    email: str | None = None
    client_id: str | None = None
    scopes: frozenset[str] = frozenset()
    claims: Mapping[str, Any] = field(default_factory=dict)
    token_id: str | None = None
    machine: bool = False
