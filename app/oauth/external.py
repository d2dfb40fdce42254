"""External authorization server mode: trust an MCP-ready issuer's JWT access tokens.

Its keys come from its JWKS (found through its metadata unless EXTERNAL_JWKS_URI is
set), cached as app.oauth.jwks says. Issuer, audience, expiry and not-before are checked.
"""

from __future__ import annotations

import requests
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError

from app.auth.principal import Principal
from app.oauth import jwks
from app.oauth.scopes import of_token
from app.oauth.urls import resource_url

LEEWAY = 30


def verify(token: str) -> Principal | None:
    """Return the principal of a valid JWT from the external issuer, else None."""
    config = current_app.config
    try:
        decoded = jwks.decode(token, _jwks_uri())
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": config["EXTERNAL_ISSUER"]},
            exp={"essential": True},
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError, requests.RequestException, jwks.UnknownKey, jwks.KeysUnavailable) as error:
        current_app.logger.info("external token refused: %s", type(error).__name__)
        return None
    claims = decoded.claims
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if (config["EXTERNAL_AUDIENCE"] or resource_url()) not in audiences:
        return None
    granted = claims.get("scope", "").split() if isinstance(claims.get("scope"), str) else claims.get("scp", [])
    return Principal(
        subject=f"external:{claims.get('sub')}",
        name=claims.get("name"),
        email=claims.get("email"),
        client_id=claims.get("client_id") or claims.get("azp"),
        scopes=of_token(granted if isinstance(granted, list) else []),
        claims=claims,
        token_id=claims.get("jti"),
    )


def _jwks_uri() -> str:
    """EXTERNAL_JWKS_URI, or the one the issuer's metadata names (looked up once per process)."""
    configured = current_app.config["EXTERNAL_JWKS_URI"] or current_app.extensions.get("external_jwks_uri")
    if configured:
        return configured
    issuer = current_app.config["EXTERNAL_ISSUER"]
    for suffix in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        response = requests.get(issuer.rstrip("/") + suffix, timeout=5)
        jwks_uri = response.json().get("jwks_uri") if response.ok else None
        if jwks_uri:
            current_app.extensions["external_jwks_uri"] = jwks_uri
            return jwks_uri
    raise ValueError(f"no jwks_uri found for {issuer}")
