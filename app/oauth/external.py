"""External authorization server mode: trust an MCP-ready issuer's JWT access tokens.

Its keys come from its JWKS (found through its metadata unless EXTERNAL_JWKS_URI is
set), cached in the process and fetched again when a token names an unknown key, at
most once a minute. Issuer, audience, expiry and not-before are checked.
"""

from __future__ import annotations

import threading
import time

import requests
from flask import current_app
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.auth.principal import Principal
from app.oauth.scopes import of_token
from app.oauth.urls import resource_url

ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"]
REFETCH_AFTER = 60.0
LEEWAY = 30
_lock = threading.Lock()


def verify(token: str) -> Principal | None:
    """Return the principal of a valid JWT from the external issuer, else None."""
    config = current_app.config
    try:
        decoded = _decode(token)
        registry = jwt.JWTClaimsRegistry(
            leeway=LEEWAY,
            iss={"essential": True, "value": config["EXTERNAL_ISSUER"]},
            exp={"essential": True},
        )
        registry.validate(decoded.claims)
    except (JoseError, ValueError, requests.RequestException) as error:
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


def _decode(token: str) -> jwt.Token:
    keys = _key_set(refresh=False)
    try:
        return jwt.decode(token, keys, algorithms=ALGORITHMS)
    except JoseError:
        fresh = _key_set(refresh=True)  # a new signing key may have been published
        if fresh is keys:
            raise
        return jwt.decode(token, fresh, algorithms=ALGORITHMS)


def _key_set(refresh: bool) -> KeySet:
    issuer = current_app.config["EXTERNAL_ISSUER"]
    cache: dict[str, tuple[float, KeySet]] = current_app.extensions.setdefault("external_jwks", {})
    with _lock:
        cached = cache.get(issuer)
        if cached and (not refresh or time.monotonic() - cached[0] < REFETCH_AFTER):
            return cached[1]
        keys = KeySet.import_key_set(requests.get(_jwks_uri(issuer), timeout=5).json())
        cache[issuer] = (time.monotonic(), keys)
        return keys


def _jwks_uri(issuer: str) -> str:
    configured = current_app.config["EXTERNAL_JWKS_URI"]
    if configured:
        return configured
    for suffix in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        response = requests.get(issuer.rstrip("/") + suffix, timeout=5)
        jwks_uri = response.json().get("jwks_uri") if response.ok else None
        if jwks_uri:
            return jwks_uri
    raise ValueError(f"no jwks_uri found for {issuer}")
