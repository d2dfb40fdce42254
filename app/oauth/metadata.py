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
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
        "client_id_metadata_document_supported": True,
    }


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


def _grants() -> dict:
    """The grants and client authentication methods the token, revocation and introspection endpoints take: more
    with the enterprise or machine grants on (the draft and the MCP extensions say which fields tell clients so)."""
    config = current_app.config
    signed = enterprise.enabled(config) or machines.enabled(config)  # clients an operator added may sign
    extra = [machines.PRIVATE_KEY_JWT] if signed else []
    found = {
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": [*AUTH_METHODS, *extra],
        "revocation_endpoint_auth_methods_supported": [*AUTH_METHODS, *extra],
        "introspection_endpoint_auth_methods_supported": [*CONFIDENTIAL_METHODS, *extra],
    }
    if enterprise.enabled(config):
        found["grant_types_supported"].append(enterprise.GRANT_TYPE)
        found["authorization_grant_profiles_supported"] = [enterprise.PROFILE]
    if machines.enabled(config):
        found["grant_types_supported"].append(machines.GRANT_TYPE)
    if signed:
        found["token_endpoint_auth_signing_alg_values_supported"] = jwks.ALGORITHMS
    return found
