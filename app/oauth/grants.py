"""The grants: authorization code with PKCE S256 always, and rotating refresh tokens.

A replayed code revokes every token issued from it. A refresh token works once: its
successor pair replaces it, except within a short grace window for concurrent
refreshes; used after that, it revokes the whole family (RFC 9700 section 4.14).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from authlib.oauth2.rfc6749 import InvalidRequestError
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc6749.grants import AuthorizationCodeGrant, RefreshTokenGrant
from authlib.oauth2.rfc7636 import CodeChallenge
from flask import current_app
from sqlalchemy import select

from app import metrics
from app.auth.users import User
from app.clock import aware, utcnow
from app.extensions import db
from app.oauth import events, revocation
from app.oauth.models import AuthorizationCode, Token, digest
from app.oauth.urls import resource_url

CODE_LIFETIME = timedelta(minutes=5)
#: How clients may authenticate at the token and revocation endpoints; introspection takes confidential ones only.
AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
CONFIDENTIAL_METHODS = ["client_secret_basic", "client_secret_post"]


class InvalidTargetError(OAuth2Error):
    """The `resource` is not this server's MCP endpoint (RFC 8707)."""

    error = "invalid_target"


class S256Challenge(CodeChallenge):
    """PKCE for every client, S256 only: no plain challenges, no missing verifiers."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant, redirect_uri) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError("PKCE is required: send code_challenge with code_challenge_method=S256")
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("code_challenge_method must be S256")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant, result) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier'")
        super().validate_code_verifier(grant, result)


def requested_resource(data) -> str:
    """Return the `resource` asked for: it must be the MCP endpoint (default: that)."""
    resource = data.get("resource") or resource_url()
    if resource.rstrip("/") != resource_url():
        raise InvalidTargetError(description=f"resource must be {resource_url()}")
    return resource_url()


class CodeGrant(AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def validate_authorization_request(self):
        redirect_uri = super().validate_authorization_request()
        try:
            requested_resource(self.request.payload.data)
        except InvalidTargetError as error:
            error.redirect_uri = redirect_uri  # the client is known good: tell it
            raise
        return redirect_uri

    def save_authorization_code(self, code: str, request) -> None:
        data = request.payload.data
        row = AuthorizationCode(
            code_hash=digest(code),
            client_id=request.client.get_client_id(),
            user_id=request.user.id,
            redirect_uri=request.payload.redirect_uri or request.client.get_default_redirect_uri(),
            scope=request.scope,
            resource=requested_resource(data),
            code_challenge=data["code_challenge"],
            code_challenge_method=data["code_challenge_method"],
            family=secrets.token_hex(16),
            expires_at=utcnow() + CODE_LIFETIME,
        )
        db.session.add(row)
        db.session.commit()

    def query_authorization_code(self, code: str, client) -> AuthorizationCode | None:
        row = db.session.scalar(select(AuthorizationCode).filter_by(code_hash=digest(code)))
        if row is None or row.client_id != client.get_client_id():
            return None
        if row.used:
            revoke_family(row.family)  # a replayed code: whoever holds it, revoke what it gave
            reason = "an authorization code was used twice: every token of that sign-in was revoked"
            events.record("token", False, reason, row.client_id, row.user_id)
            return None
        form = self.request.form
        if form.get("resource") and form["resource"].rstrip("/") != row.resource:
            raise InvalidTargetError(description="resource differs from the authorization request")
        return row if aware(row.expires_at) > utcnow() else None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        authorization_code.used = True  # kept (used) to detect a replay
        db.session.commit()

    def authenticate_user(self, authorization_code: AuthorizationCode) -> User | None:
        return db.session.get(User, authorization_code.user_id)


class RefreshGrant(RefreshTokenGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        row = db.session.scalar(select(Token).filter_by(refresh_hash=digest(refresh_token)))
        if row is None or row.revoked_at or aware(row.refresh_expires_at) <= utcnow():
            return None
        grace = timedelta(seconds=current_app.config["REFRESH_GRACE_SECONDS"])
        if row.rotated_at and aware(row.rotated_at) + grace < utcnow():
            revoke_family(row.family)  # reuse of a rotated token: the family may be stolen
            reason = "a refresh token was used again after it was replaced: every token of that sign-in was revoked"
            events.record("refresh", False, reason, row.client_id, row.user_id)
            metrics.count("oauth_refresh_reuse")
            return None
        return row

    def authenticate_user(self, refresh_token: Token) -> User | None:
        return db.session.get(User, refresh_token.user_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        refresh_token.rotated_at = refresh_token.rotated_at or utcnow()
        db.session.commit()


def revoke_family(family: str) -> None:
    """Revoke every token issued from one grant."""
    revocation.revoke(Token.family == family)
