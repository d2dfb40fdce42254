"""The authorization server for MCP clients, built on Authlib's, one per app."""

from __future__ import annotations

import secrets
from datetime import timedelta

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749 import InvalidClientError, UnsupportedTokenTypeError
from authlib.oauth2.rfc6749.authenticate_client import authenticate_client_secret_post, authenticate_none
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint
from flask import Flask, current_app
from sqlalchemy import or_, select

from app import metrics
from app.clock import utcnow
from app.extensions import db
from app.oauth import documents, enterprise, events, machines, registration
from app.oauth.clients import Client
from app.oauth.fetching import FetchError
from app.oauth.grants import AUTH_METHODS, CONFIDENTIAL_METHODS, CodeGrant, RefreshGrant, S256Challenge, revoke_family
from app.oauth.models import OAuthClient, Token, digest
from app.oauth.urls import issuer, resource_url


def query_client(client_id: str) -> Client | None:
    """Find a client: a registered one, or the one a metadata document URL describes."""
    if documents.is_document_id(client_id):
        try:
            return Client(documents.load(client_id))
        except FetchError as error:
            current_app.logger.info("client metadata document refused: %s", error)
            events.record("registration", False, f"its client metadata document could not be used: {error}", client_id)
            return None
    known = OAuthClient.kind.in_(("registered", "operator"))
    row = db.session.scalar(select(OAuthClient).filter_by(client_id=client_id, removed_at=None).where(known))
    if row is None:
        return None
    row.last_used_at = utcnow()
    return Client(row)


#: What each grant's token records in the connection doctor: its step, and what happened.
ISSUED = {
    "authorization_code": ("token", "a code exchanged for tokens"),
    "refresh_token": ("refresh", "tokens refreshed"),
    enterprise.GRANT_TYPE: ("token", "an ID-JAG from the identity provider exchanged for an access token"),
    machines.GRANT_TYPE: ("token", "client credentials exchanged for an access token (no person)"),
}


def save_token(token: dict, request) -> None:
    """Store a new token (pair) as hashes: in the family of the grant it came from, or a family of its own."""
    origin = getattr(request, "authorization_code", None) or getattr(request, "refresh_token", None)
    config, user = current_app.config, request.user
    client_row = request.client.row
    client_row.granted_at = client_row.granted_at or utcnow()  # from now on housekeeping keeps the registration
    refresh = token.get("refresh_token")
    db.session.add(
        Token(
            kind="oauth" if user is not None else "machine",
            family=origin.family if origin else secrets.token_hex(16),
            client_id=request.client.get_client_id(),
            user_id=user.id if user is not None else None,
            scope=token.get("scope") or origin.scope,
            resource=origin.resource if origin else resource_url(),
            access_hash=digest(token["access_token"]),
            refresh_hash=digest(refresh) if refresh else None,
            expires_at=utcnow() + timedelta(seconds=token["expires_in"]),
            refresh_expires_at=utcnow() + timedelta(days=config["REFRESH_TOKEN_DAYS"]) if refresh else None,
        )
    )
    db.session.commit()
    step, what = ISSUED[request.payload.grant_type]
    events.record(step, True, what, request.client.get_client_id(), user.id if user is not None else None)
    metrics.count("oauth_tokens", event="refreshed" if step == "refresh" else "issued")


class UnsupportedTokenTypeHint(OAuth2Error):
    """An unknown token_type_hint. RFC 7009 section 2.2.1 makes it an RFC 6749 section 5.2 error, so 400;
    Authlib's own error for it is a 401, without the challenge a 401 must carry."""

    error = "unsupported_token_type"
    status_code = 400


class HintChecked:
    """Answer an unknown token_type_hint with UnsupportedTokenTypeHint."""

    def check_params(self, request, client) -> None:
        try:
            super().check_params(request, client)
        except UnsupportedTokenTypeError as error:
            hint = "token_type_hint must be access_token or refresh_token"
            raise UnsupportedTokenTypeHint(description=hint) from error


class Revocation(HintChecked, RevocationEndpoint):
    CLIENT_AUTH_METHODS = [*AUTH_METHODS, machines.PRIVATE_KEY_JWT]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        hashed = digest(token_string)
        return db.session.scalar(select(Token).where(or_(Token.access_hash == hashed, Token.refresh_hash == hashed)))

    def revoke_token(self, token: Token, request) -> None:
        revoke_family(token.family)  # a grant's tokens go together (RFC 7009 section 2.1)
        events.record("revocation", True, "the client revoked its token (and its sign-in's)", token.client_id,
                      token.user_id)  # fmt: skip


class Introspection(HintChecked, IntrospectionEndpoint):
    """For confidential clients, about their own tokens (RFC 7662)."""

    CLIENT_AUTH_METHODS = [*CONFIDENTIAL_METHODS, machines.PRIVATE_KEY_JWT]

    def query_token(self, token_string: str, token_type_hint: str | None) -> Token | None:
        return Revocation.query_token(self, token_string, token_type_hint)

    def check_permission(self, token: Token, client, request) -> bool:
        return token.client_id == client.get_client_id()

    def introspect_token(self, token: Token) -> dict:
        return {
            "active": True,
            "client_id": token.client_id,
            "scope": token.scope,
            "sub": str(token.user_id) if token.user_id is not None else token.client_id,
            "aud": token.resource,
            "iss": issuer(),
            "exp": int(token.expires_at.timestamp()),
            "iat": int(token.issued_at.timestamp()),
            "token_type": "Bearer",
        }


def unauthorized_when_unknown(authenticate):
    """Answer an unknown, removed or misauthenticated client with 401 and a challenge, whatever the method.

    RFC 6749 section 5.2 requires 401 only when the client authenticated with the Authorization
    header, and allows it otherwise; some clients register again only on a 401, so they all get it.
    """

    def authenticated(query, request):
        try:
            return authenticate(query, request)
        except InvalidClientError as error:
            error.status_code = 401
            raise

    return authenticated


def init_app(app: Flask) -> None:
    server = AuthorizationServer(app, query_client=query_client, save_token=save_token)
    server.register_client_auth_method("client_secret_post", unauthorized_when_unknown(authenticate_client_secret_post))
    server.register_client_auth_method("none", unauthorized_when_unknown(authenticate_none))
    server.register_client_auth_method(machines.PRIVATE_KEY_JWT, unauthorized_when_unknown(machines.PrivateKeyJwt()))
    lifetime = app.config["ACCESS_TOKEN_SECONDS"]
    server.load_config(
        {
            "OAUTH2_REFRESH_TOKEN_GENERATOR": True,
            "OAUTH2_TOKEN_EXPIRES_IN": {grant_type: lifetime for grant_type in ISSUED},
        }
    )
    server.scopes_supported = app.extensions["scopes_supported"]
    server.register_grant(CodeGrant, [S256Challenge(required=True)])
    server.register_grant(RefreshGrant)
    if enterprise.enabled(app.config):
        server.register_grant(enterprise.EnterpriseGrant)
    if machines.enabled(app.config):
        server.register_grant(machines.MachineGrant)
    server.register_endpoint(Revocation)
    server.register_endpoint(Introspection)
    server.register_endpoint(registration.Registration)
    app.extensions["oauth_server"] = server


def server() -> AuthorizationServer:
    return current_app.extensions["oauth_server"]
