"""Discovery documents: authorization server metadata (RFC 8414), protected resource (RFC 9728)."""

from __future__ import annotations

from flask import current_app

from app.oauth import enterprise, jwks, machines
from app.oauth.grants import AUTH_METHODS, CONFIDENTIAL_METHODS
from app.oauth.scopes import BASE_SCOPE, supported
from app.oauth.urls import ENDPOINTS, issuer, resource_url
from app.urls import public_url


def authorization_server_metadata() -> dict:
    base = public_url()
    return {
        "issuer": issuer(),
        "authorization_endpoint": base + ENDPOINTS["authorize"],
        "token_endpoint": base + ENDPOINTS["token"],
        "registration_endpoint": base + ENDPOINTS["register"],
        "revocation_endpoint": base + ENDPOINTS["revoke"],
        "introspection_endpoint": base + ENDPOINTS["introspect"],
        "scopes_supported": supported(),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        **_grants(),
        "revocation_endpoint_auth_methods_supported": AUTH_METHODS,
        "introspection_endpoint_auth_methods_supported": CONFIDENTIAL_METHODS,
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": True,
    }


def _grants() -> dict:
    """The grants and client authentication methods the token endpoint takes: more with the enterprise and
    machine grants on (the draft and the MCP extensions say which fields tell clients so)."""
    config = current_app.config
    found = {
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
    }
    if enterprise.enabled(config):
        found["grant_types_supported"].append(enterprise.GRANT_TYPE)
        found["authorization_grant_profiles_supported"] = [enterprise.PROFILE]
    if config["MACHINE_CLIENTS"]:
        found["grant_types_supported"].append(machines.GRANT_TYPE)
    if enterprise.enabled(config) or config["MACHINE_CLIENTS"]:
        found["token_endpoint_auth_methods_supported"].append(machines.PRIVATE_KEY_JWT)
        found["token_endpoint_auth_signing_alg_values_supported"] = jwks.ALGORITHMS
    return found


def protected_resource_metadata() -> dict:
    """What MCP clients need to find and ask the right authorization server."""
    return {
        "resource": resource_url(),
        "authorization_servers": [issuer()],
        # The minimum for basic use; tools needing more say so in a 403 challenge.
        "scopes_supported": [BASE_SCOPE],
        "bearer_methods_supported": ["header"],
        "resource_name": current_app.config["MCP_SERVER_NAME"],
    }
