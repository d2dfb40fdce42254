"""Sessions of the `initialize`-based revisions, in the shared store.

A session id is 256 random bits; the store keeps only its SHA-256, with the caller
it belongs to, so any worker of any instance can serve the next request, and a
leaked store entry cannot be turned back into a usable id. A session is never
proof of identity: every request still carries its own credential, and a session
used by anyone but its owner is reported as not found.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import current_app

from app import kv
from app.auth.principal import Principal
from app.mcp.errors import INVALID_REQUEST, ProtocolError


def new_id() -> str:
    """A fresh session id (visible ASCII, as required)."""
    return secrets.token_urlsafe(32)


def create(session_id: str, principal: Principal, state: dict[str, Any]) -> None:
    """Store a new session for `principal`."""
    save(session_id, {"subject": principal.subject} | state)


def load(session_id: str, principal: Principal) -> dict[str, Any]:
    """Return the session's state; 404 if it is unknown, ended, or someone else's."""
    state = kv.store().get(_key(session_id))
    if state is None or state.get("subject") != principal.subject:
        raise ProtocolError(INVALID_REQUEST, "Session not found: start a new one with initialize", status=404)
    return state


def save(session_id: str, state: dict[str, Any]) -> None:
    """Store the session's state, extending its life from now."""
    kv.store().set(_key(session_id), state, current_app.config["MCP_SESSION_HOURS"] * 3600)


def end(session_id: str, principal: Principal) -> None:
    load(session_id, principal)
    kv.store().delete(_key(session_id))


def session_key(session_id: str) -> str:
    """What the store files a session's entries under: the SHA-256 of its id."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def _key(session_id: str) -> str:
    return "mcp-session:" + session_key(session_id)
