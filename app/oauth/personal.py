"""Personal access tokens: long-lived bearer tokens a person makes for scripts.

Shown once at creation, stored as a hash, listed and revoked like any other token;
their audience is this server's MCP endpoint, and they never refresh.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.clock import utcnow
from app.extensions import db
from app.oauth import events, revocation
from app.oauth.models import Token, digest
from app.oauth.scopes import BASE_SCOPE, split, supported

#: The client id personal tokens are filed under.
PERSONAL = "personal"
PREFIX = "mcp_pat_"


def create(user_id: int, name: str, scope: str, days: int, resource: str) -> tuple[Token, str]:
    """Make a token for `user_id`; return its row and its value (shown this once).

    Raises ValueError for a lifetime past PERSONAL_TOKEN_MAX_DAYS or a scope the server
    does not know (`*`, which the browser session holds, is never one).
    """
    longest = current_app.config["PERSONAL_TOKEN_MAX_DAYS"]
    if not 1 <= days <= longest:
        raise ValueError(f"a personal token lasts between 1 and {longest} days")
    scopes = split(scope)
    known = supported()
    if unknown := [item for item in scopes if item not in known]:
        raise ValueError(f"{', '.join(unknown)}: not a scope this server knows (it knows {', '.join(known)})")
    value = PREFIX + secrets.token_urlsafe(32)
    row = Token(
        kind="personal",
        name=name.strip()[:255] or "personal token",
        family=secrets.token_hex(16),
        client_id=PERSONAL,
        user_id=user_id,
        scope=" ".join(scopes if BASE_SCOPE in scopes else [BASE_SCOPE, *scopes]),
        resource=resource,
        access_hash=digest(value),
        expires_at=utcnow() + timedelta(days=days),
    )
    db.session.add(row)
    db.session.commit()
    events.record("personal_token", True, f"personal token “{row.name}” made ({row.scope})", PERSONAL, user_id)
    return row, value


def of_user(user_id: int | None = None) -> list[Token]:
    query = select(Token).filter_by(kind="personal").order_by(Token.issued_at.desc())
    return list(db.session.scalars(query.filter_by(user_id=user_id) if user_id else query))


def revoke(token_id: int, user_id: int | None = None) -> bool:
    """Revoke one personal token (only the owner's, when `user_id` is given)."""
    row = db.session.get(Token, token_id)
    if row is None or row.kind != "personal" or (user_id is not None and row.user_id != user_id):
        return False
    revocation.revoke(Token.id == token_id)
    events.record("personal_token", True, f"personal token “{row.name}” revoked", PERSONAL, row.user_id)
    return True
