"""Clients an operator adds by hand (`flask clients add`): machine clients and enterprise apps.

Both are confidential and known before they call: a machine client (client credentials,
app.oauth.machines) and an app that presents ID-JAGs from the company's identity provider
(app.oauth.enterprise), whose client id that provider must know. Each holds a secret, shown
once and kept as a hash, or public keys for `private_key_jwt` (a JWKS, or the URL where it
publishes one), and the scopes it may have. Housekeeping never deletes them; `flask clients
revoke` removes them for good.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from flask import current_app
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from app.extensions import db
from app.oauth import enterprise, events, machines
from app.oauth.clients import redirect_problem
from app.oauth.models import OAuthClient, digest
from app.oauth.scopes import BASE_SCOPE, split


@dataclass(frozen=True)
class Added:
    client_id: str
    #: The secret, shown this once; None for a client that signs its assertions with its own key.
    secret: str | None
    scope: str


def add(name: str, machine: bool, scope: str, jwks: str | None = None, jwks_uri: str | None = None) -> Added:
    """Register a machine client (`machine`) or an ID-JAG app; ValueError says what is wrong with the request."""
    granted = _checked_scope(scope)
    metadata: dict = {
        "client_name": name,
        "grant_types": [machines.GRANT_TYPE if machine else enterprise.GRANT_TYPE],
        "scope": granted,
        **_credentials(jwks, jwks_uri),
    }
    secret = secrets.token_urlsafe(32) if metadata["token_endpoint_auth_method"] != machines.PRIVATE_KEY_JWT else None
    row = OAuthClient(
        client_id=secrets.token_urlsafe(24),
        secret_hash=digest(secret) if secret else None,
        kind="operator",
        metadata_json=json.dumps(metadata),
    )
    db.session.add(row)
    db.session.commit()
    what = "a machine client" if machine else "an app taking ID-JAGs"
    events.record("registration", True, f"added by the operator as {what}: {name}", row.client_id)
    return Added(row.client_id, secret, granted)


def _checked_scope(scope: str) -> str:
    requested = split(scope)
    known = current_app.extensions["scopes_supported"]
    if unknown := [name for name in requested if name not in known]:
        raise ValueError(f"unknown scope(s) {' '.join(unknown)}; this server's: {' '.join(known)}")
    return " ".join(requested if BASE_SCOPE in requested else [BASE_SCOPE, *requested])


def _credentials(jwks: str | None, jwks_uri: str | None) -> dict:
    """How the client proves itself: a secret, or public keys (inline, or at a URL) for private_key_jwt."""
    if jwks and jwks_uri:
        raise ValueError("give its keys once: a JWKS or a JWKS URL, not both")
    if jwks_uri:
        # Fetched by this server: https, or http on this machine, as a redirect URI may be.
        if problem := redirect_problem(jwks_uri):
            raise ValueError(f"the JWKS URL {problem}")
        return {"token_endpoint_auth_method": machines.PRIVATE_KEY_JWT, "jwks_uri": jwks_uri}
    if jwks:
        return {"token_endpoint_auth_method": machines.PRIVATE_KEY_JWT, "jwks": _public_keys(jwks)}
    return {"token_endpoint_auth_method": "client_secret_basic"}


def _public_keys(text: str) -> dict:
    try:
        value = json.loads(text)
        keys = KeySet.import_key_set(value)
    except (ValueError, KeyError, TypeError, JoseError) as error:
        raise ValueError(f"the JWKS is not a JSON Web Key Set: {error}") from None
    if not keys.keys:
        raise ValueError("the JWKS holds no key this server can use")
    if any(key.is_private for key in keys.keys):
        raise ValueError("the JWKS holds a private key: give the public keys only, and keep the private one secret")
    return {"keys": [key.as_dict(private=False) for key in keys.keys]}
