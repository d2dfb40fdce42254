"""Clients, codes, tokens and consents of the authorization server; secrets kept as hashes."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import aware, utcnow
from app.extensions import db


def digest(secret: str) -> str:
    """Return the SHA-256 of a token, code or client secret: all the database keeps."""
    return hashlib.sha256(secret.encode()).hexdigest()


class OAuthClient(db.Model):
    """A client: registered (RFC 7591), described by a metadata document (CIMD), or added by an operator
    (`flask clients add`, for enterprise apps and machine clients)."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(2048), unique=True)
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # "registered", "document" or "operator"
    metadata_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: For metadata documents: when the fetched copy must be fetched again.
    refresh_after: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: When the client first completed a grant: from then on housekeeping keeps its registration.
    granted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: When an operator removed it (`flask clients revoke`): for good, and it is told so.
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def client_metadata(self) -> dict[str, Any]:
        return json.loads(self.metadata_json)


class AuthorizationCode(db.Model):
    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_id: Mapped[str] = mapped_column(String(2048))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    resource: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(8))
    family: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used: Mapped[bool] = mapped_column(Boolean, default=False)

    # What Authlib's grant and PKCE extension ask of a code.
    def get_redirect_uri(self) -> str:
        return self.redirect_uri

    def get_scope(self) -> str:
        return self.scope


class Token(db.Model):
    """An access token and (for OAuth clients) its refresh token; one family per grant.

    `kind` is "oauth" (a client acting for a person), "personal" (a person's own token) or
    "machine" (a client acting for itself, through client credentials: no person, no refresh token).
    """

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(255))
    family: Mapped[str] = mapped_column(String(64), index=True)
    client_id: Mapped[str] = mapped_column(String(2048), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scope: Mapped[str] = mapped_column(Text)
    resource: Mapped[str] = mapped_column(Text)
    access_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refresh_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    #: Set when the refresh token was exchanged for a new pair (rotation).
    rotated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    # What Authlib's refresh grant, revocation and introspection ask of a token.
    def check_client(self, client) -> bool:
        return self.client_id == client.get_client_id()

    def get_scope(self) -> str:
        return self.scope

    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self) -> bool:
        return aware(self.expires_at) <= utcnow()


class Consent(db.Model):
    """A person's remembered approval of a client for some scopes."""

    __tablename__ = "oauth_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(2048))
    scope: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    #: Set when the person removed the client from their connected apps: no approval, a removal.
    removed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
